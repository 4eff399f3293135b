import type { CredentialType } from '@switchboard/connectors';

export interface CredentialTypeSpec {
  description: string;
  /** Allowed non-secret field names; `any` for generic. */
  fields: string[] | 'any';
  /** Allowed secret names; `any` for generic. */
  secrets: string[] | 'any';
  /** Secrets a credential of this type cannot do without. */
  requiredSecrets: string[];
}

/** Field names line up with the connection types' secret fields, so a credential plugs straight in. */
export const CREDENTIAL_TYPE_SPECS: Record<CredentialType, CredentialTypeSpec> = {
  basic: { description: 'Username and password.', fields: ['username'], secrets: ['password'], requiredSecrets: ['password'] },
  'ssh-key': {
    description: 'SSH private key (PEM/OpenSSH) with an optional passphrase.',
    fields: ['username'],
    secrets: ['privateKey', 'passphrase'],
    requiredSecrets: ['privateKey'],
  },
  aws: {
    description: 'AWS-style access key pair, optionally with a session token.',
    fields: [],
    secrets: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
    requiredSecrets: ['accessKeyId', 'secretAccessKey'],
  },
  token: { description: 'A bearer or API token.', fields: [], secrets: ['token'], requiredSecrets: ['token'] },
  tls: {
    description: 'TLS material as PEM text: CA, client certificate, client key.',
    fields: [],
    secrets: ['tlsCa', 'tlsCert', 'tlsKey'],
    requiredSecrets: [],
  },
  generic: { description: 'Any named values.', fields: 'any', secrets: 'any', requiredSecrets: [] },
};

export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
