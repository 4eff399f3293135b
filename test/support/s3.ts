import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { makeTempDir } from './servers';

/**
 * S3 via s3rver, in process, on 127.0.0.1 (plain HTTP) with its store in a temp dir and the
 * bucket `sb-test` created. s3rver accepts only the access key id S3RVER (it does not verify
 * SigV4 signatures). In process and without TLS it needs no `--openssl-legacy-provider` on Node 20.
 */
export interface S3Server {
  endpoint: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** A client for this server: path-style, checksums only when required (s3rver knows no CRC32). Destroy it when done. */
  client(): S3Client;
  /** Puts an object into `bucket` (or another existing bucket). */
  put(key: string, body: string | Uint8Array, options?: { bucket?: string; contentType?: string }): Promise<void>;
  stop(): Promise<void>;
}

interface S3rverOptions {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
  resetOnClose?: boolean;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: S3rverOptions) => S3rverInstance;

export const S3_TEST_BUCKET = 'sb-test';

type CipherFactory = (algorithm: string, key: Buffer, iv: Buffer | null, options?: unknown) => unknown;
let singleDesShimmed = false;

/**
 * s3rver makes ListObjectsV2 continuation tokens with single DES, which Node 20's OpenSSL 3
 * has only in its legacy provider: without this, every listing past its first page answers
 * 500. Triple DES with three equal keys is single DES (E_K(D_K(E_K(x))) = E_K(x), same IV,
 * same CBC chaining) and is in the default provider, so the name 'des' alone is mapped onto it.
 */
function shimSingleDes(): void {
  if (singleDesShimmed) return;
  singleDesShimmed = true;
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return; // this OpenSSL still has it
  } catch {
    // unsupported: shim below
  }
  const mutable = crypto as unknown as { createCipheriv: CipherFactory; createDecipheriv: CipherFactory };
  const wrap =
    (original: CipherFactory): CipherFactory =>
    (algorithm, key, iv, options) =>
      algorithm === 'des' ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, options) : original(algorithm, key, iv, options);
  mutable.createCipheriv = wrap(mutable.createCipheriv.bind(crypto));
  mutable.createDecipheriv = wrap(mutable.createDecipheriv.bind(crypto));
}

export async function startS3(): Promise<S3Server> {
  shimSingleDes();
  const dir = makeTempDir('s3');
  const started = Date.now();
  const server = new S3rver({
    // Port 0: the kernel picks a free port at bind time, so there is no race with other tests.
    port: 0,
    address: '127.0.0.1',
    directory: path.join(dir, 'store'),
    silent: true,
    configureBuckets: [{ name: S3_TEST_BUCKET }],
  });
  let address: AddressInfo;
  try {
    address = await Promise.race([
      server.run(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('s3rver did not start within 30 s')), 30_000).unref()),
    ]);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`s3rver failed to start after ${Date.now() - started} ms: ${error instanceof Error ? error.message : error}`, {
      cause: error,
    });
  }

  const endpoint = `http://127.0.0.1:${address.port}`;
  const config = {
    endpoint,
    bucket: S3_TEST_BUCKET,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
  };
  const client = () =>
    new S3Client({
      endpoint,
      region: config.region,
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  let stopped = false;
  return {
    ...config,
    port: address.port,
    client,
    async put(key, body, options = {}) {
      const s3 = client();
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: options.bucket ?? S3_TEST_BUCKET, Key: key, Body: body, ContentType: options.contentType }),
        );
      } finally {
        s3.destroy();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = server.close();
      // Clients a test forgot to destroy must not hold the close (and the test process) open.
      server.httpServer?.closeAllConnections();
      await closed;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
