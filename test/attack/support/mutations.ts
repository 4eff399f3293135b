import type { Json } from './openapi';
import type { Prng } from './prng';

/** One request body to send: raw text, so it can be what JSON.stringify never writes. */
export interface Mutation {
  /** What was done, for failure messages. */
  label: string;
  /** The dotted path of the field it changed (`config.path`), when it changed one. */
  field?: string;
  /** The body text; undefined sends none. */
  text?: string;
  /** The Content-Type header; null sends none (and the body as bytes). */
  contentType?: string | null;
  /** More request headers. */
  headers?: Record<string, string>;
}

type Value = readonly [label: string, text: () => string];
const fixed = (label: string, text: string): Value => [label, () => text];

/** Wrong types (DESIGN: bad input is a 4xx, never a 5xx) and hostile strings, as JSON text. */
const WRONG_TYPES: readonly Value[] = [
  fixed('number', '42'),
  fixed('string', '"a string"'),
  fixed('boolean', 'true'),
  fixed('array', '[1,"a",null,{}]'),
  fixed('object', '{"a":{"b":[1]}}'),
];

const HOSTILE: readonly Value[] = [
  ...WRONG_TYPES,
  fixed('null', 'null'),
  fixed('zero', '0'),
  fixed('minus zero', '-0'),
  fixed('1e309', '1e309'),
  fixed('-1e309', '-1e309'),
  fixed('a 30-digit integer', '123456789012345678901234567890'),
  fixed('a fraction', '0.5'),
  fixed('-1', '-1'),
  fixed('"NaN"', '"NaN"'),
  fixed('"-Infinity"', '"-Infinity"'),
  fixed('a numeric string', '"5000"'),
  fixed('false', 'false'),
  fixed('empty array', '[]'),
  fixed('empty object', '{}'),
  fixed('empty string', '""'),
  fixed('blank string', '"   "'),
  fixed('NUL', '"a\\u0000b"'),
  fixed('control characters', '"\\u0001\\u0008\\u001b[31m\\u007f"'),
  fixed('a lone surrogate', '"\\ud800x"'),
  fixed('unicode', '"名前 ✓ émoji 😀 \\u202e RTL"'),
  fixed('CRLF', '"line1\\r\\nline2: injected"'),
  fixed('the mask', '"********"'),
  fixed('SQL', JSON.stringify("'; DROP TABLE connections;--")),
  fixed('path traversal', '"../../../../etc/passwd"'),
  fixed('a template', '"${7*7}{{7*7}}%s%n"'),
  fixed('an impossible date', '"2026-13-45T99:99:99Z"'),
  fixed('the nil UUID', '"00000000-0000-0000-0000-000000000000"'),
  fixed('__proto__ inside', '{"__proto__":{"polluted":"yes"}}'),
  fixed('constructor inside', '{"constructor":{"prototype":{"polluted":"yes"}}}'),
  fixed('a 10 kB string', JSON.stringify('y'.repeat(10_000))),
];

