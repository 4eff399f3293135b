import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { Connector, ConnectorContext, ResolvedConnection, TestError, TestErrorCode, TestResult } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { connectTcp } from '../testing/reach';
import { classifyNetworkError } from '../testing/network-errors';
import { messageOf, secretScrubber, StageFailure, TestRun } from '../testing/test-run';

const DEFAULT_REGION = 'us-east-1';
const CONNECT_TIMEOUT_MS = 5_000;
const SERVER_HEADER_MAX = 100;

type Details = Record<string, string | number | boolean>;

/** S3 error codes (the `Code` of the XML error body, the SDK's error name) and what they mean here. */
const S3_ERROR_CODES: Record<string, TestErrorCode> = {
  InvalidAccessKeyId: 'AUTH_FAILED',
  SignatureDoesNotMatch: 'AUTH_FAILED',
  InvalidToken: 'AUTH_FAILED',
  ExpiredToken: 'AUTH_FAILED',
  TokenRefreshRequired: 'AUTH_FAILED',
  InvalidSecurity: 'AUTH_FAILED',
  AccessDenied: 'PERMISSION_DENIED',
  AllAccessDisabled: 'PERMISSION_DENIED',
  AccountProblem: 'PERMISSION_DENIED',
  Forbidden: 'PERMISSION_DENIED',
  NoSuchBucket: 'NOT_FOUND',
  NotFound: 'NOT_FOUND',
};

/** What the SDK throws for an S3 error answer (S3ServiceException), as far as classification needs. */
interface ServiceErrorShape {
  name?: unknown;
  message?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value : fallback);
const statusOf = (error: unknown): number | undefined => (error as ServiceErrorShape | null)?.$metadata?.httpStatusCode;

/** The S3 error code of an SDK error, if the server gave one (HEAD answers carry no body, hence often none). */
function s3CodeOf(error: unknown): string | undefined {
  const shape = error as ServiceErrorShape | null;
  const code = typeof shape?.Code === 'string' ? shape.Code : typeof shape?.name === 'string' ? shape.name : undefined;
  // The SDK names body-less errors 'Unknown' / 'UnknownError' / the bare status.
  return code && !/^(Unknown|UnknownError|\d{3})$/.test(code) ? code : undefined;
}

/** AWS's own endpoint for a region (China regions live under amazonaws.com.cn). */
export function defaultS3Endpoint(region: string): string {
  return `https://s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * Classifies what a HeadBucket/ListObjectsV2 call threw: S3 error answers by code, then by
 * HTTP status; everything else (sockets, TLS, deadlines, the egress pin) as a network error.
 */
export function classifyS3Error(error: unknown, where: string, bucket: string, signal?: AbortSignal, region?: string): TestError {
  if (signal?.aborted) return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  const status = statusOf(error);
  if (typeof status === 'number') {
    const code = s3CodeOf(error);
    const serverMessage = stringOr((error as ServiceErrorShape).message, '');
    const said = code ? ` (${code}${serverMessage && serverMessage !== code ? `: ${serverMessage}` : ''})` : '';
    const mapped = code ? S3_ERROR_CODES[code] : undefined;
    const bucketRegion = (error as ServiceErrorShape).$response?.headers?.['x-amz-bucket-region'];
    // S3 names the bucket's region on a wrong-region answer (301, or 400 from a HEAD, which has no body).
    const wrongRegion = status === 301 || status === 400 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed';
    if (!mapped && wrongRegion && bucketRegion && bucketRegion !== region) {
      return { code: 'PROTOCOL_ERROR', message: `Bucket "${bucket}" is in region ${bucketRegion}; set region to ${bucketRegion}.` };
    }
    const final: TestErrorCode =
      mapped ?? (status === 401 ? 'AUTH_FAILED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : 'PROTOCOL_ERROR');
    switch (final) {
      case 'AUTH_FAILED':
        return { code: final, message: `${where} rejected the credentials${said}.` };
      case 'PERMISSION_DENIED':
        return { code: final, message: `Access to bucket "${bucket}" was denied${said}.` };
      case 'NOT_FOUND':
        return { code: final, message: `Bucket "${bucket}" does not exist at ${where}${said}.` };
      default:
        return { code: final, message: `${where} answered HTTP ${status}${said}.` };
    }
  }
  const errno = (error as { code?: unknown } | null)?.code;
  // The SDK's HTTP handler renames a reset into a TimeoutError; it is not a deadline.
  if (errno === 'ECONNRESET' || errno === 'EPIPE')
    return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection without an S3 answer.` };
  const cause = (error as { cause?: unknown } | null)?.cause;
  const classified = classifyNetworkError(error, where);
  return classified.code === 'PROTOCOL_ERROR' && cause instanceof Error ? classifyNetworkError(cause, where) : classified;
}

/** A TLS handshake with the checked address, verifying the host name; nothing is sent. */
function handshake(target: ResolvedTarget, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The certificate is checked against `servername` (against the address for an IP literal).
    const socket = tls.connect({ host: target.address, port, servername: isIP(target.host) ? undefined : target.host });
    const abort = () => socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', abort);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      reject(error);
    });
  });
}

