import type { IncomingHttpHeaders } from 'node:http';
import { sha256Hex } from './crypto';
import type { KeyAccess, Store } from './store';

/** The service's roles as scope bundles (libs/projects roles.ts). */
const VIEWER = ['projects:read', 'connections:read', 'credentials:read'];
const EDITOR = [...VIEWER, 'connections:write', 'credentials:write', 'connections:test', 'data:read'];
const ADMIN = [...EDITOR, 'members:write', 'api-keys:write', 'secrets:reveal', 'audit:read', 'projects:write'];
const ROLE_SCOPES: Record<string, readonly string[]> = {
  viewer: VIEWER,
  editor: EDITOR,
  admin: ADMIN,
  owner: [...ADMIN, 'projects:delete'],
};
/** last_used_at is written at most once a minute, as the service does. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

/** Who called, resolved for one project. */
export interface Caller {
  projectId: string;
  userId: string;
  apiKeyId: string;
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  const match = /^Bearer\s+(sbk_\S+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/**
 * The service's API key rules in one query: the key by its SHA-256 hash, with its creator and
 * the creator's role in the project the path names; refused when unknown, revoked, expired
 * or the creator is disabled; scopes are the key's cut down to the creator's role. With
 * `cacheMs` > 0 the lookup is cached that long (the service caches nothing today: keep 0
 * until it does, then match its policy).
 */
export class Authenticator {
  private readonly cache = new Map<string, { access: KeyAccess | null; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly cacheMs = 0,
  ) {}

  private async lookup(hash: string, slug: string): Promise<KeyAccess | null> {
    if (this.cacheMs <= 0) return this.store.authenticate(hash, slug);
    const key = `${hash}|${slug}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.access;
    const access = await this.store.authenticate(hash, slug);
    this.cache.set(key, { access, until: Date.now() + this.cacheMs });
    return access;
  }

  async authorize(headers: IncomingHttpHeaders, slug: string, scope: string): Promise<Caller> {
    const token = presentedKey(headers);
    if (!token || token.length > 200) throw new HttpError(401, 'UNAUTHORIZED');
    const access = await this.lookup(sha256Hex(token), slug);
    const now = new Date();
    if (!access || access.revokedAt || access.userDisabled || (access.expiresAt && access.expiresAt <= now)) {
      throw new HttpError(401, 'UNAUTHORIZED');
    }
    if (!access.lastUsedAt || now.getTime() - access.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      access.lastUsedAt = now;
      this.store.touchKey(access.keyId, now).catch(() => undefined);
    }
    const role = access.role ?? (access.userIsAdmin ? 'owner' : null);
    if (!access.projectId || access.projectId !== access.keyProjectId || !role) throw new HttpError(404, 'NOT_FOUND');
    if (!ROLE_SCOPES[role].includes(scope) || !access.scopes.includes(scope)) throw new HttpError(403, 'FORBIDDEN');
    return { projectId: access.projectId, userId: access.userId, apiKeyId: access.keyId };
  }
}
