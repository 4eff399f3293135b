import { FieldError, validationFailed } from '@switchboard/common';
import { type CredentialType, secretValueProblem } from '@switchboard/connectors';
import { CREDENTIAL_TYPE_SPECS, FIELD_NAME_PATTERN } from './types/credential-types';

const MAX_FIELD_LENGTH = 1000;
const MAX_NAMES = 50;

function checkNames(kind: 'fields' | 'secrets', values: Record<string, unknown>, allowed: string[] | 'any', errors: FieldError[]): void {
  const names = Object.keys(values);
  if (names.length > MAX_NAMES) errors.push({ field: kind, message: `${kind} may hold at most ${MAX_NAMES} values` });
  for (const name of names) {
    const known = allowed === 'any' ? FIELD_NAME_PATTERN.test(name) : allowed.includes(name);
    if (!known) {
      const expected = allowed === 'any' ? 'a name of letters, digits and _' : allowed.length ? `one of ${allowed.join(', ')}` : 'none';
      errors.push({ field: `${kind}.${name}`, message: `unknown ${kind === 'fields' ? 'field' : 'secret'}; expected ${expected}` });
    }
  }
}

/**
 * Checks a credential's fields and (merged) secrets against its type; 400 naming each bad one.
 * Secret values follow the rules inline secrets do. `rejectMask` (create): the mask reads show is never a value to store.
 */
export function assertCredentialContent(
  type: CredentialType,
  fields: Record<string, unknown>,
  secrets: Record<string, unknown>,
  options: { rejectMask?: boolean } = {},
): void {
  const spec = CREDENTIAL_TYPE_SPECS[type];
  const errors: FieldError[] = [];
  checkNames('fields', fields, spec.fields, errors);
  checkNames('secrets', secrets, spec.secrets, errors);
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || value.length > MAX_FIELD_LENGTH) {
      errors.push({ field: `fields.${name}`, message: `must be a string of at most ${MAX_FIELD_LENGTH} characters` });
    }
  }
  for (const [name, value] of Object.entries(secrets)) {
    // What is stored holds values only: null clears a secret on an update, and is merged away before this check.
    const problem =
      value === null ? 'must be a string (null clears a secret on updates only)' : secretValueProblem(value, !options.rejectMask);
    if (problem) errors.push({ field: `secrets.${name}`, message: problem });
  }
  for (const name of spec.requiredSecrets) {
    if (secrets[name] === undefined) errors.push({ field: `secrets.${name}`, message: `is required for a ${type} credential` });
  }
  if (errors.length) throw validationFailed(errors);
}

/** Merge-patches string fields: a value sets, null removes. */
export function mergeFields(current: Record<string, string>, patch: Record<string, string | null>): Record<string, string> {
  const next = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
}
