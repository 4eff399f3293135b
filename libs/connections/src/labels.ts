import { FieldError, validationFailed } from '@switchboard/common';

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const MAX_LABELS = 50;
const MAX_VALUE_LENGTH = 200;

/** Labels are for filtering and display: short string keys and values, a bounded number. */
export function assertLabels(labels: Record<string, unknown>): asserts labels is Record<string, string> {
  const errors: FieldError[] = [];
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) errors.push({ field: 'labels', message: `at most ${MAX_LABELS} labels` });
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) errors.push({ field: `labels.${key}`, message: 'keys are 1-63 letters, digits, ".", "_", "/" or "-"' });
    else if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) {
      errors.push({ field: `labels.${key}`, message: `must be a string of at most ${MAX_VALUE_LENGTH} characters` });
    }
  }
  if (errors.length) throw validationFailed(errors);
}
