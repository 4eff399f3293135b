import type { FieldError } from '../api/types';

/** Field errors no field on screen can show, listed with the field the API named. */
export function OtherErrors({ errors, shownAtFields }: { errors: FieldError[]; shownAtFields: Set<string> }) {
  const others = errors.filter((error) => !shownAtFields.has(error.field));
  if (!others.length) return null;
  return (
    <ul className="error">
      {others.map((error) => (
        <li key={error.field}>
          <code>{error.field}</code> {error.message}
        </li>
      ))}
    </ul>
  );
}
