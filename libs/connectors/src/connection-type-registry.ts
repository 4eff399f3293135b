import { FieldError, validationFailed } from '@switchboard/common';
import type { ValidateFunction } from 'ajv/dist/2020';
import {
  ConnectionConfig,
  ConnectionType,
  ConnectionTypeDefinition,
  ParsedUri,
  SECRET_MASK,
  secretValueProblem,
  SecretsUpdate,
  UriError,
} from './connection-type';
import { createAjv, toFieldErrors } from './schema-validation';
import { CONNECTION_TYPE_DEFINITIONS, CONNECTION_TYPES } from './supported-types';

export const MAX_URI_LENGTH = 4096;

export interface ParsedConnectionUri extends ParsedUri {
  type: ConnectionType;
}

type ConfigValidation = { ok: true; config: ConnectionConfig } | { ok: false; errors: FieldError[] };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// The URL parser resolves '.' and '..' segments away, which would silently change a path.
const hasDotSegment = (uri: string): boolean =>
  uri
    .split(/[?#]/u)[0]
    .split('/')
    .some((segment) => /^(\.|%2e){1,2}$/iu.test(segment));

/**
 * Looks connection types up and validates what clients send for them: config against the
 * type's JSON Schema (compiled once, at construction), secrets against its secret names,
 * connection URIs against its URI support. Every rejection is a VALIDATION_FAILED AppError.
 */
export class ConnectionTypeRegistry {
  private readonly byType = new Map<string, ConnectionTypeDefinition>();
  private readonly byScheme = new Map<string, ConnectionTypeDefinition>();
  private readonly validators = new Map<string, ValidateFunction>();
  /** Each type's secret names, looked up for every connection a list shows. */
  private readonly secretNamesByType = new Map<string, ReadonlySet<string>>();

  constructor(private readonly definitions: readonly ConnectionTypeDefinition[] = CONNECTION_TYPE_DEFINITIONS) {
    const ajv = createAjv();
    for (const definition of definitions) {
      assertConsistent(definition);
      if (this.byType.has(definition.type)) throw new Error(`Connection type ${definition.type} is defined twice`);
      this.byType.set(definition.type, definition);
      this.validators.set(definition.type, ajv.compile(definition.configSchema));
      this.secretNamesByType.set(definition.type, new Set(definition.secretFields.map((field) => field.name)));
      for (const scheme of definition.uri?.schemes ?? []) {
        if (this.byScheme.has(scheme)) throw new Error(`URI scheme ${scheme} is claimed by two connection types`);
        this.byScheme.set(scheme, definition);
      }
    }
  }

  list(): readonly ConnectionTypeDefinition[] {
    return this.definitions;
  }

  /** For GET /connection-types/{type}: undefined answers 404. */
  find(type: string): ConnectionTypeDefinition | undefined {
    return this.byType.get(type);
  }

  /** For request bodies: an unknown type is a validation error (400) on `type`. */
  validateType(type: unknown): ConnectionTypeDefinition {
    const definition = typeof type === 'string' ? this.byType.get(type) : undefined;
    if (!definition) throw validationFailed([{ field: 'type', message: `must be one of: ${[...this.byType.keys()].join(', ')}` }]);
    return definition;
  }

  /** The names of the type's secrets; VALIDATION_FAILED for an unknown type, as validateType. */
  secretNames(type: unknown): ReadonlySet<string> {
    return this.secretNamesByType.get(this.validateType(type).type)!;
  }

  /** A copy of `config` with defaults filled in, or VALIDATION_FAILED with errors on `config.<path>`. */
  validateConfig(type: unknown, config: unknown): ConnectionConfig {
    const result = this.validate(this.validateType(type), config);
    if (result.ok) return result.config;
    throw validationFailed(result.errors.map((error) => ({ ...error, field: error.field ? `config.${error.field}` : 'config' })));
  }

  /**
   * Only the type's secret names, each a string of at most 64 KiB or null; the mask only when
   * `allowMask` (updates, where it means "keep"). Errors are on `secrets.<name>`.
   */
  validateSecrets(type: unknown, secrets: unknown, options: { allowMask: boolean }): SecretsUpdate {
    const definition = this.validateType(type);
    if (secrets === undefined) return {};
    if (!isPlainObject(secrets)) throw validationFailed([{ field: 'secrets', message: 'must be an object' }]);
    const names = definition.secretFields.map((field) => field.name);
    const errors: FieldError[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      const message = !names.includes(name)
        ? `unknown secret '${name}'; ${names.length ? `expected one of: ${names.join(', ')}` : `${definition.type} takes no secrets`}`
        : secretValueProblem(value, options.allowMask);
      if (message) errors.push({ field: `secrets.${name}`, message });
    }
    if (errors.length) throw validationFailed(errors);
    const checked = definition.checkSecrets?.(secrets as SecretsUpdate, options) ?? [];
    if (checked.length) throw validationFailed(checked.map((error) => ({ ...error, field: `secrets.${error.field}` })));
    return { ...secrets } as SecretsUpdate;
  }

  /**
   * Splits a connection URI into type, validated config (defaults filled in) and secrets. Any
   * problem is one error on `uri` whose message never repeats the URI. The password may be the
   * mask only when `allowMask` (an update re-sending the URI it was shown).
   */
  parseUri(uri: unknown, options: { allowMask?: boolean } = {}): ParsedConnectionUri {
    const fail = (message: string) => validationFailed([{ field: 'uri', message }]);
    if (typeof uri !== 'string') throw fail('must be a string');
    if (uri.length > MAX_URI_LENGTH) throw fail(`must be at most ${MAX_URI_LENGTH} characters long`);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw fail('is not a valid URI such as postgresql://user:password@host:5432/database');
    }
    const scheme = url.protocol.slice(0, -1);
    const definition = this.byScheme.get(scheme);
    if (!definition?.uri) throw fail(`has an unsupported scheme; expected one of: ${[...this.byScheme.keys()].join(', ')}`);
    if (url.hash) throw fail('must not have a fragment (#...)');
    if (hasDotSegment(uri)) throw fail("must not contain '.' or '..' path segments");

    let parsed: ParsedUri;
    try {
      parsed = definition.uri.parse(url);
    } catch (error) {
      if (error instanceof UriError) throw fail(error.message);
      throw error;
    }
    if (!options.allowMask && Object.values(parsed.secrets).includes(SECRET_MASK)) {
      throw fail(`carries the mask ${SECRET_MASK} instead of a password; put the real one in`);
    }
    const result = this.validate(definition, parsed.config);
    // One field (`uri`), so each message says which part of the URI it is about.
    if (!result.ok) throw validationFailed(result.errors.map((error) => ({ field: 'uri', message: `${error.field} ${error.message}` })));
    return { type: definition.type, config: result.config, secrets: parsed.secrets };
  }

  /** The connection as a URI with the password masked; undefined for a type without URI support. */
  formatUri(type: unknown, config: ConnectionConfig, secretFields: readonly string[]): string | undefined {
    const uri = this.validateType(type).uri;
    return uri?.format(config, secretFields.includes(uri.passwordSecret ?? 'password'));
  }

  /** A validated copy of `config` with defaults filled in, or the errors (fields relative to config). */
  private validate(definition: ConnectionTypeDefinition, config: unknown): ConfigValidation {
    if (!isPlainObject(config)) return { ok: false, errors: [{ field: '', message: 'must be an object' }] };
    // ajv writes defaults into the object it validates; the caller's stays untouched.
    const copy = structuredClone(config);
    const validateSchema = this.validators.get(definition.type)!;
    if (!validateSchema(copy)) return { ok: false, errors: toFieldErrors(validateSchema.errors ?? []) };
    const errors = definition.checkConfig?.(copy) ?? [];
    return errors.length ? { ok: false, errors } : { ok: true, config: copy };
  }
}

/** Catches a definition that contradicts itself at startup rather than on some request. */
function assertConsistent(definition: ConnectionTypeDefinition): void {
  const problem = (message: string) => new Error(`Connection type ${definition.type}: ${message}`);
  if (!(CONNECTION_TYPES as readonly string[]).includes(definition.type)) throw problem('is not in CONNECTION_TYPES');
  const schema = definition.configSchema;
  if (schema.type !== 'object' || schema.additionalProperties !== false) {
    throw problem('configSchema must be type object with additionalProperties false');
  }
  const properties = Object.keys((schema.properties as object | undefined) ?? {});
  for (const field of [...definition.locationFields, ...definition.credentialFields]) {
    if (!properties.includes(field)) throw problem(`${field} is not a config property`);
  }
  const secrets = definition.secretFields.map((field) => field.name);
  for (const setting of definition.transportSecurity) {
    if (!(setting.source === 'config' ? properties : secrets).includes(setting.name)) {
      throw problem(`transport setting ${setting.name} is not a ${setting.source === 'config' ? 'config property' : 'secret field'}`);
    }
  }
}
