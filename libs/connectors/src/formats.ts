import { isIPv6 } from 'node:net';

/**
 * The `format`s the config schemas use, implemented here (ajv-formats is not a dependency),
 * each with the message a client sees when a value does not match.
 */
export interface StringFormat {
  validate: (value: string) => boolean;
  message: string;
}

/** C0 controls and DEL: line breaks, NUL, escapes. Written as a loop because no-control-regex forbids the regex. */
export function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const singleLine = (value: string): boolean => !hasControlCharacters(value);

// Characters that mean a URL, path or list was pasted where a bare host belongs.
const NOT_IN_HOST = /[\s/\\@?#,[\]]/u;

function isHost(value: string): boolean {
  if (!singleLine(value) || NOT_IN_HOST.test(value)) return false;
  // A colon is only legal in an IPv6 literal; "host:5432" belongs in two fields.
  return !value.includes(':') || isIPv6(value);
}

function isHttpUrl(value: string): boolean {
  if (!singleLine(value) || /\s/u.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // Credentials in a URL would be stored and shown as plain config; they belong in secrets.
  const plain = !url.username && !url.password && !url.search && !url.hash;
  // Port 0 is nobody's: an explicit ":0" can only fail later, at connect time.
  return (url.protocol === 'http:' || url.protocol === 'https:') && plain && url.port !== '0';
}

// RFC 9110 token characters.
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/u;
// Set by the HTTP client itself; letting config override them breaks framing or routing.
const CLIENT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade']);
// Non-secret `headers` are shown in responses, so credentials must go through authType and secrets.
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

const isHeaderName = (value: string): boolean => HEADER_TOKEN.test(value) && !CLIENT_HEADERS.has(value.toLowerCase());

function isS3Bucket(value: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/u.test(value) &&
    !value.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/u.test(value) &&
    !value.startsWith('xn--') &&
    !value.endsWith('-s3alias')
  );
}

export const STRING_FORMATS: Record<string, StringFormat> = {
  'single-line': { validate: singleLine, message: 'must not contain control characters such as line breaks' },
  hostname: { validate: isHost, message: 'must be a host name or IP address, without scheme, port, path or spaces' },
  'http-url': { validate: isHttpUrl, message: 'must be an http:// or https:// URL without credentials, query or fragment' },
  'url-path': {
    // "//host" or "/\host" would be resolved against the base URL as another host.
    validate: (value) => /^\/(?!\/)[^\s#\\]*$/u.test(value) && singleLine(value),
    message: "must be a path starting with a single '/', without spaces, backslashes or fragment",
  },
  'absolute-path': {
    validate: (value) => value.startsWith('/') && singleLine(value),
    message: "must be an absolute path starting with '/'",
  },
  email: {
    validate: (value) => /^[^\s@<>()",;\\]+@[^\s@<>()",;\\]+$/u.test(value) && singleLine(value),
    message: 'must be an email address such as name@example.com',
  },
  'header-name': {
    validate: isHeaderName,
    message: "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), not one the client sets itself such as Host",
  },
  'plain-header-name': {
    validate: (value) => isHeaderName(value) && !CREDENTIAL_HEADERS.has(value.toLowerCase()),
    message:
      'must be an HTTP header name, not one the client sets itself such as Host, nor Authorization or Cookie: credentials go in secrets (see authType)',
  },
  's3-bucket': {
    validate: isS3Bucket,
    message: "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
  },
  'aws-region': { validate: (value) => /^[a-z0-9][a-z0-9_-]{0,63}$/u.test(value), message: 'must be a region name such as us-east-1' },
  'ssh-fingerprint': {
    validate: (value) => /^SHA256:[A-Za-z0-9+/]{43}=?$/u.test(value),
    message: 'must be an OpenSSH SHA256 fingerprint such as SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 (ssh-keygen -lf)',
  },
  charset: { validate: (value) => /^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$/u.test(value), message: 'must be a charset name such as UTF-8' },
  'key-name': {
    validate: (value) => /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/u.test(value),
    message: "must start with a letter or '_' and contain only letters, digits, '_', '.' and '-' (at most 64)",
  },
};
