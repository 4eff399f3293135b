import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { targetTimeout } from '../introspection/errors';

/** A live client (pg pool, SFTP session, S3 client…) and how to close it. */
export interface Session<T> {
  client: T;
  close(): Promise<void>;
  /** A pool's current sizes, for metrics: only sessions that hold a pool have it. */
  poolStats?(): PoolStats;
}

/** A connection pool's sizes: connections open, of them idle, and requests waiting for one. */
export interface PoolStats {
  type: string;
  total: number;
  idle: number;
  waiting: number;
}

interface Entry {
  connectionId: string;
  generation: string;
  session: Promise<Session<unknown>>;
  /** The session once open (read by metrics, which cannot wait). */
  opened?: Session<unknown>;
  lastUsed: number;
  users: number;
}

export const MAX_SESSIONS = 64;
export const IDLE_MS = 5 * 60_000;

/**
 * Live clients keyed by connection id + generation (the connection's version and its shared
 * credential's), so an updated connection never gets a stale one, even when another instance
 * made the change. A variant tells apart several clients of one connection (e.g. one per
 * PostgreSQL database). Bounded (least recently used goes first, never one in use), idle-expired, and closed
 * on update, delete and shutdown. Callers borrow with `use`; nobody mutates a shared client.
 */
@Injectable()
export class SessionCache implements OnApplicationShutdown {
  private readonly logger = new Logger('Sessions');
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxSessions = MAX_SESSIONS,
    private readonly idleMs = IDLE_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * Runs `work` with the session for `connectionId`@`generation`, opening it with `open` if needed.
   * A session another call is still opening is awaited only until `signal` (this call's deadline)
   * fires: that opening is bounded by the other call's deadline, which may be later.
   */
  async use<T, R>(
    connectionId: string,
    generation: string | number,
    open: () => Promise<Session<T>>,
    work: (client: T) => Promise<R>,
    variant = '',
    signal?: AbortSignal,
  ): Promise<R> {
    const key = `${connectionId}@${generation}#${variant}`;
    let entry = this.entries.get(key);
    if (!entry) {
      this.evictStale(connectionId, String(generation));
      this.makeRoom();
      entry = { connectionId, generation: String(generation), session: open(), lastUsed: this.now(), users: 0 };
      this.entries.set(key, entry);
      // A session that failed to open is not kept: the next call tries again.
      const opening = entry;
      entry.session.then(
        (session) => (opening.opened = session),
        () => this.entries.get(key) === opening && this.entries.delete(key),
      );
    }
    entry.users += 1;
    entry.lastUsed = this.now();
    try {
      const session = (await untilAborted(entry.session, signal)) as Session<T>;
      return await work(session.client);
    } finally {
      entry.users -= 1;
      entry.lastUsed = this.now();
    }
  }

  /** Closes every session of a connection (after an update or delete). */
  evictConnection(connectionId: string): void {
    for (const [key, entry] of this.entries) if (entry.connectionId === connectionId) this.close(key, entry);
  }

  /** Other generations of a connection are stale once a newer one is asked for. */
  private evictStale(connectionId: string, generation: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.connectionId === connectionId && entry.generation !== generation) void this.close(key, entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The open pools' sizes summed per connection type. */
  poolStats(): Map<string, Omit<PoolStats, 'type'>> {
    const sums = new Map<string, Omit<PoolStats, 'type'>>();
    for (const entry of this.entries.values()) {
      const stats = entry.opened?.poolStats?.();
      if (!stats) continue;
      const sum = sums.get(stats.type) ?? { total: 0, idle: 0, waiting: 0 };
      sums.set(stats.type, { total: sum.total + stats.total, idle: sum.idle + stats.idle, waiting: sum.waiting + stats.waiting });
    }
    return sums;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.entries].map(([key, entry]) => this.close(key, entry)));
  }

  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [key, entry] of this.entries) if (entry.users === 0 && entry.lastUsed < cutoff) void this.close(key, entry);
  }

  private makeRoom(): void {
    if (this.entries.size < this.maxSessions) return;
    const idle = [...this.entries].filter(([, entry]) => entry.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, entry] of idle.slice(0, this.entries.size - this.maxSessions + 1)) void this.close(key, entry);
  }

  private close(key: string, entry: Entry): Promise<void> {
    this.entries.delete(key);
    return entry.session.then(
      (session) => session.close().catch((error: unknown) => this.logger.warn({ err: error }, 'Closing a session failed')),
      () => undefined,
    );
  }
}

/** `promise`, or TARGET_TIMEOUT as soon as `signal` fires (the promise goes on for whoever else waits on it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(targetTimeout('the target'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(targetTimeout('the target'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