/** Settled from outside once the target is checked: the handler's agents exist only from then on. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export class S3Connector implements Connector {
  readonly type = 's3' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const bucket = String(config.bucket);
    const region = stringOr(config.region, DEFAULT_REGION);
    const prefix = stringOr(config.prefix, '');
    const endpoint = stringOr(config.endpoint, defaultS3Endpoint(region));
    const run = new TestRun('aws-sdk-s3', secretScrubber(secrets));
    const details: Details = { bucket };
    if (prefix) details.prefix = prefix;

    // Only the credentials given, never the SDK's default chain (environment, profiles, instance role):
    // without them the test ends here, before any lookup or connection.
    const accessKeyId = secrets.accessKeyId ?? '';
    const secretAccessKey = secrets.secretAccessKey ?? '';
    if (!accessKeyId || !secretAccessKey) {
      try {
        await run.stage(
          'auth',
          async () => {
            throw new StageFailure({
              code: 'AUTH_FAILED',
              message: 'S3 needs an access key ID and a secret access key; the service never uses its own cloud credentials.',
            });
          },
          () => ({ code: 'AUTH_FAILED', message: '' }),
        );
      } catch (error) {
        return run.fail(error, details);
      }
    }

    const handlerOptions = deferred<NodeHttpHandlerOptions>();
    const agents: (http.Agent | https.Agent)[] = [];
    let serverHeader: string | undefined;
    let client: S3Client | undefined;
    let where = endpoint;
    try {
      client = new S3Client({
        region,
        endpoint,
        forcePathStyle: config.forcePathStyle === true,
        credentials: { accessKeyId, secretAccessKey, ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}) },
        // Everything the SDK would otherwise read from the environment or ~/.aws, pinned:
        // 'auto' defaults would ask the instance metadata service where the service runs.
        defaultsMode: 'standard',
        retryMode: 'standard',
        maxAttempts: 1,
        useFipsEndpoint: false,
        useDualstackEndpoint: false,
        useAccelerateEndpoint: false,
        followRegionRedirects: false,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: new NodeHttpHandler(() => handlerOptions.promise),
      });
      client.middlewareStack.add(
        (next) => async (args) => {
          const output = await next(args);
          const server = (output.response as { headers?: Record<string, string> } | undefined)?.headers?.server;
          if (server) serverHeader = server.slice(0, SERVER_HEADER_MAX);
          return output;
        },
        { step: 'deserialize', name: 'switchboardServerHeader' },
      );
      const s3 = client;

      // The exact URL the SDK will call for this bucket: virtual-hosted (<bucket>.<host>) or
      // path-style, as the SDK's own endpoint rules decide. That host is the one checked.
      const classify = (error: unknown): TestError => classifyS3Error(error, where, bucket, context.signal, region);
      const { url, target } = await run.stage(
        'dns',
        async () => {
          let planned: URL;
          try {
            planned = s3.config.endpointProvider({
              Bucket: bucket,
              Region: region,
              Endpoint: endpoint,
              ForcePathStyle: config.forcePathStyle === true,
              UseFIPS: false,
              UseDualStack: false,
              Accelerate: false,
              UseGlobalEndpoint: false,
              DisableMultiRegionAccessPoints: false,
            }).url;
          } catch (error) {
            throw new StageFailure({ code: 'PROTOCOL_ERROR', message: `The endpoint is not usable: ${messageOf(error)}` });
          }
          where = `${planned.protocol}//${planned.host}`;
          return { url: planned, target: await context.egress.resolve(planned.hostname, portOf(planned), context.signal) };
        },
        classify,
      );
      const port = portOf(url);
      await run.stage('tcp', () => connectTcp(target.address, port, context.signal), classify);
      if (url.protocol === 'https:') await run.stage('tls', () => handshake(target, port, context.signal), classify);

      // Sockets go only to the checked address; any other host name the SDK might ask for is refused.
      const lookup = context.egress.lookupFor(target);
      const httpAgent = new http.Agent({ keepAlive: false, maxSockets: 1, lookup });
      const httpsAgent = new https.Agent({ keepAlive: false, maxSockets: 1, lookup });
      agents.push(httpAgent, httpsAgent);
      handlerOptions.resolve({
        httpAgent,
        httpsAgent,
        connectionTimeout: Math.max(1, Math.min(CONNECT_TIMEOUT_MS, context.remainingMs())),
        requestTimeout: Math.max(1, context.remainingMs()),
        throwOnRequestTimeout: true,
        socketTimeout: Math.max(1, context.remainingMs()),
      });
      const options = () => ({ abortSignal: context.signal, requestTimeout: Math.max(1, context.remainingMs()) });

      const head = await run.stage(
        'auth',
        async () => {
          try {
            return await s3.send(new HeadBucketCommand({ Bucket: bucket }), options());
          } catch (error) {
            // A HEAD answer has no body, so a 403 says neither why nor which code: ask once more
            // with a listing, whose error body tells bad keys (AUTH_FAILED) from missing rights.
            if (statusOf(error) !== 403 || s3CodeOf(error) || context.signal.aborted) throw error;
            try {
              await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), options());
            } catch (listError) {
              if (s3CodeOf(listError)) throw listError;
            }
            throw error;
          }
        },
        classify,
      );
      if (head.BucketRegion) details.bucketRegion = head.BucketRegion;

      const listing = await run.stage(
        'query',
        () => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1, ...(prefix ? { Prefix: prefix } : {}) }), options()),
        classify,
      );
      const seen = listing.KeyCount ?? listing.Contents?.length ?? 0;
      details.objectsSeen = seen;
      const under = prefix ? ` under "${prefix}"` : '';
      const found = seen > 0 ? `found objects${under}` : `no objects${under}`;
      return run.succeed(`Bucket "${bucket}" at ${where} is readable; ${found}.`, serverHeader, details);
    } catch (error) {
      return run.fail(error, details);
    } finally {
      client?.destroy();
      for (const agent of agents) agent.destroy();
    }
  }
}
