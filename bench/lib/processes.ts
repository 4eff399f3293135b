import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

/** A server the bench started as a child process: its pid is the process whose memory is reported. */
export interface ServerProcess {
  label: string;
  pid: number;
  baseUrl: string;
  /** The last lines it printed, for the error message when it misbehaves. */
  tail(): string;
  /** Started with `ipc`: sends `message` and resolves with the process's next message. */
  ask(message: object): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const TAIL_LINES = 40;
const READY_TIMEOUT_MS = 90_000;

/** Resident set size of `pid` in MiB, from /proc (Linux); undefined once the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on every Linux build that matters). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time `pid` has used so far (user + system), in ms; undefined once the process is gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Samples a process's RSS every 50 ms while a scenario runs: the peak is what (f)/(g) compare
 * with the idle RSS taken just before.
 */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rssMiB(this.pid) ?? 0);
  }

  /** Stops sampling; returns the peak and the RSS now. */
  stop(): { peakMiB: number; endMiB: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakMiB: this.peak, endMiB: rssMiB(this.pid) ?? 0 };
  }
}

function keepTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => lines.join('\n');
}

async function waitUntilReady(url: string, child: ChildProcess, label: string, tail: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${label} exited with code ${child.exitCode} during start-up:\n${tail()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${label} was not ready at ${url} within ${READY_TIMEOUT_MS / 1000} s:\n${tail()}`);
}

/**
 * Starts `node <entry>` with `env` (and nothing inherited but PATH, so no stray setting of
 * the shell changes what is measured) and waits until `readyPath` answers 2xx.
 */
export async function startNodeServer(options: {
  label: string;
  entry: string;
  /** Options for node itself (e.g. --require), before the entry. */
  nodeArgs?: string[];
  /** Open an IPC channel to it (for `ask`). */
  ipc?: boolean;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  /** Told how to stop the process as soon as it is spawned: a bench interrupted while it starts still stops it. */
  onSpawn?: (stop: () => Promise<void>) => void;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', ...options.env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const tail = keepTail(child);
  // One question at a time: an answer carries no id, so it belongs to the question before it.
  let asked: Promise<unknown> = Promise.resolve();
  const askNow = (message: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (!child.send) return reject(new Error(`${options.label} has no IPC channel`));
      child.once('message', (answer) => resolve(answer as Record<string, unknown>));
      child.send(message);
    });
  const ask = (message: object) => {
    const answer = asked.then(() => askNow(message));
    asked = answer.catch(() => undefined);
    return answer;
  };
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killed);
  };
  options.onSpawn?.(stop);
  try {
    await waitUntilReady(baseUrl + options.readyPath, child, options.label, tail);
  } catch (error) {
    await stop();
    throw error;
  }
  return { label: options.label, pid: child.pid!, baseUrl, tail, ask, stop };
}

/** Runs `node <entry> <args>` to completion and returns what it printed on stdout; RSS sampled meanwhile. */
export function runNodeScript(
  entry: string,
  args: string[],
  onStart: (pid: number) => void = () => undefined,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    onStart(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${entry} exited with code ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}
