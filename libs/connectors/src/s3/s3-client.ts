import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { ResolvedConnection } from '../connector';
import type { EgressGuard, ResolvedTarget } from '../egress/egress-guard';
import { targetFailed } from '../introspection/errors';
import type { IntrospectionContext } from '../introspection/types';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf } from '../probes/test-run';
import type { Session } from '../sessions/session-cache';
import { stringOr } from './s3-errors';

export const DEFAULT_REGION = 'us-east-1';
/** How long opening a socket may take at most (DESIGN §3). */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Sockets a cached client keeps open to its endpoint at most. */
const SESSION_MAX_SOCKETS = 4;
/**
 * A cached client's calls are reads: one retry covers a kept-alive socket the server closed
 * just as a request went out (the SDK retries network errors and 5xx, never 4xx).
 */
const SESSION_MAX_ATTEMPTS = 2;

export const MISSING_KEYS_MESSAGE = 'S3 needs an access key ID and a secret access key; the service never uses its own cloud credentials.';

/** AWS's own endpoint for a region (China regions live under amazonaws.com.cn). */
export function defaultS3Endpoint(region: string): string {
  return `https://s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

export const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/** What an S3 client needs from a connection's config and secrets. */
export interface S3Settings {
  bucket: string;
  region: string;
  /** config.prefix: every key of the connection starts with it. */
  prefix: string;
  endpoint: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function s3SettingsOf({ config, secrets }: ResolvedConnection): S3Settings {
  const region = stringOr(config.region, DEFAULT_REGION);
  return {
    bucket: String(config.bucket),
    region,
    prefix: stringOr(config.prefix, ''),
    endpoint: stringOr(config.endpoint, defaultS3Endpoint(region)),
    forcePathStyle: config.forcePathStyle === true,
    accessKeyId: secrets.accessKeyId ?? '',
    secretAccessKey: secrets.secretAccessKey ?? '',
    sessionToken: secrets.sessionToken || undefined,
  };
}

/**
 * An S3 client with the given keys only (never the SDK's default chain: environment, profiles,
 * instance role) and every setting the SDK would otherwise read from the environment or ~/.aws
 * pinned. Its HTTP handler waits for `handlerOptions`, which carry agents pinned to the checked
 * address: nothing is sent before the target passed the egress guard.
 */
export function createS3Client(settings: S3Settings, handlerOptions: Promise<NodeHttpHandlerOptions>, maxAttempts = 1): S3Client {
  const { accessKeyId, secretAccessKey, sessionToken } = settings;
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    // 'auto' defaults would ask the instance metadata service where the service runs.
    defaultsMode: 'standard',
    retryMode: 'standard',
    maxAttempts,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    useAccelerateEndpoint: false,
    followRegionRedirects: false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler(() => handlerOptions),
  });
}

/**
 * The exact URL the SDK will call for the bucket: virtual-hosted (<bucket>.<host>) or
 * path-style, as the SDK's own endpoint rules decide. Its host is the one to check.
 * Throws when the endpoint cannot be used.
 */
export function plannedBucketUrl(client: S3Client, settings: S3Settings): URL {
  return client.config.endpointProvider({
    Bucket: settings.bucket,
    Region: settings.region,
    Endpoint: settings.endpoint,
    ForcePathStyle: settings.forcePathStyle,
    UseFIPS: false,
    UseDualStack: false,
    Accelerate: false,
    UseGlobalEndpoint: false,
    DisableMultiRegionAccessPoints: false,
  }).url;
}

/** HTTP(S) agents whose sockets go only to the checked address; any other host name the SDK might ask for is refused. */
export function pinnedAgents(
  egress: EgressGuard,
  target: ResolvedTarget,
  keepAlive: boolean,
): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const lookup = egress.lookupFor(target);
  const maxSockets = keepAlive ? SESSION_MAX_SOCKETS : 1;
  return { httpAgent: new http.Agent({ keepAlive, maxSockets, lookup }), httpsAgent: new https.Agent({ keepAlive, maxSockets, lookup }) };
}

/** A cached S3 client and what its calls need to know. */
export interface S3Handle {
  client: S3Client;
  settings: S3Settings;
  /** scheme://host of the bucket URL, for messages. */
  where: string;
}

/**
 * Opens the client an S3 session caches: the bucket's host is resolved and checked once, the
 * client's keep-alive agents connect only to that address; `context` bounds only this opening.
 * Requests pass their own deadline (see requestOptions).
 */
export async function openS3Session(connection: ResolvedConnection, context: IntrospectionContext): Promise<Session<S3Handle>> {
  const settings = s3SettingsOf(connection);
  if (!settings.accessKeyId || !settings.secretAccessKey) throw targetFailed({ code: 'AUTH_FAILED', message: MISSING_KEYS_MESSAGE });
  let resolveOptions!: (options: NodeHttpHandlerOptions) => void;
  const client = createS3Client(settings, new Promise((resolve) => (resolveOptions = resolve)), SESSION_MAX_ATTEMPTS);
  const agents: (http.Agent | https.Agent)[] = [];
  const close = async (): Promise<void> => {
    client.destroy();
    for (const agent of agents) agent.destroy();
  };
  try {
    let url: URL;
    try {
      url = plannedBucketUrl(client, settings);
    } catch (error) {
      throw targetFailed({ code: 'PROTOCOL_ERROR', message: `The endpoint is not usable: ${messageOf(error)}` });
    }
    const where = `${url.protocol}//${url.host}`;
    let target: ResolvedTarget;
    try {
      target = await context.egress.resolve(url.hostname, portOf(url), context.signal);
    } catch (error) {
      throw targetFailed(classifyNetworkError(error, where));
    }
    const { httpAgent, httpsAgent } = pinnedAgents(context.egress, target, true);
    agents.push(httpAgent, httpsAgent);
    resolveOptions({ httpAgent, httpsAgent, connectionTimeout: CONNECT_TIMEOUT_MS, throwOnRequestTimeout: true });
    return { client: { client, settings, where }, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Per request: abort at the operation's deadline. */
export function requestOptions(context: IntrospectionContext): { abortSignal: AbortSignal; requestTimeout: number } {
  return { abortSignal: context.signal, requestTimeout: Math.max(1, context.remainingMs()) };
}
