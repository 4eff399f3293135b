import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchboard/common';
import { Client } from 'pg';

/** One PostgreSQL channel carries every topic; payloads are small JSON objects. */
export const EVENTS_CHANNEL = 'switchboard_events';
/** After losing the LISTEN connection, try again this often. */
const RECONNECT_MS = 500;

export interface InstanceEvent {
  topic: string;
  [field: string]: string | number | boolean | null;
}

type Handler = (event: InstanceEvent) => void;

/**
 * Tells every instance sharing the database that something changed (a key revoked, a user
 * disabled...), so in-memory caches can drop it. On PostgreSQL through LISTEN/NOTIFY; on the
 * embedded SQLite there is one instance, so publishing only reaches this one.
 *
 * `live` is false while this instance may be missing events (the LISTEN connection is down):
 * caches must not serve entries then, because a revocation could be lost. When it comes back,
 * every subscriber hears a `reset` event and drops everything.
 */
@Injectable()
export class InstanceEvents implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('InstanceEvents');
  private readonly handlers = new Map<string, Set<Handler>>();
  private listener?: Client;
  private connected = false;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get live(): boolean {
    return this.config.database.driver === 'sqlite' || this.connected;
  }

  subscribe(topic: string, handler: Handler): () => void {
    const set = this.handlers.get(topic) ?? new Set<Handler>();
    set.add(handler);
    this.handlers.set(topic, set);
    return () => set.delete(handler);
  }

  /** Delivers to this instance at once, and to the others through the database. */
  async publish(event: InstanceEvent): Promise<void> {
    this.deliver(event);
    if (this.config.database.driver !== 'postgres') return;
    const client = new Client({ connectionString: this.config.database.url });
    client.on('error', () => undefined); // a late socket error must not crash the process; the catch below reports failures
    // A short-lived client rather than the ORM's pool: publishing must not wait for a busy pool.
    try {
      await client.connect();
      await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(event)]);
    } catch (error) {
      this.logger.error({ err: error, topic: event.topic }, 'Could not notify the other instances');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async onModuleInit(): Promise<void> {
    if (this.config.database.driver === 'postgres') await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.config.database.driver !== 'postgres' || this.stopped) return;
    const client = new Client({ connectionString: this.config.database.url });
    const lost = (error?: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.connected = false;
      if (error) this.logger.warn({ err: error }, 'Lost the LISTEN connection; caches are bypassed until it is back');
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      try {
        this.deliver(JSON.parse(message.payload) as InstanceEvent);
      } catch {
        this.logger.warn('Ignored a malformed instance event');
      }
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.connected = true;
      // Whatever happened while nobody listened is unknown: start from empty caches.
      this.deliverToAll({ topic: 'reset' });
    } catch (error) {
      lost(error);
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private deliver(event: InstanceEvent): void {
    if (event.topic === 'reset') return this.deliverToAll(event);
    for (const handler of this.handlers.get(event.topic) ?? []) handler(event);
  }

  private deliverToAll(event: InstanceEvent): void {
    for (const set of this.handlers.values()) for (const handler of set) handler(event);
  }
}
