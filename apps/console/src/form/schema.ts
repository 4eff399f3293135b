/**
 * The fields of a connection type's config, read from its JSON Schema (GET /connection-types/{type}),
 * so that a new type needs no console change. What the console cannot render as an input
 * (objects without properties, arrays) is edited as JSON.
 */
export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema | boolean>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  format?: string;
  examples?: unknown[];
  if?: JsonSchema;
  then?: JsonSchema;
  else?: JsonSchema;
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
};

export type FieldKind = 'text' | 'integer' | 'number' | 'boolean' | 'choice' | 'group' | 'json';

export interface Field {
  /** Dotted path inside config (`host`, `sshTunnel.port`), as the API names it in field errors after `config.`. */
  path: string;
  name: string;
  label: string;
  description?: string;
  kind: FieldKind;
  options?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  example?: string;
  schema: JsonSchema;
  children?: Field[];
}

/** What the inputs hold: text as typed, booleans as booleans, groups as nested values. */
export type FormValues = { [name: string]: string | boolean | FormValues };

/** In an optional group's values: whether it is used at all (an SSH tunnel or not). */
export const USED = '$used';

const typeOf = (schema: JsonSchema): string | undefined =>
  Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type;

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.enum?.every((value) => typeof value === 'string')) return 'choice';
  switch (typeOf(schema)) {
    case 'string':
      return 'text';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return schema.properties && Object.keys(schema.properties).length ? 'group' : 'json';
    default:
      return 'json';
  }
}

const humanize = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (first) => first.toUpperCase());

export function fieldsOf(schema: JsonSchema, parent = ''): Field[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => {
    if (typeof property !== 'object') return [];
    const path = parent ? `${parent}.${name}` : name;
    const kind = kindOf(property);
    const example = property.examples?.find((value) => typeof value === 'string' || typeof value === 'number');
    return [
      {
        path,
        name,
        label: property.title ?? humanize(name),
        description: property.description,
        kind,
        options: kind === 'choice' ? (property.enum as string[]) : undefined,
        default: property.default,
        minimum: property.minimum,
        maximum: property.maximum,
        example: example === undefined ? undefined : String(example),
        schema: property,
        children: kind === 'group' ? fieldsOf(property, path) : undefined,
      },
    ];
  });
}

/** Whether `value` satisfies the simple conditions `if` uses in these schemas: const, enum, required. */
function matches(condition: JsonSchema, value: Record<string, unknown>): boolean {
  for (const name of condition.required ?? []) if (value[name] === undefined) return false;
  for (const [name, property] of Object.entries(condition.properties ?? {})) {
    if (typeof property !== 'object' || value[name] === undefined) continue;
    if ('const' in property && value[name] !== property.const) return false;
    if (property.enum && !property.enum.includes(value[name])) return false;
  }
  return true;
}

/** The names required at this level for this value, `if`/`then`/`else` and `allOf` included. */
export function requiredNames(schema: JsonSchema, value: Record<string, unknown>): Set<string> {
  const names = new Set(schema.required ?? []);
  const branches = [schema, ...(schema.allOf ?? [])];
  for (const branch of branches) {
    if (branch !== schema) for (const name of branch.required ?? []) names.add(name);
    if (!branch.if) continue;
    const chosen = matches(branch.if, value) ? branch.then : branch.else;
    for (const name of chosen ? requiredNames(chosen, value) : []) names.add(name);
  }
  return names;
}

/** Initial values: the schema's defaults and the type's, and a stored config when editing. */
export function initialValues(fields: Field[], defaults: Record<string, unknown> = {}, stored?: Record<string, unknown>): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const present = stored ? stored[field.name] : (defaults[field.name] ?? field.default);
    if (field.kind === 'group') {
      const nested = typeof present === 'object' && present !== null ? (present as Record<string, unknown>) : undefined;
      // A group's own defaults (a tunnel's port) show once it is used.
      values[field.name] = { ...initialValues(field.children ?? [], {}, nested), [USED]: nested !== undefined };
    } else if (field.kind === 'boolean') values[field.name] = present === true;
    else if (field.kind === 'json') values[field.name] = present === undefined ? '' : JSON.stringify(present, null, 2);
    else values[field.name] = present === undefined || present === null ? '' : String(present);
  }
  return values;
}

/** A group left entirely empty (an optional SSH tunnel not used) is left out of the config. */
function isBlank(fields: Field[], values: FormValues): boolean {
  return fields.every((field) => {
    const value = values[field.name];
    if (field.kind === 'group') return typeof value === 'object' && isBlank(field.children ?? [], value);
    return value === '' || value === false || value === undefined;
  });
}

export interface ConfigResult {
  config: Record<string, unknown>;
  /** Input the console cannot turn into a value (a number that is not one, JSON that does not parse). */
  errors: Record<string, string>;
}

/**
 * The config to send: empty inputs left out (the service applies defaults), numbers as numbers,
 * booleans only when the schema has them, JSON parsed. Errors are keyed `config.<path>`, as the API's.
 */
export function configOf(fields: Field[], values: FormValues, required: ReadonlySet<string> = new Set()): ConfigResult {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    const key = `config.${field.path}`;
    if (field.kind === 'group') {
      if (typeof value !== 'object' || (value[USED] === false && !required.has(field.name)) || isBlank(field.children ?? [], value))
        continue;
      const nested = configOf(field.children ?? [], value);
      config[field.name] = nested.config;
      Object.assign(errors, nested.errors);
    } else if (field.kind === 'boolean') {
      if (value === true || field.default !== undefined) config[field.name] = value === true;
    } else if (typeof value === 'string' && value.trim() !== '') {
      if (field.kind === 'integer' || field.kind === 'number') {
        const parsed = Number(value);
        if (!Number.isFinite(parsed) || (field.kind === 'integer' && !Number.isInteger(parsed))) {
          errors[key] = field.kind === 'integer' ? 'must be a whole number' : 'must be a number';
        } else config[field.name] = parsed;
      } else if (field.kind === 'json') {
        try {
          config[field.name] = JSON.parse(value);
        } catch {
          errors[key] = 'must be valid JSON';
        }
      } else config[field.name] = value;
    }
  }
  return { config, errors };
}

/** Required fields left empty, keyed as the API keys its errors, so that they show before any request. */
export function missingRequired(
  fields: Field[],
  schema: JsonSchema,
  config: Record<string, unknown>,
  parent = 'config',
): Record<string, string> {
  const missing: Record<string, string> = {};
  const required = requiredNames(schema, config);
  for (const field of fields) {
    const value = config[field.name];
    if (value === undefined) {
      if (required.has(field.name)) missing[`${parent}.${field.name}`] = 'is required';
    } else if (field.kind === 'group' && typeof value === 'object' && value !== null) {
      Object.assign(
        missing,
        missingRequired(field.children ?? [], field.schema, value as Record<string, unknown>, `${parent}.${field.name}`),
      );
    }
  }
  return missing;
}
