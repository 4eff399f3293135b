import { Injectable, OnModuleInit } from '@nestjs/common';
import { CoherentCache, InstanceEvents, type InstanceEvent } from '@switchboard/database';
import type { ApiKeyAuthRow } from '../api-keys/api-key-authentication.repository';
import type { SessionAuthRow } from '../sessions/sessions.repository';

export const AUTH_TOPIC = 'auth';
/** A backstop only: every change that matters is invalidated explicitly, here and on the other instances. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * What changed: one key, one session, everything of one user (disabled, deleted, new password,
 * admin flag), or the keys of a deleted project.
 */
export type AuthChange = { kind: 'apiKey' | 'session' | 'user' | 'project'; id: string };

/**
 * The rows authentication reads on every request (an API key by its hash, a live session by
 * its id), kept in memory. A revoked key, an ended session or a disabled user is dropped at
 * once on the instance that made the change and, through InstanceEvents (PostgreSQL
 * LISTEN/NOTIFY), within milliseconds on the others. Misses (unknown keys) are not kept, so a
 * new key works at once.
 */
@Injectable()
export class AuthCache implements OnModuleInit {
  private readonly keys: CoherentCache<ApiKeyAuthRow | null>;
  private readonly sessions: CoherentCache<SessionAuthRow | null>;

  constructor(private readonly events: InstanceEvents) {
    this.keys = new CoherentCache(events, MAX_ENTRIES, TTL_MS);
    this.sessions = new CoherentCache(events, MAX_ENTRIES, TTL_MS);
  }

  onModuleInit(): void {
    this.events.subscribe(AUTH_TOPIC, (event) => this.apply(event));
  }

  apiKey(keyHash: string, load: () => Promise<ApiKeyAuthRow | null>): Promise<ApiKeyAuthRow | null> {
    return this.keys.get(keyHash, load);
  }

  session(sessionId: string, load: () => Promise<SessionAuthRow | null>): Promise<SessionAuthRow | null> {
    return this.sessions.get(sessionId, load);
  }

  /** Call after the change is committed: drops it here and tells the other instances. */
  changed(change: AuthChange): Promise<void> {
    return this.events.publish({ topic: AUTH_TOPIC, ...change });
  }

  private apply(event: InstanceEvent): void {
    const id = String(event.id);
    if (event.topic === 'reset') {
      this.keys.invalidate();
      this.sessions.invalidate();
    } else if (event.kind === 'apiKey') {
      this.keys.invalidate((row) => row?.id === id);
    } else if (event.kind === 'project') {
      this.keys.invalidate((row) => row?.projectId === id);
    } else if (event.kind === 'session') {
      this.sessions.invalidate((_, sessionId) => sessionId === id);
    } else if (event.kind === 'user') {
      this.keys.invalidate((row) => row?.userId === id);
      this.sessions.invalidate((row) => row?.userId === id);
    }
  }
}
