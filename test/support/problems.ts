import assert from 'node:assert/strict';
import { expectProblem, Reply } from './test-app';

/** The fields a VALIDATION_FAILED problem names, in its order. */
export const fieldsOf = (reply: Reply): string[] => ((reply.body?.errors ?? []) as { field: string }[]).map((error) => error.field);

/** Asserts a 400 VALIDATION_FAILED problem that names `field` among its errors. */
export function expectFieldError(reply: Reply, field: string): void {
  expectProblem(reply, 400, 'VALIDATION_FAILED');
  assert.ok(fieldsOf(reply).includes(field), `expected an error on "${field}", got ${reply.text}`);
}
