import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { startCountingProxy, type CountingProxy } from '../../../../test/support/counting-proxy';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ResolvedConnection, UnpinnedHostKey } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import type { FileListing, FilesRequest, IntrospectionContext } from '../introspection/types';
import { secretScrubber } from '../probes/test-run';
import { SessionCache, type Session } from '../sessions/session-cache';
import { listSftpFiles, MAX_DIRECTORY_ENTRIES, openSftpFile, SftpRangeReader } from './sftp-files';
import { normalRoot } from './sftp-paths';
import { SftpLink } from './sftp-session';
import { SftpConnector } from './sftp.connector';
import { sshSettingsOf } from './ssh-connection';

const egress = new EgressGuard(EgressPolicy.parse({}));
const connector = new SftpConnector();

/** Runs `work` on a session opened for this call and closed after it. */
async function sessionPerCall<T, R>(open: () => Promise<Session<T>>, work: (client: T) => Promise<R>): Promise<R> {
  const session = await open();
  try {
    return await work(session.client);
  } finally {
    await session.close();
  }
}

/** An introspection context with a deadline; sessions from `cache` (as the service does) or one per call. */
function contextFor(options: { ms?: number; cache?: SessionCache; connectionId?: string } = {}): IntrospectionContext {
  const ms = options.ms ?? 10_000;
  const deadline = Date.now() + ms;
  const { cache, connectionId = 'sftp-connection' } = options;
  return {
    signal: AbortSignal.timeout(ms),
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress,
    session: (variant, open, work) => (cache ? cache.use(connectionId, 1, open, work, variant) : sessionPerCall(open, work)),
  };
}

/** The AppError a call rejects with. */
async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const OUTSIDE = "The path is outside the connection's rootPath.";
const keysOf = (listing: FileListing): string[] => listing.objects.map((object) => object.key);

