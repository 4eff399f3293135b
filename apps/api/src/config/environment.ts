import path from 'node:path';
import type { AppConfig, LogLevel } from '@switchboard/common';
import { EgressPolicy, EgressPolicyError } from '@switchboard/connectors';
import { KeyRing, KeyRingError } from '@switchboard/crypto';

/** A bad setting: the message names the variable and never echoes its value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const JWT_SECRET_MIN = 32;
export const ADMIN_PASSWORD_MIN = 12;
export const METRICS_TOKEN_MIN = 32;

/** The environment as read, before missing secrets are filled in for embedded mode. */
export type Environment = Omit<AppConfig, 'encryptionKeys' | 'jwtSecret'> & {
  encryptionKeys?: string;
  jwtSecret?: string;
};

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

/** Validates every variable; pure, so tests can feed it any environment. */
export function parseEnvironment(env: Env, cwd = process.cwd()): Environment {
  const dataDir = path.resolve(cwd, value(env, 'SWITCHBOARD_DATA_DIR') ?? './data');
  return {
    port: port(value(env, 'PORT')),
    host: value(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    database: database(value(env, 'DATABASE_URL'), dataDir),
    encryptionKeys: encryptionKeys(value(env, 'SWITCHBOARD_ENCRYPTION_KEYS')),
    jwtSecret: jwtSecret(value(env, 'SWITCHBOARD_JWT_SECRET')),
    admin: {
      email: adminEmail(value(env, 'SWITCHBOARD_ADMIN_EMAIL')),
      password: adminPassword(env.SWITCHBOARD_ADMIN_PASSWORD),
    },
    sqliteRoot: path.resolve(cwd, value(env, 'SWITCHBOARD_SQLITE_ROOT') ?? path.join(dataDir, 'sqlite')),
    sample: sample(value(env, 'SWITCHBOARD_SAMPLE')),
    egress: egress(value(env, 'SWITCHBOARD_EGRESS_DENY'), value(env, 'SWITCHBOARD_EGRESS_ALLOW')),
    corsOrigins: corsOrigins(value(env, 'SWITCHBOARD_CORS_ORIGINS')),
    // Where `npm run build` writes it, from the directory `npm start` and the image run in.
    consoleDir: path.resolve(cwd, value(env, 'SWITCHBOARD_CONSOLE_DIR') ?? path.join('dist', 'console')),
    logLevel: logLevel(value(env, 'LOG_LEVEL')),
    metricsToken: metricsToken(value(env, 'SWITCHBOARD_METRICS_TOKEN')),
  };
}

function port(raw: string | undefined): number {
  if (raw === undefined) return 8080;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed < 1 || parsed > 65535) throw new ConfigError('PORT must be an integer from 1 to 65535');
  return parsed;
}

function database(raw: string | undefined, dataDir: string): AppConfig['database'] {
  if (raw === undefined) return { driver: 'sqlite', path: path.join(dataDir, 'switchboard.sqlite') };
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || (!url.hostname && !url.searchParams.get('host'))) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL with a host, or unset for the embedded SQLite');
  }
  return { driver: 'postgres', url: raw };
}

function encryptionKeys(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    KeyRing.parse(raw);
  } catch (error) {
    if (error instanceof KeyRingError) throw new ConfigError(`SWITCHBOARD_ENCRYPTION_KEYS: ${error.message}`);
    throw error;
  }
  return raw;
}

function jwtSecret(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < JWT_SECRET_MIN) {
    throw new ConfigError(`SWITCHBOARD_JWT_SECRET must be at least ${JWT_SECRET_MIN} characters`);
  }
  return raw;
}

function adminEmail(raw: string | undefined): string {
  if (raw === undefined) return 'admin@switchboard.local';
  if (!EMAIL.test(raw) || raw.length > 254) throw new ConfigError('SWITCHBOARD_ADMIN_EMAIL must be an email address');
  return raw.toLowerCase();
}

function adminPassword(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < ADMIN_PASSWORD_MIN || raw.length > 256) {
    throw new ConfigError(`SWITCHBOARD_ADMIN_PASSWORD must be ${ADMIN_PASSWORD_MIN} to 256 characters`);
  }
  return raw;
}

function sample(raw: string | undefined): boolean {
  if (raw === undefined || raw.toLowerCase() === 'true') return true;
  if (raw.toLowerCase() === 'false') return false;
  throw new ConfigError('SWITCHBOARD_SAMPLE must be true or false');
}

function egress(deny: string | undefined, allow: string | undefined): AppConfig['egress'] {
  try {
    EgressPolicy.parse({ deny, allow });
  } catch (error) {
    if (error instanceof EgressPolicyError) throw new ConfigError(`SWITCHBOARD_EGRESS_${error.setting.toUpperCase()}: ${error.message}`);
    throw error;
  }
  return { deny, allow };
}

const CORS_ORIGIN_SHAPE = 'an http:// or https:// origin (scheme://host[:port], no path, query or wildcard)';

/**
 * Exact browser origins, serialized as browsers send them in `Origin` (lower-case host, no
 * default port), so that matching is plain string equality. `*` is refused: it would let any
 * page its visitors open read what this service answers them, an intranet instance included.
 */
function corsOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const origins = raw.split(',').map((entry, index) => corsOrigin(entry.trim(), index + 1));
  return [...new Set(origins)];
}

function corsOrigin(entry: string, position: number): string {
  const bad = (why: string) => new ConfigError(`SWITCHBOARD_CORS_ORIGINS: entry ${position} ${why}`);
  if (entry === '') throw bad('is empty (remove the extra comma)');
  if (entry === '*') throw bad(`is *: list each console's exact origin instead`);
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw bad(`must be ${CORS_ORIGIN_SHAPE}`);
  }
  const exact = url.pathname === '/' && !/[?#]/.test(entry) && !url.username && !url.password && !url.hostname.includes('*');
  if (!['http:', 'https:'].includes(url.protocol) || !exact) throw bad(`must be ${CORS_ORIGIN_SHAPE}`);
  return url.origin;
}

function logLevel(raw: string | undefined): LogLevel {
  if (raw === undefined) return 'info';
  const level = raw.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function metricsToken(raw: string | undefined): string | undefined {
  // A scraper's token is a password for the whole instance's figures: long, and one header line.
  if (raw !== undefined && (raw.length < METRICS_TOKEN_MIN || raw.length > 512 || !/^[\x21-\x7e]+$/.test(raw))) {
    throw new ConfigError(`SWITCHBOARD_METRICS_TOKEN must be ${METRICS_TOKEN_MIN} to 512 printable characters without spaces`);
  }
  return raw;
}