/** The costly ones: every operation gets each once, on a field of its own. */
const HEAVY: readonly Value[] = [
  ['a 1 MB string', () => JSON.stringify('x'.repeat(1_000_000))],
  ['5,000 nested arrays', () => '['.repeat(5000) + ']'.repeat(5000)],
  ['5,000 nested objects', () => '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)],
];

/** ETags a client might send, or an attacker: a precondition fails (412) or is malformed (400), never a 5xx. */
const IF_MATCH = ['*', 'W/"1"', '"abc"', '"1", "2"', '"99999999999999999999999"', '"-1"', '""', '"1', `"${'9'.repeat(5000)}"`, '"1.5e3"'];

const SENTINEL = '"__fuzz-value-f3a9__"';

/** `body` as JSON text with the field at `path` replaced by `raw` (or removed when raw is undefined). */
export function withField(body: Json, path: string[], raw: string | undefined): string {
  const copy = structuredClone(body);
  let node: any = copy;
  for (const segment of path.slice(0, -1)) {
    if (node[segment] === null || typeof node[segment] !== 'object') node[segment] = {};
    node = node[segment];
  }
  const last = path[path.length - 1];
  if (raw === undefined) delete node[last];
  // Defined, not assigned: `__proto__` becomes a key of the JSON rather than the object's prototype.
  else Object.defineProperty(node, last, { value: JSON.parse(SENTINEL), enumerable: true, configurable: true, writable: true });
  return JSON.stringify(copy).replace(SENTINEL, () => raw ?? '');
}

/** The fields to mutate: the schema's properties and the seed's, one level into objects and arrays the seed holds. */
function fieldsOf(seed: Json, schema: Json): string[][] {
  const top = [...new Set([...Object.keys(schema.properties ?? {}), ...Object.keys(seed)])];
  const nested = Object.entries(seed).flatMap(([key, value]) =>
    value && typeof value === 'object' ? [...Object.keys(value).map((inner) => [key, inner]), [key, 'unknownInner']] : [],
  );
  return [...top.map((key) => [key]), ...nested];
}

export interface MutationPlan {
  seeds: Json[];
  schema: Json;
  mediaTypes: string[];
  /** Whether the operation takes If-Match (odd ones are sent with the seed). */
  ifMatch: boolean;
  /** How many bodies in all: the fixed ones, then (field, hostile value) pairs drawn at random up to it (8 at least). */
  total: number;
}

/**
 * The bodies for one operation: every seed as is (the control), whole-body oddities (not
 * JSON, wrong media types, duplicate keys, prototype keys, too large, too deep), each required
 * field missing, each field null and of one wrong type, the heavy values once, and more
 * (field, hostile value) pairs drawn from `prng` up to `total`.
 */
export function mutationsFor(plan: MutationPlan, prng: Prng): Mutation[] {
  const [seed] = plan.seeds;
  const seedText = JSON.stringify(seed);
  const keys = Object.keys(seed);
  const inner = seedText.slice(1, -1);
  const out: Mutation[] = plan.seeds.map((body, index) => ({ label: `seed ${index} as is`, text: JSON.stringify(body) }));
  out.push(
    { label: 'empty body', text: '' },
    { label: 'JSON null', text: 'null' },
    { label: 'JSON array', text: `[${seedText}]` },
    { label: 'JSON string', text: '"text"' },
    { label: 'JSON number', text: '42' },
    { label: 'JSON true', text: 'true' },
    { label: 'truncated JSON', text: seedText.slice(0, -1) },
    { label: 'not JSON', text: "{name: 'x', 'single': quotes,}" },
    { label: 'empty object', text: '{}' },
    { label: 'a byte order mark', text: `\ufeff${seedText}` },
    { label: 'text/plain', text: seedText, contentType: 'text/plain' },
    { label: 'a form', text: 'name=x&type=sqlite', contentType: 'application/x-www-form-urlencoded' },
    { label: 'no content type', text: seedText, contentType: null },
    { label: 'JSON declared as latin1', text: seedText, contentType: 'application/json; charset=latin1' },
    { label: 'an unknown field', text: `{${inner}${inner ? ',' : ''}"unknownField":1}` },
    { label: '__proto__ at the top', text: `{"__proto__":{"polluted":"yes","isAdmin":true}${inner ? ',' : ''}${inner}}` },
    { label: 'constructor.prototype at the top', text: `{"constructor":{"prototype":{"polluted":"yes"}}${inner ? ',' : ''}${inner}}` },
    { label: 'over 1 MiB', text: `{"pad":"${'p'.repeat(1_100_000)}"}` },
    { label: '10,000 nested arrays', text: '['.repeat(10_000) + ']'.repeat(10_000) },
  );
  if (keys.length) {
    const key = JSON.stringify(keys[0]);
    out.push({ label: `${key} twice, last null`, field: keys[0], text: `{${inner},${key}:null}` });
    out.push({ label: `${key} twice, first an object`, field: keys[0], text: `{${key}:{"x":1},${inner}}` });
  }
  for (const mediaType of plan.mediaTypes.filter((type) => type !== 'application/json')) {
    out.push({ label: `as ${mediaType}`, text: seedText, contentType: mediaType });
  }
  if (plan.ifMatch) {
    for (const value of IF_MATCH) out.push({ label: `If-Match: ${value.slice(0, 40)}`, text: seedText, headers: { 'if-match': value } });
  }

  const fields = fieldsOf(seed, plan.schema);
  const field = (path: string[], label: string, raw: string | undefined, body = seed): Mutation => ({
    label: `${path.join('.')}: ${label}${body === seed ? '' : ' (in the example)'}`,
    field: path.join('.'),
    text: withField(body, path, raw),
  });
  for (const name of plan.schema.required ?? []) out.push(field([name], 'missing', undefined));
  for (const path of fields) {
    out.push(field(path, 'null', 'null'));
    const [label, text] = prng.pick(WRONG_TYPES);
    out.push(field(path, label, text()));
  }
  const objects = Object.keys(seed).filter((key) => seed[key] && typeof seed[key] === 'object' && !Array.isArray(seed[key]));
  for (const key of objects) {
    out.push(field([key, '__proto__'], 'a __proto__ key', '{"polluted":"yes","isAdmin":true}'));
    out.push(field([key, 'constructor'], 'a constructor key', '{"prototype":{"polluted":"yes"}}'));
  }
  for (const [label, text] of HEAVY) out.push(field(prng.pick(fields), label, text()));
  for (let i = Math.max(8, plan.total - out.length); i > 0; i--) {
    const body = prng.pick(plan.seeds);
    const [label, text] = prng.pick(HOSTILE);
    out.push(field(prng.pick(fieldsOf(body, plan.schema)), label, text(), body));
  }
  return out;
}