describe('SFTP files and file schemas against a real OpenSSH sshd', () => {
  let servers: Pick<Servers, 'sshd'> | undefined;
  let sshd: Servers['sshd'];
  /** <sshd dir>/fs: `data` is the root of most connections, `data2` its sibling, `outside.txt` beside them. */
  let fsDir = '';
  let root = '';
  let canaries: string[] = [];

  const connection = (config: Partial<ConnectionConfig> = {}, secrets?: Secrets): ResolvedConnection => ({
    type: 'sftp',
    generation: '1',
    config: { host: sshd.host, port: sshd.port, username: sshd.username, rootPath: root, ...config },
    secrets: secrets ?? { password: sshd.password },
  });
  /** Most calls borrow the session of their connection settings from one cache, as the service does. */
  const shared = new SessionCache();
  const cached = (conn: ResolvedConnection): IntrospectionContext =>
    contextFor({ cache: shared, connectionId: JSON.stringify([conn.config, conn.secrets]) });
  const list = (request: Partial<FilesRequest>, conn = connection(), context = cached(conn)): Promise<FileListing> =>
    connector.listFiles(conn, context, { prefix: '', limit: 100, ...request });
  const schemaOf = (file: string, conn = connection(), context = cached(conn)) => connector.inferFileSchema(conn, context, file);

  before(async () => {
    servers = await startServers(['sshd']);
    sshd = servers.sshd;
    canaries = [sshd.password];
    fsDir = path.join(path.dirname(sshd.rootDir), 'fs');
    root = path.join(fsDir, 'data');
    const write = (name: string, content: string | Buffer): void => {
      fs.mkdirSync(path.dirname(path.join(fsDir, name)), { recursive: true });
      fs.writeFileSync(path.join(fsDir, name), content);
    };
    write('data/a.csv', 'id,name,joined\n1,Ada,2024-01-02\n2,Grace,2024-02-03\n');
    write('data/b.jsonl', '{"id":1,"tags":["x"],"score":1.5}\n{"id":2,"tags":[],"score":null}\n');
    write('data/nested/one/two/deep.csv', 'k;v\na;1\n');
    write('data/%2e%2e/literal.txt', 'literal\n');
    for (let i = 0; i < 250; i++) write(`data/many/f${String(i).padStart(3, '0')}.txt`, `${i}\n`);
    fs.mkdirSync(path.join(root, 'emptydir'));
    write('data2/secret.txt', 'id,secret\n1,sibling secret\n');
    write('outside.txt', 'id,secret\n1,outside secret\n');
    fs.symlinkSync('nested', path.join(root, 'link-inside'));
    fs.symlinkSync('a.csv', path.join(root, 'link-file'));
    fs.symlinkSync('/etc', path.join(root, 'link-out'));
    fs.symlinkSync('/etc/passwd', path.join(root, 'link-out-file'));
    fs.symlinkSync('../data2', path.join(root, 'link-sibling'));
    fs.symlinkSync('../outside.txt', path.join(root, 'link-outside-file'));
    fs.symlinkSync('does-not-exist', path.join(root, 'link-broken'));
    fs.symlinkSync('data', path.join(fsDir, 'rootlink'));
    // Owned by root and private: the test user may not read them.
    write('perm/locked/inside.csv', 'a\n1\n');
    write('perm/locked.csv', 'a\n1\n');
    fs.chmodSync(path.join(fsDir, 'perm/locked'), 0o700);
    fs.chmodSync(path.join(fsDir, 'perm/locked.csv'), 0o600);
  });

  after(async () => {
    await shared.onApplicationShutdown();
    await stopServers(servers);
  });

  describe('listFiles', () => {
    it('lists files as objects and subdirectories as commonPrefixes; symlinks count only when they resolve inside the root', async () => {
      const listing = await list({ delimiter: '/' });
      assert.deepEqual(
        listing.objects.map((object) => object.key),
        ['a.csv', 'b.jsonl', 'link-file'],
      );
      assert.deepEqual(listing.commonPrefixes, ['%2e%2e/', 'emptydir/', 'link-inside/', 'many/', 'nested/']);
      assert.equal(listing.nextCursor, null);
      assert.equal(listing.prefix, '');
      const csv = listing.objects[0];
      const stat = fs.statSync(path.join(root, 'a.csv'));
      assert.equal(csv.size, stat.size);
      assert.equal(csv.lastModified, new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toISOString());
      // A symlink to a file is listed with the size of its target.
      assert.equal(listing.objects[2].size, stat.size);
    });

    it('without a delimiter lists only the files of that one directory (no recursion)', async () => {
      const listing = await list({}, connection(), contextFor()); // a session opened and closed for this call
      assert.deepEqual(
        listing.objects.map((object) => object.key),
        ['a.csv', 'b.jsonl', 'link-file'],
      );
      assert.deepEqual(listing.commonPrefixes, []);
    });

    it('lists nested directories, partial names and directories reached through an inside symlink', async () => {
      assert.deepEqual((await list({ prefix: 'nested/', delimiter: '/' })).commonPrefixes, ['nested/one/']);
      assert.deepEqual((await list({ prefix: 'nested/on', delimiter: '/' })).commonPrefixes, ['nested/one/']);
      const deep = await list({ prefix: 'nested/one/two/' });
      assert.deepEqual(
        deep.objects.map((object) => [object.key, object.size]),
        [['nested/one/two/deep.csv', 8]],
      );
      assert.deepEqual(
        (await list({ prefix: 'link-inside/one/two/' })).objects.map((object) => object.key),
        ['link-inside/one/two/deep.csv'],
      );
      assert.deepEqual(
        (await list({ prefix: 'many/f24' })).objects.map((object) => object.key),
        [
          'many/f240.txt',
          'many/f241.txt',
          'many/f242.txt',
          'many/f243.txt',
          'many/f244.txt',
          'many/f245.txt',
          'many/f246.txt',
          'many/f247.txt',
          'many/f248.txt',
          'many/f249.txt',
        ],
      );
      // `.` and `..` that stay inside the root are resolved.
      assert.deepEqual((await list({ prefix: 'nested/one/../', delimiter: '/' })).commonPrefixes, ['nested/one/']);
    });

    it('pages 250 files by 100 with an opaque cursor: every file exactly once, in order', async () => {
      const keys: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ prefix: 'many/', cursor });
        pageSizes.push(page.objects.length);
        keys.push(...page.objects.map((object) => object.key));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(pageSizes, [100, 100, 50]);
      const expected = Array.from({ length: 250 }, (_, i) => `many/f${String(i).padStart(3, '0')}.txt`);
      assert.deepEqual(keys, expected);
      // Exactly `limit` entries left: no further page.
      assert.equal((await list({ prefix: 'many/f1' })).nextCursor, null);
      assert.equal((await list({ prefix: 'many/f1' })).objects.length, 100);
    });

    it('answers empty listings for an empty directory or a partial name nothing starts with', async () => {
      for (const prefix of ['emptydir/', 'zzz', 'many/g']) {
        assert.deepEqual(await list({ prefix, delimiter: '/' }), { prefix, objects: [], commonPrefixes: [], nextCursor: null });
      }
    });

    it('answers 404 for a missing directory, or a file used as one', async () => {
      for (const prefix of ['nope/', 'nested/nope/x', 'a.csv/']) {
        const error = await appErrorOf(list({ prefix }));
        assert.equal(error.code, ErrorCode.NOT_FOUND, prefix);
      }
    });

    it('answers 403 for a directory or file the user may not read', async () => {
      const conn = connection({ rootPath: path.join(fsDir, 'perm') });
      assert.deepEqual(keysOf(await list({ delimiter: '/' }, conn)), ['locked.csv']);
      const directory = await appErrorOf(list({ prefix: 'locked/' }, conn));
      assert.equal(directory.code, ErrorCode.FORBIDDEN);
      assert.equal(directory.detail, 'User "sbtest" may not read directory "locked/".');
      const file = await appErrorOf(schemaOf('locked.csv', conn));
      assert.equal(file.code, ErrorCode.FORBIDDEN);
    });

    it('answers 400 for a forged cursor or a delimiter other than /', async () => {
      assert.equal((await appErrorOf(list({ prefix: 'many/', cursor: 'bm90LWpzb24' }))).code, ErrorCode.VALIDATION_FAILED);
      assert.equal((await appErrorOf(list({ delimiter: ',' }))).code, ErrorCode.VALIDATION_FAILED);
    });

    it('works the same when rootPath is a symlink to the directory or ends with a slash', async () => {
      for (const rootPath of [path.join(fsDir, 'rootlink'), `${root}/`]) {
        const listing = await list({ delimiter: '/' }, connection({ rootPath }));
        assert.deepEqual(listing.commonPrefixes, ['%2e%2e/', 'emptydir/', 'link-inside/', 'many/', 'nested/'], rootPath);
        assert.equal((await appErrorOf(list({ prefix: '../data2/' }, connection({ rootPath })))).code, ErrorCode.UNPROCESSABLE);
      }
    });
  });

  describe('confinement to rootPath', () => {
    const escapes = [
      '..',
      '../',
      '../..',
      '../../',
      '../data2/',
      '../data2/secret.txt',
      'nested/../../data2/',
      '/etc',
      '/etc/',
      '/etc/passwd',
    ];
    const linkEscapes = ['link-out/', 'link-out/passwd', 'link-sibling/', 'link-sibling/secret.txt', 'link-out-file', 'link-outside-file'];

    it('refuses listing prefixes that leave the root, lexically or through symlinks, with 422', async () => {
      for (const prefix of [...escapes, ...linkEscapes.filter((escape) => escape.endsWith('/'))]) {
        for (const delimiter of ['/', undefined]) {
          const error = await appErrorOf(list({ prefix, delimiter }));
          assert.equal(error.code, ErrorCode.UNPROCESSABLE, prefix);
          assert.equal(error.detail, OUTSIDE);
        }
      }
    });

    it('refuses file-schema paths that leave the root, lexically or through symlinks, with 422', async () => {
      for (const file of [...escapes, ...linkEscapes].filter((escape) => !escape.endsWith('/'))) {
        const error = await appErrorOf(schemaOf(file));
        assert.equal(error.code, ErrorCode.UNPROCESSABLE, file);
        assert.equal(error.detail, OUTSIDE, file);
      }
    });

    it('refuses the sibling directory whose name only extends the root name (/x/data2 for /x/data)', async () => {
      // The sibling exists and holds a readable file: only the check keeps it out.
      assert.ok(fs.existsSync(path.join(fsDir, 'data2', 'secret.txt')));
      assert.equal((await appErrorOf(list({ prefix: '../data2/' }))).detail, OUTSIDE);
      assert.equal((await appErrorOf(schemaOf('../data2/secret.txt'))).detail, OUTSIDE);
      // Through a symlink named inside the root, the server's realpath gives it away.
      assert.equal((await appErrorOf(schemaOf('link-sibling/secret.txt'))).detail, OUTSIDE);
    });

    it('takes percent-encoded dots literally: %2e%2e is a directory name, never a way up', async () => {
      const literal = await list({ prefix: '%2e%2e/' });
      assert.deepEqual(
        literal.objects.map((object) => object.key),
        ['%2e%2e/literal.txt'],
      );
      assert.equal((await appErrorOf(list({ prefix: '%2e%2e/%2e%2e/' }))).code, ErrorCode.NOT_FOUND);
      assert.equal((await appErrorOf(schemaOf('%2e%2e/%2e%2e/etc/passwd'))).code, ErrorCode.NOT_FOUND);
      assert.equal((await appErrorOf(schemaOf('..%2f..%2foutside.txt'))).code, ErrorCode.NOT_FOUND);
    });

    it('never lists anything outside the root, whatever the prefix', async () => {
      const seen: string[] = [];
      const walk = async (prefix: string): Promise<void> => {
        let cursor: string | undefined;
        do {
          const page = await list({ prefix, delimiter: '/', cursor });
          seen.push(...page.objects.map((object) => object.key));
          for (const common of page.commonPrefixes) await walk(common);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      };
      await walk('');
      assert.equal(seen.length, 3 + 1 + 250 + 1 + 1); // root files, %2e%2e, many, nested, link-inside
      for (const key of seen) assert.doesNotMatch(key, /secret|passwd|outside|link-out|link-sibling|link-broken/);
    });
  });

  describe('inferFileSchema', () => {
    it('infers CSV and JSON lines schemas of files under the root, also through an inside symlink', async () => {
      const csv = await schemaOf('a.csv');
      assert.equal(csv.format, 'csv');
      assert.deepEqual(
        csv.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'integer'],
          ['name', 'string'],
          ['joined', 'date'],
        ],
      );
      assert.deepEqual((await schemaOf('link-file')).columns, csv.columns);
      const jsonl = await schemaOf('b.jsonl');
      assert.equal(jsonl.format, 'jsonl');
      assert.deepEqual(
        jsonl.columns.map((column) => column.name),
        ['id', 'tags', 'score'],
      );
      const deep = await schemaOf('link-inside/one/two/deep.csv');
      assert.equal(deep.details.delimiter, ';');
    });

    it('answers 404 for a missing file and 422 for a directory', async () => {
      assert.equal((await appErrorOf(schemaOf('nope.csv'))).code, ErrorCode.NOT_FOUND);
      assert.equal((await appErrorOf(schemaOf('link-broken'))).code, ErrorCode.NOT_FOUND);
      for (const directory of ['nested', 'nested/', 'link-inside', '', 'many/..']) {
        const error = await appErrorOf(schemaOf(directory));
        assert.equal(error.code, ErrorCode.UNPROCESSABLE, directory);
        assert.match(error.detail, /directory, not a file/);
      }
    });

    it('reads exact byte ranges through positioned reads, larger than one SFTP read, and closes the handle', async () => {
      const content = crypto.randomBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(path.join(root, 'random.bin'), content);
      try {
        const settings = sshSettingsOf(connection());
        const context = contextFor();
        const link = await SftpLink.open(settings, secretScrubber({}), context);
        try {
          await link.run(context, async (channel) => {
            const file = await openSftpFile(channel, normalRoot(root), 'random.bin');
            const reader = new SftpRangeReader(channel, file.handle, file.size);
            try {
              assert.equal(reader.size, content.length);
              assert.deepEqual(await reader.read(0, 10), content.subarray(0, 10));
              assert.deepEqual(await reader.read(123_457, 2_000_000), content.subarray(123_457, 2_123_457));
              assert.deepEqual(await reader.read(content.length - 5, 100), content.subarray(content.length - 5));
              assert.equal((await reader.read(content.length, 10)).length, 0);
              assert.equal(reader.bytesRead, 10 + 2_000_000 + 5);
            } finally {
              channel.release(file.handle);
            }
          });
        } finally {
          await link.close();
        }
      } finally {
        fs.rmSync(path.join(root, 'random.bin'));
      }
    });
  });

  describe('sessions', () => {
    let proxy: CountingProxy;
    before(async () => {
      proxy = await startCountingProxy(sshd.port);
    });
    after(async () => {
      await proxy?.close();
    });

    it('reuses one SSH connection across calls and reconnects on the next call after sshd drops it', async () => {
      const cache = new SessionCache();
      const conn = connection({ port: proxy.port });
      proxy.reset();
      try {
        await list({ delimiter: '/' }, conn, contextFor({ cache }));
        await schemaOf('a.csv', conn, contextFor({ cache }));
        await list({ prefix: 'many/' }, conn, contextFor({ cache }));
        assert.equal(proxy.connections, 1, 'three calls, one SSH connection');
        assert.equal(cache.size, 1);

        assert.ok(sshd.dropConnections() >= 1, 'sshd had a connection to drop');
        // At once, before the client may have noticed: the call still succeeds on a new connection.
        const listing = await list({ delimiter: '/' }, conn, contextFor({ cache }));
        assert.equal(listing.objects.length, 3);
        assert.equal(proxy.connections, 2);

        // A network cut (the proxy drops both sides) is recovered the same way.
        proxy.dropAll();
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal((await schemaOf('b.jsonl', conn, contextFor({ cache }))).format, 'jsonl');
        assert.equal(proxy.connections, 3);
        assert.equal(cache.size, 1, 'still one cached session');
      } finally {
        await cache.onApplicationShutdown();
      }
      for (let i = 0; i < 50 && proxy.open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(proxy.open, 0, 'closing the cache ends the SSH connection');
    });

    it('refuses a host whose key does not match the pin, before authenticating', async () => {
      const mismatch = connection({ hostKeyFingerprint: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8' });
      const error = await appErrorOf(list({}, mismatch));
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'HOST_KEY_MISMATCH');
      const pinned = await list({}, connection({ hostKeyFingerprint: sshd.hostKeyFingerprint }));
      assert.equal(pinned.objects.length, 3);
    });

    it('tells trustOnFirstUse the host key of an unpinned connection once signed in, on each call; never when pinned or refused', async () => {
      const seen: UnpinnedHostKey[] = [];
      const trusting = (conn: ResolvedConnection): IntrospectionContext => ({ ...cached(conn), trustOnFirstUse: (key) => seen.push(key) });
      const wrong = connection({}, { password: 'wrong-password-canary' });
      await appErrorOf(list({}, wrong, trusting(wrong)));
      assert.deepEqual(seen, [], 'a sign-in that failed reports nothing');
      const unpinned = connection();
      await list({}, unpinned, trusting(unpinned));
      await schemaOf('a.csv', unpinned, trusting(unpinned));
      const key = { field: 'hostKeyFingerprint', fingerprint: sshd.hostKeyFingerprint };
      assert.deepEqual(seen, [key, key], 'each call on the cached session reports it');
      seen.length = 0;
      const pinned = connection({ hostKeyFingerprint: sshd.hostKeyFingerprint });
      await list({}, pinned, trusting(pinned));
      assert.deepEqual(seen, []);
    });

    it('answers 502 with the test codes for bad credentials or a missing rootPath, without secrets', async () => {
      const wrong = await appErrorOf(list({}, connection({}, { password: 'wrong-password-canary' })));
      assert.equal(wrong.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(wrong.options.extensions?.targetCode, 'AUTH_FAILED');
      for (const secret of [...canaries, 'wrong-password-canary']) assert.ok(!JSON.stringify(wrong).includes(secret));
      const missing = await appErrorOf(list({}, connection({ rootPath: path.join(fsDir, 'missing') })));
      assert.equal(missing.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(missing.options.extensions?.targetCode, 'NOT_FOUND');
    });
  });

  describe(`a directory of ${MAX_DIRECTORY_ENTRIES} entries`, () => {
    let bigDir = '';
    before(() => {
      bigDir = path.join(root, 'big');
      fs.mkdirSync(bigDir);
      for (let i = 0; i < MAX_DIRECTORY_ENTRIES; i++) fs.closeSync(fs.openSync(path.join(bigDir, `e${String(i).padStart(6, '0')}`), 'w'));
    });
    after(() => fs.rmSync(bigDir, { recursive: true, force: true }));

    it('lists its first page, answers TARGET_TIMEOUT at a short deadline, and refuses one entry more with 422', async (t) => {
      const cache = new SessionCache();
      try {
        await list({ prefix: 'a' }, connection(), contextFor({ cache })); // connect first: time the listing only
        const heapBefore = process.memoryUsage().heapUsed;
        let heapPeak = heapBefore;
        const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
        const started = performance.now();
        const first = await list({ prefix: 'big/', limit: 1000 }, connection(), contextFor({ cache }));
        const firstMs = performance.now() - started;
        clearInterval(sampler);
        assert.equal(first.objects.length, 1000);
        assert.equal(first.objects[999].key, 'big/e000999');
        assert.equal(first.nextCursor !== null, true);
        const heapMiB = ((heapPeak - heapBefore) / 1024 / 1024).toFixed(1);
        t.diagnostic(`first page of 1000 from ${MAX_DIRECTORY_ENTRIES} entries: ${firstMs.toFixed(0)} ms, heap peak +${heapMiB} MiB`);

        const timeout = await appErrorOf(list({ prefix: 'big/' }, connection(), contextFor({ cache, ms: 30 })));
        assert.equal(timeout.code, ErrorCode.TARGET_TIMEOUT);

        fs.closeSync(fs.openSync(path.join(bigDir, 'one-too-many'), 'w'));
        const error = await appErrorOf(list({ prefix: 'big/' }, connection(), contextFor({ cache })));
        assert.equal(error.code, ErrorCode.UNPROCESSABLE);
        assert.match(error.detail, /more than 100000 entries/);
        fs.rmSync(path.join(bigDir, 'one-too-many'));
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('finishes a listing that sshd cut off in the middle, by running it once more on a new connection', async () => {
      const proxy = await startCountingProxy(sshd.port);
      const cache = new SessionCache();
      try {
        const conn = connection({ port: proxy.port });
        await list({ prefix: 'a' }, conn, contextFor({ cache }));
        const started = performance.now();
        const pending = list({ prefix: 'big/', limit: 10 }, conn, contextFor({ cache, ms: 60_000 }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.ok(sshd.dropConnections() >= 1);
        const listing = await pending;
        assert.deepEqual(keysOf(listing).slice(0, 2), ['big/e000000', 'big/e000001']);
        assert.equal(proxy.connections, 2, 'the listing ran again on a second connection');
        assert.ok(performance.now() - started > 300, 'the connection was dropped while the listing ran');
      } finally {
        await cache.onApplicationShutdown();
        await proxy.close();
      }
    });

    it('applies a smaller cap the same way (the cap is a parameter of the listing)', async () => {
      const settings = sshSettingsOf(connection());
      const context = contextFor();
      const link = await SftpLink.open(settings, secretScrubber({}), context);
      try {
        const error = await appErrorOf(link.run(context, (channel) => listSftpFiles(channel, root, { prefix: 'many/', limit: 10 }, 249)));
        assert.equal(error.code, ErrorCode.UNPROCESSABLE);
        const ok = await link.run(context, (channel) => listSftpFiles(channel, root, { prefix: 'many/', limit: 10 }, 250));
        assert.equal(ok.objects.length, 10);
      } finally {
        await link.close();
      }
    });
  });
});
