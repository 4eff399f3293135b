import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '@switchboard/common';
import { ConfigError, Environment } from './environment';

export const SECRETS_FILE = 'instance-secrets.json';
const PRIVATE_FILE = 0o600;

interface StoredSecrets {
  encryptionKeys?: string;
  jwtSecret?: string;
}

export interface ResolvedConfig {
  config: AppConfig;
  warnings: string[];
}

/**
 * Fills in the encryption keys and JWT secret. With PostgreSQL they must be given: several
 * instances share them. Embedded, missing ones are generated once into the data dir (0600);
 * that file, left looser by an earlier version or by hand, is made 0600 before it is read or
 * written again, with a warning.
 */
export function resolveSecrets(environment: Environment): ResolvedConfig {
  const { encryptionKeys, jwtSecret } = environment;
  if (environment.database.driver === 'postgres') {
    if (!encryptionKeys) throw new ConfigError('SWITCHBOARD_ENCRYPTION_KEYS is required with DATABASE_URL (PostgreSQL)');
    if (!jwtSecret) throw new ConfigError('SWITCHBOARD_JWT_SECRET is required with DATABASE_URL (PostgreSQL)');
    return { config: { ...environment, encryptionKeys, jwtSecret }, warnings: [] };
  }
  fs.mkdirSync(environment.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(environment.dataDir, SECRETS_FILE);
  const tightened = tightenSecretsFile(file);
  if (encryptionKeys && jwtSecret) return { config: { ...environment, encryptionKeys, jwtSecret }, warnings: tightened };

  const stored = readStored(file);
  const generated: string[] = [];
  if (!encryptionKeys && !stored.encryptionKeys) {
    stored.encryptionKeys = `k1:${randomBytes(32).toString('base64')}`;
    generated.push('SWITCHBOARD_ENCRYPTION_KEYS');
  }
  if (!jwtSecret && !stored.jwtSecret) {
    stored.jwtSecret = randomBytes(48).toString('base64url');
    generated.push('SWITCHBOARD_JWT_SECRET');
  }
  if (generated.length) fs.writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: PRIVATE_FILE });
  const warnings = [
    ...tightened,
    generated.length
      ? `Generated ${generated.join(' and ')} into ${file} (mode 0600). Back it up: without it, stored secrets cannot be decrypted.`
      : `Using ${file} for settings not given in the environment.`,
  ];
  return {
    config: { ...environment, encryptionKeys: encryptionKeys ?? stored.encryptionKeys!, jwtSecret: jwtSecret ?? stored.jwtSecret! },
    warnings,
  };
}

/**
 * Drops the permission bits of the secrets file beyond 0600, if it exists and has any (the mode
 * given to writeFileSync applies only to a file it creates). Returns the warning to log. A file
 * the service may not chmod (not its owner) stays as it is, with a warning.
 */
function tightenSecretsFile(file: string): string[] {
  let current: number;
  try {
    current = fs.statSync(file).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if ((current & ~PRIVATE_FILE) === 0) return [];
  const was = `${file} was mode 0${current.toString(8)}, open beyond the service's user`;
  try {
    fs.chmodSync(file, PRIVATE_FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    return [`${was}, and only its owner may change that: make it 0600.`];
  }
  return [`${was}; now 0600.`];
}

function readStored(file: string): StoredSecrets {
  if (!fs.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredSecrets;
    return { encryptionKeys: parsed.encryptionKeys, jwtSecret: parsed.jwtSecret };
  } catch {
    throw new ConfigError(`${file} is not valid JSON; fix or remove it (removing it loses access to stored secrets)`);
  }
}
