import type { SecretField } from '../api/types';
import type { SecretState } from './secrets';

interface Props {
  field: SecretField;
  state: SecretState;
  error?: string;
  onChange: (state: SecretState) => void;
}

/** One write-only secret: an input while a value is being entered, otherwise what will happen to it. */
export function SecretInput({ field, state, error, onChange }: Props) {
  const id = `secret-${field.name}`;
  const described = [`${id}-help`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const editing = state.mode === 'empty' || state.mode === 'set' || state.mode === 'replace';
  const input = (value: string, next: (value: string) => SecretState) => {
    const common = {
      id,
      value,
      autoComplete: 'new-password',
      'aria-describedby': described,
      'aria-invalid': error ? true : undefined,
      onChange: (event: { target: { value: string } }) => onChange(next(event.target.value)),
    };
    return field.multiline ? <textarea {...common} rows={4} spellCheck={false} /> : <input type="password" {...common} />;
  };
  return (
    <div className="field secret">
      {editing ? (
        <label htmlFor={id}>{field.label}</label>
      ) : (
        <span className="label" id={`${id}-label`}>
          {field.label}
        </span>
      )}
      {/* One input in one place for empty, set and replace: typing must not remount it (focus would be lost). */}
      {editing &&
        input(state.mode === 'empty' ? '' : state.value, (value) =>
          state.mode === 'replace' ? { mode: 'replace', value } : value ? { mode: 'set', value } : { mode: 'empty' },
        )}
      {state.mode === 'replace' && (
        <button type="button" className="link" onClick={() => onChange({ mode: 'keep' })}>
          Keep the stored {field.label.toLowerCase()}
        </button>
      )}
      {state.mode === 'keep' && (
        <div className="secret-state" role="group" aria-labelledby={`${id}-label`}>
          <span className="badge">Set · kept</span>
          <button type="button" onClick={() => onChange({ mode: 'replace', value: '' })}>
            Replace {field.label.toLowerCase()}
          </button>
          <button type="button" onClick={() => onChange({ mode: 'clear' })}>
            Clear {field.label.toLowerCase()}
          </button>
        </div>
      )}
      {state.mode === 'clear' && (
        <div className="secret-state" role="group" aria-labelledby={`${id}-label`}>
          <span className="badge warn">Will be cleared on save</span>
          <button type="button" onClick={() => onChange({ mode: 'keep' })}>
            Keep {field.label.toLowerCase()}
          </button>
        </div>
      )}
      <p className="help" id={`${id}-help`}>
        {field.description} Write-only: a stored value is never shown.
      </p>
      {error && (
        <p className="error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
