import type { FieldError } from '@switchboard/common';
import Ajv2020, { ErrorObject } from 'ajv/dist/2020';
import { STRING_FORMATS } from './formats';

/**
 * One ajv instance for every config schema: strict (a typo in a schema fails at startup),
 * all errors at once, `default`s filled in, the formats of formats.ts.
 */
export function createAjv(): Ajv2020 {
  return new Ajv2020({
    strict: true,
    allErrors: true,
    useDefaults: true,
    // For the allowed names in "unknown property" messages.
    verbose: true,
    formats: Object.fromEntries(
      Object.entries(STRING_FORMATS).map(([name, format]) => [name, { type: 'string', validate: format.validate }]),
    ),
  });
}

const A_TYPE: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
};

/** JSON pointer "/headers/X-Foo" -> ["headers", "X-Foo"]. */
const pointerSegments = (pointer: string): string[] =>
  pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/gu, '/').replace(/~0/gu, '~'));

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const expected = known.length ? `; expected one of: ${known.join(', ')}` : '';
      return `unknown property '${String(params.additionalProperty)}'${expected}`;
    }
    case 'type':
      return `must be ${A_TYPE[String(params.type)] ?? String(params.type)}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      return STRING_FORMATS[String(params.format)]?.message ?? 'has the wrong format';
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters long`;
    case 'maxProperties':
      return `must have at most ${String(params.limit)} entries`;
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * ajv errors as `{field: "a.b", message}` (paths relative to the validated object), readable and
 * without the rejected value. A missing or unknown property is reported on its own path, a bad
 * key (propertyNames) on the key.
 */
export function toFieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    // "must match 'then' schema" and "property name must be valid" only wrap the errors that say why.
    if (error.keyword === 'if' || error.keyword === 'propertyNames') continue;
    const params = error.params as Record<string, unknown>;
    const segments = pointerSegments(error.instancePath);
    if (error.keyword === 'required') segments.push(String(params.missingProperty));
    if (error.keyword === 'additionalProperties') segments.push(String(params.additionalProperty));
    if (error.propertyName !== undefined) segments.push(error.propertyName);
    const fieldError = { field: segments.join('.'), message: messageOf(error) };
    if (!result.some((seen) => seen.field === fieldError.field && seen.message === fieldError.message)) result.push(fieldError);
  }
  return result;
}
