/**
 * One operation's conversation with a Databricks workspace, on the shared REST client
 * (../rest-api): a personal access token, or an OAuth M2M token from the workspace's
 * /oidc/v1/token (client-credentials grant, scope all-apis, the client by HTTP Basic as
 * Databricks documents it; https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html),
 * cached until shortly before it expires. The Unity Catalog 2.1 lists are followed page by page.
 */
import type { ConnectorContext, ResolvedConnection } from '../connector';
import type { OAuthTokenCache } from '../rest-api/oauth-token-cache';
import { RestApiClient, type Authorization, type HttpMethod, type SendOptions } from '../rest-api/rest-api-client';
import { protocolError } from '../rest-api/rest-api-failure';
import { workspaceUrlOf } from './databricks.definition';
import { errorMessageOf, statusCode } from './databricks-metadata';

/** Bytes of one answer read at most (a list page, a warehouse, a table): it is parsed whole, at many times its size. */
export const DATABRICKS_BODY_LIMIT = 4 * 1024 * 1024;
/** Bytes of a statement's answer or a later result chunk read at most: the API caps INLINE results at 25 MiB. */
export const STATEMENT_BODY_LIMIT = 32 * 1024 * 1024;
export const OAUTH_SCOPE = 'all-apis';
/** Pages one list follows at most, empty ones included, and the longest page token taken, as for iceberg. */
export const MAX_PAGES = 10_000;
export const MAX_PAGE_TOKEN_CHARS = 4_096;
/** Entries one list gathers at most. */
export const MAX_LIST_ITEMS = 100_000;

export class DatabricksClient extends RestApiClient {
  readonly base: URL;

  constructor(
    private readonly connection: ResolvedConnection,
    context: ConnectorContext,
    private readonly tokens: OAuthTokenCache,
  ) {
    const base = workspaceUrlOf(connection.config);
    super({
      where: base.origin,
      url: base,
      secrets: connection.secrets,
      context,
      bodyLimit: DATABRICKS_BODY_LIMIT,
      errorMessageOf,
      statusCode,
    });
    this.base = base;
  }

  /** A request to `path` (from /api/…) of the workspace; the 2xx body, or a RestApiFailure. */
  call(method: HttpMethod, path: string, options: SendOptions & { query?: Record<string, string>; body?: unknown } = {}): Promise<unknown> {
    const url = new URL(path, this.base);
    if (url.origin !== this.base.origin) throw protocolError(`${this.where} pointed outside the workspace.`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    return this.authorized(method, url, (fresh) => this.authorization(fresh), {
      body: options.body,
      tokens: this.tokens,
      graceMs: options.graceMs,
      bodyLimit: options.bodyLimit,
    });
  }

  /**
   * Every item of a Unity Catalog 2.1 list: `max_results=0` (the server's page size), then
   * `page_token` until a page comes without `next_page_token`; a page may be empty and still have one.
   * Only what `pick` takes of each item is kept.
   */
  async list<T>(path: string, key: string, query: Record<string, string>, pick: (item: Record<string, unknown>) => T): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    const fail = (message: string) => protocolError(`${this.where} ${message}`);
    let token: string | undefined;
    for (;;) {
      if (seen.size >= MAX_PAGES) throw fail(`pages a list in more than ${MAX_PAGES} pages.`);
      const body = (await this.call('GET', path, {
        query: { ...query, max_results: '0', ...(token ? { page_token: token } : {}) },
      })) as Record<string, unknown> | null;
      const page = body?.[key] ?? [];
      if (!Array.isArray(page)) throw fail(`answered a list whose "${key}" is not an array.`);
      if (items.length + page.length > MAX_LIST_ITEMS) throw fail(`lists more than ${MAX_LIST_ITEMS} entries.`);
      // One by one: spreading a long page into push() overflows the stack.
      for (const item of page as unknown[]) items.push(pick((item ?? {}) as Record<string, unknown>));
      const next = body?.next_page_token;
      if (typeof next !== 'string' || next === '') return items;
      if (next.length > MAX_PAGE_TOKEN_CHARS) throw fail(`answered a page token over ${MAX_PAGE_TOKEN_CHARS} characters.`);
      if (seen.has(next)) throw fail('repeated a page token.');
      seen.add(next);
      token = next;
    }
  }

  /** The Authorization header: the personal access token, or an OAuth M2M token (cached, or fetched now). */
  private authorization(forceFresh: boolean): Promise<Authorization> {
    const { config, secrets } = this.connection;
    if (config.authType !== 'oauth-m2m') return Promise.resolve({ header: `Bearer ${secrets.token ?? ''}` });
    const grant = {
      tokenUrl: new URL('/oidc/v1/token', this.base),
      clientId: String(config.clientId ?? ''),
      clientSecret: secrets.clientSecret ?? '',
      scope: OAUTH_SCOPE,
      clientAuth: 'basic' as const,
    };
    return this.clientCredentials(grant, this.tokens, forceFresh);
  }
}
