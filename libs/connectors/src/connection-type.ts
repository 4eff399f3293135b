import type { FieldError } from '@switchboard/common';
import type { SUPPORTED_CONNECTION_TYPES } from './supported-types';

/** The kinds of system Switchboard connects to: one folder per type under libs/connectors/src, listed in supported-types.ts. */
export type ConnectionType = (typeof SUPPORTED_CONNECTION_TYPES)[number]['definition']['type'];

/** Kinds of stored credential (libs/credentials); a connection type lists the ones it can use. */
export const CREDENTIAL_TYPES = ['basic', 'ssh-key', 'aws', 'token', 'tls', 'generic'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** What a type can do beyond being stored; introspection routes answer 422 for the rest. */
export const CAPABILITIES = [
  'test',
  'catalogs',
  'databases',
  'schemas',
  'createSchema',
  'tables',
  'columns',
  'preview',
  'query',
  'files',
  'fileSchema',
  'sendTestEmail',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What responses and formatted URIs show instead of a secret; sent back on update, it keeps the stored value. */
export const SECRET_MASK = '********';

/** The most one secret value may hold, given inline on a connection or in a shared credential. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Secret values by name, in the clear: what a connector uses and a credential seals. */
export type Secrets = Record<string, string>;

/** Secrets as a request sends them: a value sets, null clears, omission or (on updates) the mask keeps. */
export type SecretsUpdate = Record<string, string | null>;

/** What is wrong with one secret value a request sends, if anything: the same rules inline and in a shared credential. */
export function secretValueProblem(value: unknown, allowMask: boolean): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') return 'must be a string, or null to clear it';
  if (value === SECRET_MASK && !allowMask) return `is the mask ${SECRET_MASK}, not a secret; send the real value`;
  if (value === '') return 'must not be empty; send null to clear it';
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) return `must be at most ${MAX_SECRET_BYTES} bytes`;
  return undefined;
}

/** A JSON Schema (draft 2020-12 subset that ajv 8 understands). */
export type JsonSchema = Record<string, unknown>;

export type ConnectionConfig = Record<string, unknown>;

export interface SecretFieldDefinition {
  name: string;
  label: string;
  description: string;
  /** Multi-line PEM or key material rather than a one-line password. */
  multiline?: boolean;
}

/** A connection string split into the non-secret config and the secrets it carried. */
export interface ParsedUri {
  config: ConnectionConfig;
  secrets: Secrets;
}

export interface UriSupport {
  /** URL schemes accepted on create, e.g. ['postgres', 'postgresql']. */
  schemes: string[];
  /** Throws UriError (with a message naming what is wrong, never echoing the URI) when unusable. */
  parse(uri: URL): ParsedUri;
  /** The secret a URI carries in its userinfo (shown masked); `password` unless said otherwise. */
  passwordSecret?: string;
  /** The config as a URI; a password, when `hasPassword`, appears as "********", never for real. */
  format(config: ConnectionConfig, hasPassword: boolean): string;
}

/** A connection as far as protecting its traffic goes: its (validated) config and the secrets it would use. */
export interface TransportView {
  config: ConnectionConfig;
  secrets: Readonly<Secrets>;
}

/**
 * A setting beside the location that protects the traffic to it: TLS on, the certificate or
 * host key checked. Weakening one lets whoever sits on the path to the same place read or
 * take what is sent, so the points-elsewhere rules count it as a move; strengthening is free.
 * Built with the helpers in transport-security.ts.
 */
export interface TransportSetting {
  /** The config field or secret, as problems and /connection-types name it. */
  name: string;
  source: 'config' | 'secret';
  weakens(before: TransportView, after: TransportView): boolean;
}

export class UriError extends Error {
  override name = 'UriError';
}

/**
 * Everything Switchboard knows about a connection type without talking to it: drives
 * validation, defaults, masking, URIs and the Swagger/`/connection-types` description.
 */
export interface ConnectionTypeDefinition<T extends string = ConnectionType> {
  type: T;
  label: string;
  description: string;
  /** JSON Schema of `config`: `type: object`, `additionalProperties: false`, `default`s for defaults. */
  configSchema: JsonSchema;
  /** The only names allowed in `secrets`. */
  secretFields: SecretFieldDefinition[];
  /** Stored credential types whose secrets can serve this type. */
  credentialTypes: CredentialType[];
  /** Config fields that say where the connection points (host, port, endpoint, bucket, path...). */
  locationFields: string[];
  /** What protects the traffic to that location; weakening it counts as pointing elsewhere. Empty when nothing does. */
  transportSecurity: TransportSetting[];
  capabilities: Capability[];
  /** Secret names this (validated, defaulted) config cannot do without, e.g. smtp password when auth is true. */
  requiredSecrets(config: ConnectionConfig): string[];
  /** Config fields a credential's non-secret `fields` may fill in when the config leaves them out (e.g. username). */
  credentialFields: string[];
  /** Cross-field rules JSON Schema cannot state (e.g. min <= max), on the validated, defaulted config; fields relative to config. */
  checkConfig?(config: ConnectionConfig): FieldError[];
  /**
   * What can be told of secrets offline (e.g. a private key that is not one), on the secrets a
   * request sends: null clears, the mask (only when `allowMask`) or an absent name keeps the
   * stored value, which is not known here. Fields relative to secrets.
   */
  checkSecrets?(secrets: Readonly<SecretsUpdate>, options: { allowMask: boolean }): FieldError[];
  uri?: UriSupport;
}

/** Name of a type's config schema in the OpenAPI document, e.g. `PostgresConfig`. */
export const configSchemaName = (type: ConnectionType): string => `${type[0].toUpperCase()}${type.slice(1)}Config`;
