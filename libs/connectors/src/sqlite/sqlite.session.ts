import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode, notFound } from '@switchboard/common';
import type { ConnectorContext } from '../connector';
import { queryFailed, readOnlyViolation, targetFailed, targetTimeout } from '../introspection/errors';
import type { WorkerAnswers, WorkerFailure, WorkerReply, WorkerRequest } from './sqlite.protocol';

/** Compiled beside this file by both builds: tsc to an outDir (tests) and `nest build` (dist/apps/api/...). */
export const WORKER_FILE = path.join(__dirname, 'sqlite.worker.js');

/** Results are capped at 16 MB (cells.ts), so the worker's JS heap never needs more than this. */
const WORKER_HEAP_MB = 256;
/** How long close() waits for a killed worker to be gone. */
const EXIT_WAIT_MS = 2_000;
/**
 * A worker is a process of ~50 MB: it stops after this long without a request (the session
 * stays cached and starts a new one in ~70 ms), so idle SQLite sessions cost no memory.
 */
export const WORKER_IDLE_STOP_MS = 30_000;

/** The part of a context a request needs: its deadline. */
export type Deadline = Pick<ConnectorContext, 'signal' | 'remainingMs'>;

type Op = WorkerRequest['op'];
type RequestOf<K extends Op> = Extract<WorkerRequest, { op: K }>;

/** Why the worker ran out of time, as the client should read it. */
type TimeoutError = () => AppError;

const stoppedError = (): AppError =>
  new AppError(ErrorCode.TARGET_UNAVAILABLE, 'The SQLite worker stopped while answering; the next request starts a new one.');

/** One worker process and the one request it may be answering. */
class WorkerProcess {
  private pending?: { id: number; resolve(value: unknown): void; reject(error: unknown): void };
  private nextId = 0;
  private gone = false;
  readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    private readonly failureError: (failure: WorkerFailure) => AppError,
  ) {
    child.on('message', (reply: WorkerReply) => this.settle(reply));
    this.exited = new Promise((resolve) => {
      const end = () => {
        this.gone = true;
        this.pending?.reject(stoppedError());
        resolve();
      };
      child.once('exit', end);
      child.once('error', end); // could not spawn or signal it: unusable either way
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone && this.child.exitCode === null && this.child.signalCode === null && !this.child.killed;
  }

  /** Sends one request; kills the process if no answer comes within budgetMs or the signal aborts. */
  send(request: WorkerRequest, budgetMs: number, signal: AbortSignal, timeoutError: TimeoutError): Promise<unknown> {
    if (signal.aborted || budgetMs <= 0) return Promise.reject(timeoutError());
    if (!this.alive) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      const stop = () => {
        this.kill();
        finish(() => reject(timeoutError()));
      };
      const timer = setTimeout(stop, budgetMs);
      signal.addEventListener('abort', stop, { once: true });
      const finish = (then: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        this.pending = undefined;
        then();
      };
      this.pending = { id, resolve: (value) => finish(() => resolve(value)), reject: (error) => finish(() => reject(error)) };
      this.child.send({ id, ...request }, (error) => error && this.pending?.id === id && this.pending.reject(stoppedError()));
    });
  }

  /** SIGKILL: the only way to stop SQLite in the middle of a statement. Its exit is awaited, so it counts as work again. */
  kill(): void {
    if (!this.alive) return;
    this.child.ref();
    this.child.kill('SIGKILL');
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending;
    if (!pending || pending.id !== reply.id) return;
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(this.failureError(reply.failure));
  }
}

/**
 * The session client of a SQLite connection: a worker process holding the database open
 * read-only, so a slow or endless statement never blocks the service's event loop. Requests
 * run one after another; on a deadline the process is killed and TARGET_TIMEOUT answered, and
 * the next request starts a fresh process (re-checking the path), so a cached session stays usable.
 */
export class SqliteWorker {
  private worker?: WorkerProcess;
  private queue: Promise<unknown> = Promise.resolve();
  private started = 0;
  private closed = false;
  private active = 0;
  private idleTimer?: NodeJS.Timeout;

  /**
   * @param locate the confined real path of the file, checked again at every start
   * @param label the path as configured, the only one shown in messages
   * @param scrub removes secrets from any message shown to the client
   * @param idleStopMs the worker process stops after this long without a request
   */
  constructor(
    private readonly locate: () => string,
    private readonly label: string,
    private readonly scrub: (message: string) => string,
    private readonly idleStopMs = WORKER_IDLE_STOP_MS,
  ) {}

  /** The current worker process, if one runs. */
  get pid(): number | undefined {
    return this.worker?.alive ? this.worker.pid : undefined;
  }

