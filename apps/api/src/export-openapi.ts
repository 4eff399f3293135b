/**
 * Writes the service's OpenAPI document to a file, served by nothing: `npm run build` generates
 * the console's typed client from it (apps/console/build.mjs), so the console cannot drift from
 * the API. Usage: node export-openapi.js <file>
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from './app.factory';

async function main(file: string | undefined): Promise<void> {
  if (!file) throw new Error('usage: export-openapi <file>');
  // A throwaway embedded instance: the document depends on the code, not on any data.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-openapi-'));
  try {
    const app = await createApp(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir,
        database: { driver: 'sqlite', path: path.join(dataDir, 'switchboard.sqlite') },
        encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
        jwtSecret: randomBytes(32).toString('hex'),
        admin: { email: 'admin@switchboard.local', password: randomBytes(24).toString('base64url') },
        logLevel: 'silent',
        sqliteRoot: path.join(dataDir, 'sqlite'),
        sample: false,
        egress: {},
      },
      { logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) },
    );
    try {
      const reply = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/docs/openapi.json' });
      if (reply.statusCode !== 200) throw new Error(`the document answered ${reply.statusCode}`);
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.writeFileSync(file, reply.body);
    } finally {
      await app.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`export-openapi: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
