import assert from 'node:assert/strict';
import { AppError, ErrorCode, FieldError } from '@switchboard/common';
import { ConnectionTypeRegistry } from '@switchboard/connectors';

/** The registry the connection-type specs parse and format URIs with. */
export const registry = new ConnectionTypeRegistry();

/** The field errors of the VALIDATION_FAILED AppError `action` throws. */
export function fieldErrors(action: () => unknown): FieldError[] {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
    return error.options.errors ?? [];
  }
  assert.fail('expected a validation error');
}

/** The fields `action` is refused on. */
export const failingFields = (action: () => unknown): string[] => fieldErrors(action).map((error) => error.field);

/** The one `uri` error message of parseUri. */
export function uriError(uri: string): string {
  const errors = fieldErrors(() => registry.parseUri(uri));
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].field, 'uri');
  return errors[0].message;
}

/**
 * Parses `uri`, checks the result, formats it back with the password masked and parses that
 * again (mask allowed): the config must survive the trip.
 */
export function assertRoundTrip(
  uri: string,
  expected: { config: Record<string, unknown>; secrets: Record<string, string>; formatted: string },
): void {
  const parsed = registry.parseUri(uri);
  assert.deepEqual(parsed.config, expected.config);
  assert.deepEqual(parsed.secrets, expected.secrets);
  const formatted = registry.formatUri(parsed.type, parsed.config, Object.keys(parsed.secrets));
  assert.equal(formatted, expected.formatted);
  for (const secret of Object.values(parsed.secrets)) assert.ok(!formatted.includes(secret), 'a secret leaked into the formatted URI');
  const again = registry.parseUri(formatted, { allowMask: true });
  assert.equal(again.type, parsed.type);
  assert.deepEqual(again.config, parsed.config);
}
