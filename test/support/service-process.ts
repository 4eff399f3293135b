import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from './postgres';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './test-app';

const BUILD = path.resolve(__dirname, '..', '..');

export interface ServiceProcess {
  process: ChildProcess;
  /** http://127.0.0.1:<port>, without /api/v1. */
  baseUrl: string;
  /** Every line it wrote, stdout and stderr. */
  lines: string[];
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** Started under this umask (e.g. '000', so that only the service itself keeps its files private). */
  umask?: string;
}

/**
 * The real service (compiled main.js, configured only by its environment) on a free loopback
 * port, on the embedded SQLite in `dataDir` unless `env` says otherwise; resolves once ready.
 */
export async function startServiceProcess(
  dataDir: string,
  env: Record<string, string> = {},
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const node = [
    process.execPath,
    '--require',
    path.join(BUILD, 'test', 'support', 'paths.js'),
    path.join(BUILD, 'apps', 'api', 'src', 'main.js'),
  ];
  const [command, ...args] = options.umask ? ['/bin/sh', '-c', `umask ${options.umask} && exec "$0" "$@"`, ...node] : node;
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_ADMIN_EMAIL: ADMIN_EMAIL,
      SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${lines.join('\n')}`);
    const ready = await fetch(`${baseUrl}/api/v1/health/ready`).then(
      (reply) => reply.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service did not start: ${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { process: child, baseUrl, lines, stop };
}
