/** An OAuth token is replaced this long before it expires (a tenth of its life when that is shorter). */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** How long a token that says nothing of its expiry is kept. */
const TOKEN_UNDATED_MS = 5 * 60_000;
/** The longest a token is kept, whatever expires_in says: a token endpoint does not pin a token in memory for good. */
const TOKEN_MAX_LIFETIME_MS = 24 * 60 * 60_000;
const MAX_CACHED_TOKENS = 256;

/**
 * OAuth access tokens by client (token URL, client id, a hash of the secret, scope), shared by
 * every operation of a connector; a changed secret is another client, so never served a stale token.
 */
export class OAuthTokenCache {
  private readonly tokens = new Map<string, { token: string; refreshAt: number }>();

  get(key: string, now = Date.now()): string | undefined {
    const entry = this.tokens.get(key);
    if (entry && entry.refreshAt > now) return entry.token;
    this.tokens.delete(key);
    return undefined;
  }

  set(key: string, token: string, expiresInSeconds: number | undefined, now = Date.now()): void {
    const lifetime = expiresInSeconds === undefined ? TOKEN_UNDATED_MS : Math.min(expiresInSeconds * 1000, TOKEN_MAX_LIFETIME_MS);
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 10);
    this.tokens.delete(key);
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    this.tokens.set(key, { token, refreshAt: now + lifetime - margin });
  }

  evict(key: string): void {
    this.tokens.delete(key);
  }
}
