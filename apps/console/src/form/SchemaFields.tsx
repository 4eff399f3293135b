import { configOf, requiredNames, USED, type Field, type FormValues } from './schema';

interface Props {
  fields: Field[];
  values: FormValues;
  /** Errors keyed by API field path (`config.host`). */
  errors: Record<string, string>;
  required: Set<string>;
  onChange: (values: FormValues) => void;
}

const inputId = (field: Field) => `config-${field.path.replace(/\./g, '-')}`;

/** The inputs of a config, generated from its JSON Schema (see schema.ts). */
export function SchemaFields({ fields, values, errors, required, onChange }: Props) {
  return (
    <>
      {fields.map((field) => {
        const value = values[field.name];
        const set = (next: string | boolean | FormValues) => onChange({ ...values, [field.name]: next });
        if (field.kind === 'group') {
          const nested = typeof value === 'object' ? value : {};
          // An optional group (an SSH tunnel) is used or not: its fields show only when it is.
          const optional = !required.has(field.name);
          const used = !optional || nested[USED] === true;
          const toggleId = `use-${inputId(field)}`;
          return (
            <fieldset key={field.path} className="group">
              <legend>{field.label}</legend>
              {field.description && <p className="help">{field.description}</p>}
              {optional && (
                <div className="field checkbox">
                  <input
                    id={toggleId}
                    type="checkbox"
                    checked={used}
                    onChange={(event) => set({ ...nested, [USED]: event.target.checked })}
                  />
                  <label htmlFor={toggleId}>Use {field.label}</label>
                </div>
              )}
              {used && (
                <SchemaFields
                  fields={field.children ?? []}
                  values={nested}
                  errors={errors}
                  required={requiredNames(field.schema, configOf(field.children ?? [], nested).config)}
                  onChange={set}
                />
              )}
            </fieldset>
          );
        }
        return (
          <FieldInput
            key={field.path}
            field={field}
            value={value}
            error={errors[`config.${field.path}`]}
            required={required.has(field.name)}
            onChange={set}
          />
        );
      })}
    </>
  );
}

interface FieldProps {
  field: Field;
  value: string | boolean | FormValues | undefined;
  error?: string;
  required: boolean;
  onChange: (value: string | boolean) => void;
}

function FieldInput({ field, value, error, required, onChange }: FieldProps) {
  const id = inputId(field);
  const help = [field.description, field.default !== undefined ? `Default: ${String(field.default)}.` : ''].filter(Boolean).join(' ');
  const described = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: field.path,
    'aria-describedby': described,
    'aria-invalid': error ? true : undefined,
    'aria-required': required || undefined,
  };
  const text = typeof value === 'string' ? value : '';
  let control;
  if (field.kind === 'boolean') {
    control = <input type="checkbox" {...common} checked={value === true} onChange={(event) => onChange(event.target.checked)} />;
  } else if (field.kind === 'choice') {
    control = (
      <select {...common} value={text} onChange={(event) => onChange(event.target.value)}>
        {(!required || text === '') && <option value="">(not set)</option>}
        {field.options?.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'json') {
    control = (
      <textarea
        {...common}
        rows={4}
        spellCheck={false}
        value={text}
        placeholder="JSON"
        onChange={(event) => onChange(event.target.value)}
      />
    );
  } else {
    const numeric = field.kind === 'integer' || field.kind === 'number';
    control = (
      <input
        {...common}
        type={numeric ? 'number' : 'text'}
        inputMode={numeric ? 'numeric' : undefined}
        min={field.minimum}
        max={field.maximum}
        step={field.kind === 'integer' ? 1 : undefined}
        placeholder={field.example}
        value={text}
        spellCheck={false}
        autoComplete="off"
        onChange={(event) => onChange(event.target.value)}
      />
    );
  }
  return (
    <div className={`field${field.kind === 'boolean' ? ' checkbox' : ''}`}>
      <label htmlFor={id} className={required ? 'required' : undefined}>
        {field.label}
      </label>
      {control}
      {help && (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {error && (
        <p className="error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
