import { ConnectionConfig, SECRET_MASK, UriError } from './connection-type';

/**
 * Helpers for `scheme://user:password@host:port/path?query` connection strings. Messages
 * name the part that is wrong and never repeat what the URI holds: it may carry a password.
 */

export interface Authority {
  username?: string;
  password?: string;
  host?: string;
  port?: number;
}

export function decode(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new UriError(`${what} is not validly percent-encoded`);
  }
}

/** User, password, host (IPv6 without brackets) and port, percent-decoded; empty parts left out. */
export function authorityOf(url: URL): Authority {
  const authority: Authority = {};
  const username = decode(url.username, 'the user name');
  const password = decode(url.password, 'the password');
  const host = decode(url.hostname.replace(/^\[(.*)\]$/u, '$1'), 'the host');
  if (username) authority.username = username;
  if (password) authority.password = password;
  if (host) authority.host = host;
  if (url.port) authority.port = Number(url.port);
  return authority;
}

/** The path after its leading '/', percent-decoded; '' when there is none. */
export function pathOf(url: URL): string {
  return decode(url.pathname.replace(/^\//u, ''), 'the path');
}

/** For schemes whose path means nothing: ignoring one would hide a mistake. */
export function refusePath(url: URL): void {
  if (url.pathname && url.pathname !== '/') throw new UriError(`${url.protocol}// URIs take no path`);
}

const shownName = (name: string): string => (name.length > 64 ? `${name.slice(0, 64)}...` : name);

/** The query's `name=value` pairs as written, with their decoded names ('+' stays '+', as in libpq and JDBC URLs). */
function* queryPairs(url: URL): Generator<{ pair: string; name: string; rawValue: string }> {
  for (const pair of url.search.replace(/^\?/u, '').split('&')) {
    if (!pair) continue;
    const separator = pair.indexOf('=');
    const name = decode(separator < 0 ? pair : pair.slice(0, separator), 'a query parameter name');
    yield { pair, name, rawValue: separator < 0 ? '' : pair.slice(separator + 1) };
  }
}

function addOnce(query: Record<string, string>, name: string, rawValue: string): void {
  if (Object.hasOwn(query, name)) throw new UriError(`query parameter '${shownName(name)}' is given more than once`);
  query[name] = decode(rawValue, `query parameter '${shownName(name)}'`);
}

/**
 * The query as name -> value. Names outside `allowed` are refused by name; `'any'` takes all
 * (generic's extras).
 */
export function queryOf(url: URL, allowed: readonly string[] | 'any'): Record<string, string> {
  const query: Record<string, string> = {};
  for (const { name, rawValue } of queryPairs(url)) {
    if (allowed !== 'any' && !allowed.includes(name)) {
      const expected = allowed.length ? `; expected ${allowed.join(', ')}` : '; this URI takes none';
      throw new UriError(`unknown query parameter '${shownName(name)}'${expected}`);
    }
    addOnce(query, name, rawValue);
  }
  return query;
}

/**
 * Takes the parameters named in `names` out of the query (decoded, each at most once): they and
 * the URL without them, its other parameters left as written for the type's own parser.
 */
export function takeQuery(url: URL, names: readonly string[]): { taken: Record<string, string>; rest: URL } {
  const taken: Record<string, string> = {};
  const kept: string[] = [];
  for (const { pair, name, rawValue } of queryPairs(url)) {
    if (names.includes(name)) addOnce(taken, name, rawValue);
    else kept.push(pair);
  }
  const rest = new URL(url.href);
  rest.search = kept.length ? `?${kept.join('&')}` : '';
  return { taken, rest };
}

/** The entries whose value is defined, so absent URI parts leave config fields to their defaults. */
export function compact<T>(record: Record<string, T | undefined>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, T] => entry[1] !== undefined));
}

export function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UriError(`query parameter '${name}' must be true or false`);
}

/** A config value for format(): config has been validated, so a wrong type only means "absent". */
export const stringOf = (config: ConnectionConfig, name: string): string | undefined =>
  typeof config[name] === 'string' ? config[name] : undefined;
export const numberOf = (config: ConnectionConfig, name: string): number | undefined =>
  typeof config[name] === 'number' ? config[name] : undefined;

export interface UriParts {
  scheme: string;
  username?: string;
  /** Shown as the mask, never the real value. */
  hasPassword?: boolean;
  host?: string;
  port?: number;
  /** Path segments, each percent-encoded; an empty list gives a lone '/'. */
  path?: string[];
  /** Entries whose value is undefined are left out. */
  query?: Record<string, string | number | boolean | undefined>;
}

// ':', '/' and '@' are legal in a query value and keep endpoints and addresses readable.
const encodeQueryValue = (value: string): string =>
  encodeURIComponent(value).replace(/%3A/gu, ':').replace(/%2F/gu, '/').replace(/%40/gu, '@');

export function buildUri(parts: UriParts): string {
  let userInfo = '';
  if (parts.username !== undefined || parts.hasPassword) {
    userInfo = `${encodeURIComponent(parts.username ?? '')}${parts.hasPassword ? `:${SECRET_MASK}` : ''}@`;
  }
  const host = parts.host?.includes(':') ? `[${parts.host}]` : (parts.host ?? '');
  const port = parts.port === undefined ? '' : `:${parts.port}`;
  const path = parts.path === undefined ? '' : `/${parts.path.map(encodeURIComponent).join('/')}`;
  const query = queryText(parts.query ?? {});
  return `${parts.scheme}://${userInfo}${host}${port}${path}${query ? `?${query}` : ''}`;
}

/** `uri` with `query` added after its own query parameters. */
export function appendQuery(uri: string, query: UriParts['query'] & object): string {
  const added = queryText(query);
  if (!added) return uri;
  return `${uri}${uri.includes('?') ? '&' : '?'}${added}`;
}

function queryText(query: NonNullable<UriParts['query']>): string {
  return Object.entries(query)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeQueryValue(String(value))}`)
    .join('&');
}
