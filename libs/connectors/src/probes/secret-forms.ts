/** Shortest secret worth scrubbing: shorter ones (and their encodings) would blank ordinary text. */
export const MIN_SCRUBBED_LENGTH = 3;
/** Shortest piece of base64 kept from inside a longer encoding: shorter ones match by chance. */
const MIN_BASE64_PIECE = 6;

const HEX = '0123456789ABCDEF';
/** Left as is by encodeURIComponent and by form encoding (application/x-www-form-urlencoded). */
const URI_UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;
const FORM_UNRESERVED = /[A-Za-z0-9\-_.*]/;

/** Percent-encodes the UTF-8 bytes of `value`, keeping `unreserved`; form encoding writes a space as `+`. */
function percentEncode(bytes: Buffer, unreserved: RegExp, spaceAsPlus: boolean): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (byte < 0x80 && unreserved.test(char)) out += char;
    else if (byte === 0x20 && spaceAsPlus) out += '+';
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Standard and url-safe, with and without padding; and the characters that only the secret's
 * bits make when it sits inside a longer encoding at each byte offset (a Basic header's
 * user:password, SMTP AUTH PLAIN's \0user\0password, a JSON body in base64).
 */
function base64Forms(bytes: Buffer): string[] {
  const whole = bytes.toString('base64');
  const forms = [whole, whole.replace(/=+$/, '')];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const piece = shifted.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
    if (piece.length >= MIN_BASE64_PIECE) forms.push(piece);
  }
  return forms.flatMap((form) => [form, form.replace(/\+/g, '-').replace(/\//g, '_')]);
}

/** JSON string contents: as JSON.stringify writes them, with non-ASCII as \uXXXX, and either with / as \/. */
function jsonForms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  const ascii = escaped.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [escaped, ascii, escaped.replace(/\//g, '\\/'), ascii.replace(/\//g, '\\/')];
}

/**
 * The forms a target may echo a secret back in: as is, base64, percent- and form-encoded
 * (upper- and lowercase escapes), base64 of the percent- and form-encoded secret (an OAuth
 * client's Basic header, RFC 6749 §2.3.1), hex (upper and lower) and JSON-escaped. None for a
 * secret shorter than MIN_SCRUBBED_LENGTH.
 */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SCRUBBED_LENGTH) return [];
  const bytes = Buffer.from(secret, 'utf8');
  const hex = bytes.toString('hex');
  const percent = [percentEncode(bytes, URI_UNRESERVED, false), percentEncode(bytes, FORM_UNRESERVED, true)];
  const forms = new Set([
    secret,
    ...base64Forms(bytes),
    hex,
    hex.toUpperCase(),
    ...percent,
    ...percent.map((form) => form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())),
    ...percent.filter((form) => form !== secret).flatMap((form) => base64Forms(Buffer.from(form))),
    ...jsonForms(secret),
  ]);
  return [...forms].filter((form) => form.length >= MIN_SCRUBBED_LENGTH);
}
