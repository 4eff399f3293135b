import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { AppError, ErrorCode } from '@switchboard/common';
import { startCountingProxy, type CountingProxy } from '../../../../test/support/counting-proxy';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ResolvedConnection } from '../connector';
import { EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import type { FileListing, FilesRequest, IntrospectionContext } from '../introspection/types';
import { SessionCache, type Session } from '../sessions/session-cache';
import { openS3Session, type S3Handle } from './s3-client';
import { openS3Object, s3Failure, S3RangeReader } from './s3-files';
import { S3Connector } from './s3.connector';

/** `localhost` reaches the loopback s3rver; every lookup is recorded. */
const lookups: string[] = [];
const resolver: EgressResolver = async (host) => {
  lookups.push(host);
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const egress = new EgressGuard(EgressPolicy.parse({}), resolver);
const connector = new S3Connector();

async function sessionPerCall<T, R>(open: () => Promise<Session<T>>, work: (client: T) => Promise<R>): Promise<R> {
  const session = await open();
  try {
    return await work(session.client);
  } finally {
    await session.close();
  }
}

/** An introspection context with a deadline; sessions from `cache` (counted in `opens`) or one per call. */
function contextFor(
  options: { ms?: number; cache?: SessionCache; connectionId?: string; opens?: { count: number } } = {},
): IntrospectionContext {
  const ms = options.ms ?? 10_000;
  const deadline = Date.now() + ms;
  const { cache, connectionId = 's3-connection', opens } = options;
  return {
    signal: AbortSignal.timeout(ms),
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress,
    session: (variant, open, work) => {
      const counted = () => {
        if (opens) opens.count += 1;
        return open();
      };
      return cache ? cache.use(connectionId, 1, counted, work, variant) : sessionPerCall(counted, work);
    },
  };
}

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const BULK = 2_500;
const bulkKey = (i: number): string => `bulk/k${String(i).padStart(4, '0')}`;

describe('S3 files and file schemas against a real s3rver', () => {
  let servers: Pick<Servers, 's3'> | undefined;
  let s3: Servers['s3'];

  const connection = (config: Partial<ConnectionConfig> = {}, secrets?: Secrets): ResolvedConnection => ({
    type: 's3',
    generation: '1',
    config: { bucket: s3.bucket, endpoint: `http://localhost:${s3.port}`, forcePathStyle: true, region: s3.region, ...config },
    secrets: secrets ?? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const list = (request: Partial<FilesRequest>, conn = connection(), context = contextFor()): Promise<FileListing> =>
    connector.listFiles(conn, context, { prefix: '', limit: 1000, ...request });
  const schemaOf = (file: string, conn = connection(), context = contextFor()) => connector.inferFileSchema(conn, context, file);
  const keysOf = (listing: FileListing): string[] => listing.objects.map((object) => object.key);

  before(async () => {
    servers = await startServers(['s3']);
    s3 = servers.s3;
    const fixtures: Record<string, string> = {
      'exports/': '',
      'exports/readme.txt': 'read me\n',
      'exports/2025/c.csv': 'id,amount\n1,2.5\n',
      'exports/2026/a.csv': 'id,name,joined\n1,Ada,2024-01-02\n2,Grace,2024-02-03\n',
      'exports/2026/b.jsonl': '{"id":1,"ok":true}\n{"id":2,"ok":false}\n',
      'exports2/leak.txt': 'sibling prefix\n',
      'other/x.txt': 'x\n',
      'weird/a..b.csv': 'a,b\n1,2\n',
    };
    for (const [key, body] of Object.entries(fixtures)) await s3.put(key, body);
    const client = s3.client();
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < BULK) {
          const key = bulkKey(next++);
          await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: key }));
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      client.destroy();
    }
  });

  after(async () => {
    await stopServers(servers);
  });

  describe('listFiles', () => {
    it('groups keys under the delimiter into commonPrefixes', async () => {
      const top = await list({ delimiter: '/' });
      assert.deepEqual(top.commonPrefixes, ['bulk/', 'exports/', 'exports2/', 'other/', 'weird/']);
      assert.deepEqual(top.objects, []);
      assert.equal(top.nextCursor, null);
      const nested = await list({ prefix: 'exports/', delimiter: '/' });
      assert.deepEqual(nested.commonPrefixes, ['exports/2025/', 'exports/2026/']);
      assert.deepEqual(keysOf(nested), ['exports/readme.txt'], 'the folder marker exports/ is not a file');
      const file = nested.objects[0];
      assert.equal(file.size, 8);
      assert.match(file.lastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('lists every key below the prefix without a delimiter', async () => {
      const all = await list({ prefix: 'exports/2' });
      assert.deepEqual(keysOf(all), ['exports/2025/c.csv', 'exports/2026/a.csv', 'exports/2026/b.jsonl']);
      assert.deepEqual(all.commonPrefixes, []);
    });

    it('keeps keys relative to config.prefix and never shows a sibling prefix', async () => {
      const conn = connection({ prefix: 'exports/' });
      const top = await list({ delimiter: '/' }, conn);
      assert.deepEqual(top.commonPrefixes, ['2025/', '2026/']);
      assert.deepEqual(keysOf(top), ['readme.txt']);
      assert.deepEqual(keysOf(await list({}, conn)), ['2025/c.csv', '2026/a.csv', '2026/b.jsonl', 'readme.txt']);
      assert.deepEqual(keysOf(await list({ prefix: '2026/' }, conn)), ['2026/a.csv', '2026/b.jsonl']);
      const schema = await schemaOf('2026/a.csv', conn);
      assert.equal(schema.path, '2026/a.csv');
      assert.equal(schema.format, 'csv');
      assert.equal((await appErrorOf(schemaOf('leak.txt', conn))).code, ErrorCode.NOT_FOUND);
    });

    it(`pages ${BULK} keys by 1000 with S3 continuation tokens: every key exactly once`, async () => {
      const keys: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ prefix: 'bulk/', cursor });
        sizes.push(page.objects.length);
        keys.push(...keysOf(page));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(sizes, [1000, 1000, 500]);
      assert.equal(new Set(keys).size, BULK);
      assert.deepEqual(
        keys,
        Array.from({ length: BULK }, (_, i) => bulkKey(i)),
      );
    });

    it('answers an empty listing for a prefix nothing starts with', async () => {
      assert.deepEqual(await list({ prefix: 'nothing/', delimiter: '/' }), {
        prefix: 'nothing/',
        objects: [],
        commonPrefixes: [],
        nextCursor: null,
      });
    });

    it('answers 400 for a cursor that is not a nextCursor S3 gave', async () => {
      for (const cursor of ['garbage', 'AAAA', '%%%']) {
        const error = await appErrorOf(list({ prefix: '', cursor }));
        assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
        assert.equal(error.options.errors?.[0]?.field, 'cursor');
      }
    });

    it('answers 404 for a missing bucket, for listings and file schemas', async () => {
      const conn = connection({ bucket: 'no-such-bucket' });
      const listing = await appErrorOf(list({}, conn));
      assert.equal(listing.code, ErrorCode.NOT_FOUND);
      assert.equal(listing.detail, 'Bucket "no-such-bucket" not found.');
      assert.equal((await appErrorOf(schemaOf('a.csv', conn))).detail, 'Bucket "no-such-bucket" not found.');
    });

    it('refuses "." and ".." key segments with 422, and accepts dots inside a name', async () => {
      for (const prefix of ['..', '../', '../exports2/', 'exports/../', './', 'exports/./2026/']) {
        assert.equal((await appErrorOf(list({ prefix }, connection({ prefix: 'exports/' })))).code, ErrorCode.UNPROCESSABLE, prefix);
      }
      for (const file of ['../exports2/leak.txt', 'exports/../exports2/leak.txt', './exports/2026/a.csv', '..']) {
        assert.equal((await appErrorOf(schemaOf(file))).code, ErrorCode.UNPROCESSABLE, file);
      }
      assert.deepEqual(keysOf(await list({ prefix: 'weird/' })), ['weird/a..b.csv']);
      assert.equal((await schemaOf('weird/a..b.csv')).format, 'csv');
    });
  });

  describe('inferFileSchema', () => {
    it('infers CSV and JSON lines schemas', async () => {
      const csv = await schemaOf('exports/2026/a.csv');
      assert.deepEqual(
        csv.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'integer'],
          ['name', 'string'],
          ['joined', 'date'],
        ],
      );
      assert.equal((await schemaOf('exports/2026/b.jsonl')).format, 'jsonl');
    });

    it('answers 404 for a missing key and 422 for a "directory"', async () => {
      assert.equal((await appErrorOf(schemaOf('exports/2026/missing.csv'))).code, ErrorCode.NOT_FOUND);
      for (const directory of ['exports/2026', 'exports/2026/', 'exports/', '']) {
        const error = await appErrorOf(schemaOf(directory));
        assert.equal(error.code, ErrorCode.UNPROCESSABLE, directory);
        assert.match(error.detail, /directory, not a file/);
      }
    });

    it('reads exact byte ranges with ranged GETs, each pinned to the ETag HeadObject saw', async () => {
      const content = crypto.randomBytes(3 * 1024 * 1024 + 17);
      await s3.put('ranges/random.bin', content);
      const context = contextFor();
      const session = await openS3Session(connection(), context);
      try {
        const object = await openS3Object(session.client, context, 'ranges/random.bin');
        assert.match(object.etag ?? '', /^"[0-9a-f]{32}"$/);
        const reader = new S3RangeReader(session.client, context, object);
        assert.equal(reader.size, content.length);
        assert.deepEqual(await reader.read(0, 10), content.subarray(0, 10));
        assert.deepEqual(await reader.read(123_457, 2_000_000), content.subarray(123_457, 2_123_457));
        assert.deepEqual(await reader.read(content.length - 5, 100), content.subarray(content.length - 5));
        assert.equal((await reader.read(content.length, 10)).length, 0);
        assert.equal(reader.bytesRead, 10 + 2_000_000 + 5);
      } finally {
        await session.close();
      }
    });
  });

  describe('sessions and failures', () => {
    let proxy: CountingProxy;
    before(async () => {
      proxy = await startCountingProxy(s3.port);
    });
    after(async () => {
      await proxy?.close();
    });

    it('reuses one client (and its kept-alive socket) across calls; survives a dropped connection; closes on eviction', async () => {
      const cache = new SessionCache();
      const opens = { count: 0 };
      const conn = connection({ endpoint: `http://localhost:${proxy.port}` });
      const context = () => contextFor({ cache, opens });
      proxy.reset();
      try {
        await list({ prefix: 'exports/' }, conn, context());
        await schemaOf('exports/2026/a.csv', conn, context());
        await list({ prefix: 'other/' }, conn, context());
        assert.equal(opens.count, 1, 'one client for three calls');
        assert.equal(proxy.connections, 1, 'one TCP connection for five requests');

        proxy.dropAll();
        assert.deepEqual(keysOf(await list({ prefix: 'other/' }, conn, context())), ['other/x.txt']);
        assert.equal(opens.count, 1);
        assert.equal(proxy.connections, 2);

        cache.evictConnection('s3-connection');
        for (let i = 0; i < 50 && proxy.open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(proxy.open, 0, 'the evicted client was destroyed with its sockets');
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('never looks anything up without keys, and answers 502 AUTH_FAILED', async () => {
      lookups.length = 0;
      const error = await appErrorOf(list({}, connection({}, {})));
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'AUTH_FAILED');
      assert.deepEqual(lookups, []);
    });

    it('answers 502 AUTH_FAILED for keys the server does not know, without the secret', async () => {
      const error = await appErrorOf(
        list({}, connection({}, { accessKeyId: 'AKIACANARY7F3A9C51BE', secretAccessKey: 'sk-canary-51be02-9f3e' })),
      );
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'AUTH_FAILED');
      const json = JSON.stringify({ detail: error.detail, options: error.options });
      assert.ok(!json.includes('AKIACANARY7F3A9C51BE') && !json.includes('sk-canary-51be02-9f3e'), json);
    });

    it('connects only through the egress guard: the metadata address is refused like an unreachable host', async () => {
      const error = await appErrorOf(list({}, connection({ endpoint: 'http://169.254.169.254' })));
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'EGRESS_DENIED');
    });

    it('maps AccessDenied to 403 FORBIDDEN, a missing key to 404 and a changed object to 409', () => {
      const handle = { where: 'http://localhost:1', settings: { bucket: 'b', region: 'us-east-1' } } as S3Handle;
      const exception = (name: string, status: number) =>
        new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
      const context = contextFor();
      const denied = s3Failure(exception('AccessDenied', 403), handle, context, (m) => m, undefined);
      assert.equal(denied.code, ErrorCode.FORBIDDEN);
      assert.match(denied.detail, /Access to bucket "b" was denied \(AccessDenied\)/);
      assert.equal(s3Failure(exception('NoSuchKey', 404), handle, context, (m) => m, 'x.csv').detail, 'File "x.csv" not found.');
      assert.equal(s3Failure(exception('NoSuchBucket', 404), handle, context, (m) => m, 'x.csv').detail, 'Bucket "b" not found.');
      assert.equal(s3Failure(exception('SlowDown', 503), handle, context, (m) => m, undefined).code, ErrorCode.TARGET_UNAVAILABLE);
      // If-Match failed: the object changed between HeadObject and a ranged read (s3rver ignores If-Match).
      assert.equal(s3Failure(exception('PreconditionFailed', 412), handle, context, (m) => m, 'x.csv').code, ErrorCode.CONFLICT);
    });
  });
});
