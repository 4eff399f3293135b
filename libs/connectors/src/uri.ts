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

/**
 * The query as name -> value. Names outside `allowed` are refused by name; `'any'` takes all
 * (generic's extras). '+' stays '+', as in libpq and JDBC URLs, not form encoding.
 */
export function queryOf(url: URL, allowed: readonly string[] | 'any'): Record<string, string> {
  const query: Record<string, string> = {};
  for (const pair of url.search.replace(/^\?/u, '').split('&')) {
    if (!pair) continue;
    const separator = pair.indexOf('=');
    const name = decode(separator < 0 ? pair : pair.slice(0, separator), 'a query parameter name');
    const value = separator < 0 ? '' : pair.slice(separator + 1);
    if (allowed !== 'any' && !allowed.includes(name)) {
      const expected = allowed.length ? `; expected ${allowed.join(', ')}` : '; this URI takes none';
      throw new UriError(`unknown query parameter '${shownName(name)}'${expected}`);
    }
    if (Object.hasOwn(query, name)) throw new UriError(`query parameter '${shownName(name)}' is given more than once`);
    query[name] = decode(value, `query parameter '${shownName(name)}'`);
  }
  return query;
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
  const query = Object.entries(parts.query ?? {})
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeQueryValue(String(value))}`)
    .join('&');
  return `${parts.scheme}://${userInfo}${host}${port}${path}${query ? `?${query}` : ''}`;
}
