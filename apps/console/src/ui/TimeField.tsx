/** An ISO instant as a datetime-local input shows it: local time, to the minute. */
export function localInputOf(iso: string): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** What a datetime-local input holds (local time) as an ISO instant in UTC; '' when empty or incomplete. */
export function isoOf(local: string): string {
  const date = new Date(local);
  return local && !Number.isNaN(date.getTime()) ? date.toISOString() : '';
}

interface Props {
  id: string;
  label: string;
  /** An ISO instant, or ''. */
  value: string;
  onChange: (iso: string) => void;
  help?: string;
}

/** A labelled local date and time that reads and writes ISO instants (what the API takes). */
export function TimeField({ id, label, value, onChange, help }: Props) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="datetime-local"
        value={localInputOf(value)}
        aria-describedby={help ? `${id}-help` : undefined}
        onChange={(event) => onChange(isoOf(event.target.value))}
      />
      {help && (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      )}
    </div>
  );
}