  /** Worker processes started so far (one, unless a deadline killed one). */
  get workersStarted(): number {
    return this.started;
  }

  /** Starts the worker and opens the file, within the context's deadline. */
  start(deadline: Deadline): Promise<void> {
    return this.turn(deadline, async () => void (await this.ready(deadline)));
  }

  /**
   * Runs one request after the ones before it. The deadline bounds the whole request, waiting
   * included; a tighter `statementMs` (a query's timeoutMs) bounds the statement once the worker is ready.
   */
  request<K extends Op>(request: RequestOf<K>, deadline: Deadline, statementMs?: number): Promise<WorkerAnswers[K]> {
    return this.turn(deadline, async () => {
      const worker = await this.ready(deadline);
      const remaining = deadline.remainingMs();
      const statementBound = statementMs !== undefined && statementMs <= remaining;
      const timeoutError = statementBound
        ? () => new AppError(ErrorCode.TARGET_TIMEOUT, `The statement ran longer than ${statementMs} ms and was stopped.`)
        : this.deadlineError;
      return (await worker.send(request, statementBound ? statementMs : remaining, deadline.signal, timeoutError)) as WorkerAnswers[K];
    });
  }

  /** Stops the worker for good; resolves once its process is gone. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    worker.kill();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([worker.exited, new Promise((resolve) => (timer = setTimeout(resolve, EXIT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private readonly deadlineError = (): AppError => targetTimeout(`the SQLite database ${this.label}`);

  /**
   * One request at a time. A caller whose deadline passes while it waits for an earlier (slow)
   * request gets TARGET_TIMEOUT at once, and its work is skipped when its turn comes.
   */
  private turn<R>(deadline: Deadline, work: () => Promise<R>): Promise<R> {
    this.active += 1;
    clearTimeout(this.idleTimer);
    const run = this.queue.then(() => {
      if (deadline.signal.aborted) throw this.deadlineError();
      return work();
    });
    this.queue = run.catch(() => undefined);
    void this.queue.then(() => this.settled());
    if (deadline.signal.aborted) return Promise.reject(this.deadlineError());
    return new Promise<R>((resolve, reject) => {
      const abandon = () => reject(this.deadlineError());
      deadline.signal.addEventListener('abort', abandon, { once: true });
      run.then(resolve, reject).finally(() => deadline.signal.removeEventListener('abort', abandon));
    });
  }

  /** After the last queued request: stop the worker if nothing comes for a while. */
  private settled(): void {
    this.active -= 1;
    if (this.active > 0) return;
    this.idleTimer = setTimeout(() => this.worker?.kill(), this.idleStopMs);
    this.idleTimer.unref();
  }

  private async ready(deadline: Deadline): Promise<WorkerProcess> {
    if (this.closed) throw stoppedError();
    if (this.worker?.alive) return this.worker;
    const file = this.locate();
    const worker = this.spawn();
    try {
      await worker.send({ op: 'open', file }, deadline.remainingMs(), deadline.signal, this.deadlineError);
    } catch (error) {
      worker.kill();
      throw error;
    }
    this.worker = worker;
    return worker;
  }

  private spawn(): WorkerProcess {
    if (!fs.existsSync(WORKER_FILE)) throw new Error(`The SQLite worker is missing from the build: ${WORKER_FILE}`);
    const child = fork(WORKER_FILE, [], {
      execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`],
      // Nothing of the service's environment (keys, database URLs, NODE_OPTIONS) reaches the worker.
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    // An idle worker must not keep the service (or a test) alive; a pending request holds a timer.
    child.unref();
    child.channel?.unref();
    this.started += 1;
    return new WorkerProcess(child, (failure) => this.failureError(failure));
  }

  private failureError(failure: WorkerFailure): AppError {
    switch (failure.kind) {
      case 'open':
        return targetFailed({ code: failure.code ?? 'PROTOCOL_ERROR', message: this.scrub(this.openMessage(failure)) });
      case 'notFound':
        return notFound(`Table "main"."${failure.message}"`);
      case 'readOnly':
        return readOnlyViolation(failure.message);
      case 'multiple':
        return new AppError(ErrorCode.UNPROCESSABLE, 'Send one statement at a time.');
      case 'failed':
        return queryFailed(this.scrub(failure.message));
    }
  }

  private openMessage(failure: WorkerFailure): string {
    if (failure.code === 'NOT_FOUND') return `No file at ${this.label}.`;
    if (failure.code === 'PERMISSION_DENIED') return `Cannot open ${this.label}: ${failure.message}`;
    return `Not a readable SQLite database: ${failure.message}`;
  }
}
