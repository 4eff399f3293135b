import type http from 'node:http';
import type https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { HeadBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { Connector, ConnectorContext, ResolvedConnection, TestError, TestResult } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { inferFileSchema } from '../files/infer-file-schema';
import type { FileListing, FileSchema, FilesRequest, IntrospectionContext } from '../introspection/types';
import { connectTcp, openedThenClosed } from '../probes/reach';
import { messageOf, secretScrubber, StageFailure, TestRun } from '../probes/test-run';
import {
  CONNECT_TIMEOUT_MS,
  createS3Client,
  MISSING_KEYS_MESSAGE,
  openS3Session,
  pinnedAgents,
  plannedBucketUrl,
  portOf,
  s3SettingsOf,
  type S3Handle,
} from './s3-client';
import { classifyS3Error, s3CodeOf, statusOf } from './s3-errors';
import { listS3Files, openS3Object, s3Failure, S3RangeReader } from './s3-files';

export { defaultS3Endpoint } from './s3-client';
export { classifyS3Error } from './s3-errors';

const SERVER_HEADER_MAX = 100;

type Details = Record<string, string | number | boolean>;

/** A TLS handshake with the checked address, verifying the host name; nothing is sent. */
function handshake(target: ResolvedTarget, port: number, signal: AbortSignal): Promise<void> {
  // The certificate is checked against `servername` (against the address for an IP literal).
  const socket = tls.connect({ host: target.address, port, servername: isIP(target.host) ? undefined : target.host });
  return openedThenClosed(socket, 'secureConnect', signal);
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
    const settings = s3SettingsOf(connection);
    const { bucket, region, prefix, endpoint } = settings;
    const run = new TestRun('aws-sdk-s3', secretScrubber(connection.secrets));
    const details: Details = { bucket };
    if (prefix) details.prefix = prefix;

    // Only the credentials given, never the SDK's default chain (environment, profiles, instance role):
    // without them the test ends here, before any lookup or connection.
    if (!settings.accessKeyId || !settings.secretAccessKey) {
      try {
        await run.stage(
          'auth',
          async () => {
            throw new StageFailure({ code: 'AUTH_FAILED', message: MISSING_KEYS_MESSAGE });
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
      client = createS3Client(settings, handlerOptions.promise);
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

      const classify = (error: unknown): TestError => classifyS3Error(error, where, bucket, context.signal, region);
      const { url, target } = await run.stage(
        'dns',
        async () => {
          let planned: URL;
          try {
            planned = plannedBucketUrl(s3, settings);
          } catch (error) {
            throw new StageFailure({ code: 'PROTOCOL_ERROR', message: `The endpoint is not usable: ${messageOf(error)}` });
          }
          where = `${planned.protocol}//${planned.host}`;
          return { url: planned, target: await context.egress.resolve(planned.hostname, portOf(planned), context.signal) };
        },
        classify,
      );
      const port = portOf(url);
      await run.stage('tcp', () => connectTcp(target, port, context.signal), classify);
      if (url.protocol === 'https:') await run.stage('tls', () => handshake(target, port, context.signal), classify);

      const { httpAgent, httpsAgent } = pinnedAgents(context.egress, target, false);
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

  /** ListObjectsV2 under config.prefix; keys and commonPrefixes come back relative to it. */
  listFiles(connection: ResolvedConnection, context: IntrospectionContext, request: FilesRequest): Promise<FileListing> {
    return this.withClient(connection, context, undefined, (s3) => listS3Files(s3, context, request));
  }

  /** HeadObject for the size, then ranged GetObjects for the head or footer the format code asks for. */
  inferFileSchema(connection: ResolvedConnection, context: IntrospectionContext, path: string): Promise<FileSchema> {
    return this.withClient(connection, context, path, async (s3) => {
      const object = await openS3Object(s3, context, path);
      return inferFileSchema(path, new S3RangeReader(s3, context, object));
    });
  }

  /** Runs `work` with the cached client of this connection version; errors become AppErrors. */
  private async withClient<R>(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    path: string | undefined,
    work: (s3: S3Handle) => Promise<R>,
  ): Promise<R> {
    const scrub = secretScrubber(connection.secrets);
    let handle: S3Handle | undefined;
    try {
      return await context.session(
        '',
        () => openS3Session(connection, context),
        (s3) => work((handle = s3)),
      );
    } catch (error) {
      throw s3Failure(error, handle, context, scrub, path);
    }
  }
}
