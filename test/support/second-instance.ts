import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postgres';
import type { TestApp } from './test-app';

const BUILD = path.resolve(__dirname, '..', '..');

export interface Instance {
  baseUrl: string;
  process: ChildProcess;
  dataDir: string;
  output: string[];
  /** Stops the process and deletes its data dir. */
  stop(): void;
}

/** A second Switchboard process on the same PostgreSQL database: another instance for real, not a second app in this process. */
export async function startSecondInstance(t: TestApp): Promise<Instance> {
  if (t.config.database.driver !== 'postgres') throw new Error('needs PostgreSQL');
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-second-'));
  const child = spawn(
    process.execPath,
    ['--require', path.join(BUILD, 'test', 'support', 'paths.js'), path.join(BUILD, 'apps', 'api', 'src', 'main.js')],
    {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: t.config.database.url,
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_ENCRYPTION_KEYS: t.config.encryptionKeys,
        SWITCHBOARD_JWT_SECRET: t.config.jwtSecret,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () => {
    child.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the second instance exited: ${output.join('')}`);
    const ready = await fetch(`${baseUrl}/api/v1/health/ready`).then(
      (reply) => reply.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the second instance did not start: ${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { baseUrl, process: child, dataDir, output, stop };
}
