import createClient from 'openapi-fetch';
import type { paths } from '../../generated/openapi';
import { problemOf, type ShownProblem } from '../api/problem';
import type { TokenPair } from '../api/types';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token stops working. */
  expiresAt: number;
}

/** Why there is no session: never signed in, signed out, or the session ended under the user. */
export type EndReason = 'none' | 'signed-out' | 'expired';

export interface SessionState {
  tokens: Tokens | null;
  ended: EndReason;
}

const STORAGE_KEY = 'switchboard.session';

/** The API is served by the same origin as the console (absolute, so that Request also works outside a page). */
export const apiOrigin = (): string => globalThis.location?.origin ?? '';
/** Refresh this long before the access token expires, so that no call meets an expired one. */
export const REFRESH_MARGIN_MS = 60_000;

function read(storage: Storage): Tokens | null {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null');
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { accessToken, refreshToken, expiresAt } = parsed as Record<string, unknown>;
    if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof expiresAt !== 'number') return null;
    return { accessToken, refreshToken, expiresAt };
  } catch {
    return null;
  }
}

/**
 * The signed-in session: tokens in memory and in this tab's sessionStorage (a reload keeps the
 * session, a new tab or a closed browser does not; never in a URL). Refresh tokens rotate: the
 * service ends a session whose old refresh token is used twice, so at most one refresh runs at
 * a time and every caller waits for it.
 */
export class Session {
  private state: SessionState;
  private refreshing: Promise<Tokens | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly auth;

  constructor(
    private readonly storage: Storage,
    fetcher: (request: Request) => Promise<Response> = (request) => fetch(request),
    private readonly now: () => number = Date.now,
  ) {
    this.auth = createClient<paths>({ baseUrl: apiOrigin(), fetch: fetcher });
    this.state = { tokens: read(storage), ended: 'none' };
    this.schedule();
  }

  get current(): SessionState {
    return this.state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  async signIn(email: string, password: string): Promise<ShownProblem | null> {
    const { data, error, response } = await this.auth.POST('/api/v1/auth/login', { body: { email, password } }).catch(() => ({
      data: undefined,
      error: undefined,
      response: undefined,
    }));
    if (!data) return problemOf(error, response);
    this.set(this.tokensOf(data), 'none');
    return null;
  }

  async signOut(): Promise<void> {
    const tokens = this.state.tokens;
    this.set(null, 'signed-out');
    // The session ends here even when the call fails: the tokens are gone from this tab.
    if (tokens) await this.auth.POST('/api/v1/auth/logout', { body: { refreshToken: tokens.refreshToken } }).catch(() => undefined);
  }

  /** An access token that is not about to expire, refreshing first when it is; null when signed out. */
  async accessToken(): Promise<string | null> {
    const tokens = this.state.tokens;
    if (!tokens) return null;
    if (tokens.expiresAt - this.now() > REFRESH_MARGIN_MS / 2) return tokens.accessToken;
    return (await this.refresh())?.accessToken ?? null;
  }

  /**
   * After a 401 for `used`: a fresh token, unless another caller already refreshed past it
   * (then that one), or null when the session cannot be renewed (it has then ended).
   */
  async renewAfterRejection(used: string): Promise<string | null> {
    const tokens = this.state.tokens;
    if (!tokens) return null;
    if (tokens.accessToken !== used) return tokens.accessToken;
    return (await this.refresh())?.accessToken ?? null;
  }

  /** Single-flight: concurrent callers share one POST /auth/refresh. */
  refresh(): Promise<Tokens | null> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<Tokens | null> {
    const tokens = this.state.tokens;
    if (!tokens) return null;
    const result = await this.auth.POST('/api/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } }).catch(() => null);
    // Signed out (or in as someone else) while the refresh was under way: its answer is stale.
    if (this.state.tokens !== tokens) return this.state.tokens;
    if (result?.data) {
      this.set(this.tokensOf(result.data), 'none');
      return this.state.tokens;
    }
    // 401: the refresh token expired or was revoked. A network failure keeps the tokens for a retry.
    if (result?.response.status === 401 || result?.response.status === 400) this.set(null, 'expired');
    return null;
  }

  private tokensOf(pair: TokenPair): Tokens {
    return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: this.now() + pair.expiresIn * 1000 };
  }

  private set(tokens: Tokens | null, ended: EndReason): void {
    this.state = { tokens, ended };
    if (tokens) this.storage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else this.storage.removeItem(STORAGE_KEY);
    this.schedule();
    for (const listener of this.listeners) listener();
  }

  /** Refreshes ahead of expiry while the tab is open, so that an idle screen stays signed in. */
  private schedule(): void {
    clearTimeout(this.timer);
    const tokens = this.state.tokens;
    if (!tokens) return;
    const wait = Math.max(0, tokens.expiresAt - REFRESH_MARGIN_MS - this.now());
    this.timer = setTimeout(() => void this.refresh(), wait);
  }
}
