import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startCountingProxy, type CountingProxy } from '../../../../test/support/counting-proxy';
import {
  LARGE_CSV_COLUMNS,
  LARGE_JSONL_COLUMNS,
  LARGE_PARQUET_COLUMNS,
  writeLargeCsv,
  writeLargeJsonl,
  writeLargeParquet,
} from '../../../../test/support/large-files';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ResolvedConnection } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import type { FileColumn, FileSchema, IntrospectionContext } from '../introspection/types';
import type { Session } from '../sessions/session-cache';
import { SftpConnector } from '../sftp/sftp.connector';
import { S3Connector } from './s3.connector';

/**
 * File schemas of 200 MB files, served by the real servers through a byte-counting proxy:
 * the schema must come back after the server sent only the head (CSV, JSON lines) or the
 * footer (Parquet). Each file is generated once, served by sshd from its directory and
 * uploaded to s3rver from disk, then deleted from both.
 */

const FILE_BYTES = 200 * 1024 * 1024;
/** Per file and server, connection set-up included (SSH handshake and auth, HTTP headers). */
const MAX_SERVED_BYTES = 2 * 1024 * 1024;
const SLOW = { timeout: 600_000 };

const egress = new EgressGuard(EgressPolicy.parse({}));

async function sessionPerCall<T, R>(open: () => Promise<Session<T>>, work: (client: T) => Promise<R>): Promise<R> {
  const session = await open();
  try {
    return await work(session.client);
  } finally {
    await session.close();
  }
}

function contextFor(ms = 20_000): IntrospectionContext {
  const deadline = Date.now() + ms;
  return {
    signal: AbortSignal.timeout(ms),
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress,
    session: (_variant, open, work) => sessionPerCall(open, work),
  };
}

interface LargeCase {
  name: string;
  file: string;
  columns: FileColumn[];
  format: FileSchema['format'];
  write(target: string): Promise<{ size: number }>;
}

const CASES: LargeCase[] = [
  { name: 'CSV', file: 'large.csv', columns: LARGE_CSV_COLUMNS, format: 'csv', write: (target) => writeLargeCsv(target, FILE_BYTES) },
  {
    name: 'JSON lines',
    file: 'large.jsonl',
    columns: LARGE_JSONL_COLUMNS,
    format: 'jsonl',
    write: (target) => writeLargeJsonl(target, FILE_BYTES),
  },
  {
    name: 'Parquet',
    file: 'large.parquet',
    columns: LARGE_PARQUET_COLUMNS,
    format: 'parquet',
    write: (target) => writeLargeParquet(target, FILE_BYTES),
  },
];

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
const since = (start: number): string => `${((performance.now() - start) / 1000).toFixed(1)} s`;

describe('file schemas of 200 MB files on SFTP and S3, counting the bytes the servers sent', () => {
  let servers: Pick<Servers, 'sshd' | 's3'> | undefined;
  let sshProxy: CountingProxy;
  let s3Proxy: CountingProxy;
  let dir = '';

  before(async () => {
    servers = await startServers(['sshd', 's3']);
    sshProxy = await startCountingProxy(servers.sshd.port);
    s3Proxy = await startCountingProxy(servers.s3.port);
    dir = path.join(path.dirname(servers.sshd.rootDir), 'large');
    fs.mkdirSync(dir);
  });

  after(async () => {
    await sshProxy?.close();
    await s3Proxy?.close();
    await stopServers(servers);
  });

  const sftpConnection = (): ResolvedConnection => ({
    type: 'sftp',
    generation: '1',
    config: { host: '127.0.0.1', port: sshProxy.port, username: servers!.sshd.username, rootPath: dir },
    secrets: { password: servers!.sshd.password },
  });
  const s3Connection = (): ResolvedConnection => ({
    type: 's3',
    generation: '1',
    config: {
      bucket: servers!.s3.bucket,
      endpoint: `http://127.0.0.1:${s3Proxy.port}`,
      forcePathStyle: true,
      region: servers!.s3.region,
      prefix: 'large/',
    },
    secrets: { accessKeyId: servers!.s3.accessKeyId, secretAccessKey: servers!.s3.secretAccessKey },
  });

  /** Uploads a file to s3rver (directly, not through the proxy), streaming it from disk. */
  async function upload(file: string, key: string): Promise<void> {
    const client = servers!.s3.client();
    try {
      const { size } = fs.statSync(file);
      await client.send(
        new PutObjectCommand({ Bucket: servers!.s3.bucket, Key: key, Body: fs.createReadStream(file), ContentLength: size }),
      );
    } finally {
      client.destroy();
    }
  }

  async function remove(key: string): Promise<void> {
    const client = servers!.s3.client();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: servers!.s3.bucket, Key: key }));
    } finally {
      client.destroy();
    }
  }

  for (const large of CASES) {
    it(
      `${large.name}: the schema of a 200 MB file after only its ${large.format === 'parquet' ? 'footer' : 'head'} was served`,
      SLOW,
      async (t) => {
        const file = path.join(dir, large.file);
        let started = performance.now();
        const { size } = await large.write(file);
        const generated = since(started);
        assert.ok(size >= FILE_BYTES, `${size} bytes written`);
        try {
          sshProxy.reset();
          started = performance.now();
          const sftp = await new SftpConnector().inferFileSchema(sftpConnection(), contextFor(), large.file);
          const sftpTime = since(started);
          assert.equal(sftp.format, large.format);
          assert.deepEqual(sftp.columns, large.columns);
          const sftpBytes = sshProxy.bytesFromServer;
          assert.ok(sftpBytes < MAX_SERVED_BYTES, `sshd sent ${sftpBytes} bytes`);

          started = performance.now();
          await upload(file, `large/${large.file}`);
          const uploaded = since(started);
          s3Proxy.reset();
          started = performance.now();
          const s3 = await new S3Connector().inferFileSchema(s3Connection(), contextFor(), large.file);
          const s3Time = since(started);
          assert.equal(s3.format, large.format);
          assert.deepEqual(s3.columns, large.columns);
          const s3Bytes = s3Proxy.bytesFromServer;
          assert.ok(s3Bytes < MAX_SERVED_BYTES, `s3rver sent ${s3Bytes} bytes`);
          assert.deepEqual(s3.details, sftp.details, 'the same bytes read whatever the server');

          t.diagnostic(
            `${large.name} ${mib(size)} MiB: generated in ${generated}, uploaded to s3rver in ${uploaded}; ` +
              `SFTP schema in ${sftpTime}, sshd sent ${mib(sftpBytes)} MiB (${sftpBytes} B); ` +
              `S3 schema in ${s3Time}, s3rver sent ${mib(s3Bytes)} MiB (${s3Bytes} B); details ${JSON.stringify(s3.details)}`,
          );
        } finally {
          fs.rmSync(file, { force: true });
          await remove(`large/${large.file}`);
        }
      },
    );
  }
});
