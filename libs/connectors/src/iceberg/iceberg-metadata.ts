/**
 * Reading what an Iceberg REST catalog answers (Apache Iceberg REST catalog OpenAPI spec,
 * open-api/rest-catalog-open-api.yaml; types as in the table spec): namespaces, table schemas
 * as columns, errors as the coded errors of every type. Pure: no I/O here.
 */
import type { TestErrorCode } from '../connector';
import type { ColumnInfo } from '../introspection/types';

/** Namespace levels in `parent` and in paths (the spec's unit separator). */
export const NAMESPACE_SEPARATOR = '\u001f';

/** How the API names a nested namespace: its levels joined with '.', as Spark and PyIceberg show them. */
export const namespaceName = (levels: readonly string[]): string => levels.join('.');
export const namespaceLevels = (name: string): string[] => name.split('.');

/** A namespace as a path segment: levels joined with the unit separator, percent-encoded. */
export const namespacePath = (levels: readonly string[]): string => encodeURIComponent(levels.join(NAMESPACE_SEPARATOR));

type IcebergType = string | { type: string; [key: string]: unknown };

interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The Iceberg type as a string: primitives as the spec spells them, nested ones as struct<…>, list<…>, map<…, …>. */
export function icebergTypeName(type: unknown): string {
  if (typeof type === 'string') return type;
  if (!isObject(type)) return 'unknown';
  switch (type.type) {
    case 'struct': {
      const fields = Array.isArray(type.fields) ? (type.fields as unknown[]).filter(isObject) : [];
      return `struct<${fields.map((field) => `${String(field.name)}: ${icebergTypeName(field.type)}`).join(', ')}>`;
    }
    case 'list':
      return `list<${icebergTypeName(type.element)}>`;
    case 'map':
      return `map<${icebergTypeName(type.key)}, ${icebergTypeName(type.value)}>`;
    default:
      return typeof type.type === 'string' ? type.type : 'unknown';
  }
}

/**
 * The columns of a LoadTableResult: the top-level fields of the table's current schema
 * (`current-schema-id`, or format v1's lone `schema`), in order. Identifier fields count as the
 * primary key; Iceberg has no default expressions for existing rows. Undefined when the answer has no such schema.
 */
export function columnsOf(loadTableResult: unknown): ColumnInfo[] | undefined {
  const metadata = isObject(loadTableResult) && isObject(loadTableResult.metadata) ? loadTableResult.metadata : undefined;
  if (!metadata) return undefined;
  const schemas = Array.isArray(metadata.schemas) ? (metadata.schemas as unknown[]).filter(isObject) : [];
  const current =
    schemas.find((schema) => schema['schema-id'] === metadata['current-schema-id']) ??
    (isObject(metadata.schema) ? metadata.schema : undefined);
  if (!current || !Array.isArray(current.fields)) return undefined;
  const identifiers = new Set(Array.isArray(current['identifier-field-ids']) ? (current['identifier-field-ids'] as unknown[]) : []);
  return (current.fields as unknown[]).filter(isObject).map((raw, index) => {
    const field = raw as unknown as IcebergField;
    return {
      name: String(field.name),
      type: icebergTypeName(field.type),
      nullable: field.required !== true,
      default: null,
      primaryKey: identifiers.has(field.id),
      position: index + 1,
    };
  });
}

export { retryAfterSeconds } from '../rest-api/retry-after';

/** The message of an IcebergErrorResponse `{error: {message, type, code}}` or an OAuthError `{error, error_description}`. */
export function errorMessageOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const error = body.error;
  if (isObject(error)) {
    const type = typeof error.type === 'string' ? error.type : undefined;
    const message = typeof error.message === 'string' ? error.message : undefined;
    return type && message ? `${type}: ${message}` : (message ?? type);
  }
  if (typeof error === 'string') return typeof body.error_description === 'string' ? `${error}: ${body.error_description}` : error;
  return undefined;
}

/** The test code of an HTTP error status; 419 is the spec's AuthenticationTimeoutException (an expired token). */
export function statusCode(status: number): TestErrorCode {
  if (status === 401 || status === 419) return 'AUTH_FAILED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  return 'PROTOCOL_ERROR';
}
