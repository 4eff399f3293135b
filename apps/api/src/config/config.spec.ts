import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseEnvironment } from './environment';
import { resolveSecrets, SECRETS_FILE } from './instance-secrets';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-config-'));
const validKeys = `k1:${randomBytes(32).toString('base64')}`;

function configError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => parseEnvironment(env, '/srv'),
    (error: Error) => error instanceof ConfigError && error.message.startsWith(variable) && !error.message.includes('\n'),
  );
}

describe('parseEnvironment', () => {
  it('defaults to port 8080 and the embedded SQLite under ./data', () => {
    const config = parseEnvironment({}, '/srv');
    assert.equal(config.port, 8080);
    assert.equal(config.dataDir, '/srv/data');
    assert.deepEqual(config.database, { driver: 'sqlite', path: '/srv/data/switchboard.sqlite' });
    assert.equal(config.logLevel, 'info');
    assert.equal(config.admin.password, undefined);
    assert.equal(config.sample, true);
  });

  it('skips the sample with SWITCHBOARD_SAMPLE=false', () => {
    assert.equal(parseEnvironment({ SWITCHBOARD_SAMPLE: 'false' }, '/srv').sample, false);
    assert.equal(parseEnvironment({ SWITCHBOARD_SAMPLE: 'TRUE' }, '/srv').sample, true);
  });

  it('selects PostgreSQL from DATABASE_URL', () => {
    const config = parseEnvironment({ DATABASE_URL: 'postgresql://u:p@db:5432/sb' }, '/srv');
    assert.deepEqual(config.database, { driver: 'postgres', url: 'postgresql://u:p@db:5432/sb' });
  });

  it('names the bad variable in one line and never echoes its value', () => {
    configError({ PORT: '80a' }, 'PORT');
    configError({ PORT: '70000' }, 'PORT');
    configError({ DATABASE_URL: 'mysql://u:hunter2@h/db' }, 'DATABASE_URL');
    configError({ SWITCHBOARD_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' }, 'SWITCHBOARD_ENCRYPTION_KEYS');
    configError({ SWITCHBOARD_JWT_SECRET: 'short' }, 'SWITCHBOARD_JWT_SECRET');
    configError({ SWITCHBOARD_ADMIN_EMAIL: 'nope' }, 'SWITCHBOARD_ADMIN_EMAIL');
    configError({ SWITCHBOARD_ADMIN_PASSWORD: 'short' }, 'SWITCHBOARD_ADMIN_PASSWORD');
    configError({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    const badOrigins = ['ftp://x', 'https://a.com/path', 'https://a.com,,https://b.com', 'https://a.com,', '*', 'https://a.com,*'];
    badOrigins.push('https://*.example.com', 'https://u:p@a.com', 'https://a.com?x', 'https://a.com#x', 'null', 'console.example.com');
    for (const origins of badOrigins) {
      configError({ SWITCHBOARD_CORS_ORIGINS: origins }, 'SWITCHBOARD_CORS_ORIGINS');
    }
    configError({ SWITCHBOARD_SAMPLE: 'no' }, 'SWITCHBOARD_SAMPLE');
    configError({ SWITCHBOARD_METRICS_TOKEN: 'short' }, 'SWITCHBOARD_METRICS_TOKEN');
    configError({ SWITCHBOARD_METRICS_TOKEN: `${'x'.repeat(40)} y` }, 'SWITCHBOARD_METRICS_TOKEN');
    assert.throws(
      () => parseEnvironment({ DATABASE_URL: 'mysql://u:hunter2@h/db' }),
      (error: Error) => !error.message.includes('hunter2'),
    );
  });

  it('reads CORS origins as browsers send them, none when unset', () => {
    assert.deepEqual(parseEnvironment({}, '/srv').corsOrigins, []);
    const { corsOrigins } = parseEnvironment({
      SWITCHBOARD_CORS_ORIGINS: 'https://Console.Example.com:443/, http://localhost:5173,https://console.example.com',
    });
    assert.deepEqual(corsOrigins, ['https://console.example.com', 'http://localhost:5173']);
    assert.deepEqual(parseEnvironment({ SWITCHBOARD_CORS_ORIGINS: 'http://[::1]:8081' }).corsOrigins, ['http://[::1]:8081']);
  });

  it('finds the console where `npm run build` writes it, or where SWITCHBOARD_CONSOLE_DIR says', () => {
    assert.equal(parseEnvironment({}, '/srv').consoleDir, '/srv/dist/console');
    assert.equal(parseEnvironment({ SWITCHBOARD_CONSOLE_DIR: 'web' }, '/srv').consoleDir, '/srv/web');
    assert.equal(parseEnvironment({ SWITCHBOARD_CONSOLE_DIR: '/opt/console' }, '/srv').consoleDir, '/opt/console');
  });
});

describe('resolveSecrets', () => {
  it('generates missing secrets once into the data dir with mode 0600 and reuses them', () => {
    const dir = tmp();
    const first = resolveSecrets(parseEnvironment({ SWITCHBOARD_DATA_DIR: dir }));
    const file = path.join(dir, SECRETS_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(first.warnings[0], /Generated SWITCHBOARD_ENCRYPTION_KEYS and SWITCHBOARD_JWT_SECRET/);
    const second = resolveSecrets(parseEnvironment({ SWITCHBOARD_DATA_DIR: dir }));
    assert.equal(second.config.encryptionKeys, first.config.encryptionKeys);
    assert.equal(second.config.jwtSecret, first.config.jwtSecret);
    fs.rmSync(dir, { recursive: true });
  });

  it('prefers the environment and writes nothing when both are given', () => {
    const dir = tmp();
    const jwt = 'j'.repeat(40);
    const resolved = resolveSecrets(
      parseEnvironment({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_ENCRYPTION_KEYS: validKeys, SWITCHBOARD_JWT_SECRET: jwt }),
    );
    assert.equal(resolved.config.jwtSecret, jwt);
    assert.ok(!fs.existsSync(path.join(dir, SECRETS_FILE)));
    fs.rmSync(dir, { recursive: true });
  });

  it('requires keys and JWT secret with PostgreSQL', () => {
    const url = 'postgres://u:p@db/sb';
    assert.throws(() => resolveSecrets(parseEnvironment({ DATABASE_URL: url })), /^ConfigError: SWITCHBOARD_ENCRYPTION_KEYS is required/);
    assert.throws(
      () => resolveSecrets(parseEnvironment({ DATABASE_URL: url, SWITCHBOARD_ENCRYPTION_KEYS: validKeys })),
      /SWITCHBOARD_JWT_SECRET is required/,
    );
  });
});
