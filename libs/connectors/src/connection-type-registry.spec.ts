import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionTypeDefinition, SECRET_MASK } from './connection-type';
import { ConnectionTypeRegistry } from './connection-type-registry';
import { CONNECTION_TYPE_DEFINITIONS, CONNECTION_TYPES } from './supported-types';
import { failingFields, fieldErrors, registry, uriError } from '../../../test/support/connection-uris';

describe('ConnectionTypeRegistry: types', () => {
  it('knows every connection type once, in CONNECTION_TYPES order', () => {
    assert.deepEqual(
      registry.list().map((definition) => definition.type),
      [...CONNECTION_TYPES],
    );
  });

  it('compiles every config schema, each property titled and described, and accepts its own examples', () => {
    for (const definition of CONNECTION_TYPE_DEFINITIONS) {
      const properties = definition.configSchema.properties as Record<string, Record<string, unknown>>;
      for (const [name, property] of Object.entries(properties)) {
        assert.ok(property.title && property.description, `${definition.type}.${name} needs a title and description`);
      }
      const examples = definition.configSchema.examples as unknown[];
      assert.ok(examples.length > 0, `${definition.type} has no example`);
      for (const example of examples) registry.validateConfig(definition.type, example);
      for (const field of [...definition.locationFields, ...definition.credentialFields]) assert.ok(field in properties);
    }
  });

  it('finds a type or answers undefined; validateType refuses an unknown type on the field type', () => {
    assert.equal(registry.find('postgres')?.label, 'PostgreSQL');
    assert.equal(registry.find('oracle'), undefined);
    assert.equal(registry.find('__proto__'), undefined);
    for (const type of ['oracle', undefined, 42, 'constructor']) {
      const errors = fieldErrors(() => registry.validateType(type));
      assert.equal(errors[0].field, 'type');
      assert.match(errors[0].message, /^must be one of: postgres, mysql, sqlite, http, sftp, s3, smtp, generic, iceberg, databricks$/);
    }
    assert.deepEqual(
      failingFields(() => registry.validateConfig('oracle', { host: 'h' })),
      ['type'],
    );
  });

  it('refuses inconsistent definitions at construction', () => {
    const postgres = registry.find('postgres') as ConnectionTypeDefinition;
    assert.throws(() => new ConnectionTypeRegistry([postgres, postgres]), /defined twice/);
    assert.throws(() => new ConnectionTypeRegistry([{ ...postgres, locationFields: ['hots'] }]), /hots is not a config property/);
    const [sslMode, tlsCa] = postgres.transportSecurity;
    assert.throws(
      () => new ConnectionTypeRegistry([{ ...postgres, transportSecurity: [{ ...sslMode, name: 'sslmode' }] }]),
      /transport setting sslmode is not a config property/,
    );
    assert.throws(
      () => new ConnectionTypeRegistry([{ ...postgres, transportSecurity: [{ ...tlsCa, name: 'ca' }] }]),
      /transport setting ca is not a secret field/,
    );
    assert.throws(
      () => new ConnectionTypeRegistry([{ ...postgres, configSchema: { ...postgres.configSchema, additionalProperties: true } }]),
      /additionalProperties false/,
    );
    assert.throws(
      () => new ConnectionTypeRegistry([{ ...postgres, configSchema: { ...postgres.configSchema, required: ['hots'] } }]),
      /strict mode/,
    );
    const mysql = registry.find('mysql') as ConnectionTypeDefinition;
    assert.throws(() => new ConnectionTypeRegistry([postgres, { ...mysql, uri: postgres.uri }]), /claimed by two/);
  });
});

describe('ConnectionTypeRegistry: config', () => {
  it('fills in defaults on a copy, leaving the input untouched', () => {
    const input = { host: 'db' };
    assert.deepEqual(registry.validateConfig('postgres', input), { host: 'db', port: 5432, sslMode: 'require' });
    assert.deepEqual(input, { host: 'db' });
    assert.equal(registry.validateConfig('mysql', { host: 'db' }).port, 3306);
    assert.equal(registry.validateConfig('sftp', { host: 'h', username: 'u' }).port, 22);
    assert.equal(registry.validateConfig('smtp', { host: 'h' }).port, 587);
    assert.equal(registry.validateConfig('postgres', { host: 'db', port: 6543 }).port, 6543);
  });

  it('refuses unknown properties by name, listing the known ones', () => {
    const errors = fieldErrors(() => registry.validateConfig('postgres', { hots: 'db', port: 5432 }));
    assert.deepEqual(
      errors.map((error) => error.field),
      ['config.host', 'config.hots'],
    );
    assert.equal(errors[0].message, 'is required');
    assert.equal(errors[1].message, "unknown property 'hots'; expected one of: host, port, database, schema, username, sslMode, sshTunnel");
  });

  it('reports every problem at once, with readable messages and no rejected value', () => {
    const errors = fieldErrors(() =>
      registry.validateConfig('postgres', { host: 'db.example.com:5432', port: 70000, sslMode: 'prefer', username: '', database: 7 }),
    );
    assert.deepEqual(errors, [
      { field: 'config.host', message: 'must be a host name or IP address, without scheme, port, path or spaces' },
      { field: 'config.port', message: 'must be <= 65535' },
      { field: 'config.database', message: 'must be a string' },
      { field: 'config.username', message: 'must not be empty' },
      { field: 'config.sslMode', message: 'must be one of: disable, require, verify-ca, verify-full' },
    ]);
    assert.deepEqual(
      fieldErrors(() => registry.validateConfig('postgres', { host: 'db', port: '5432' })),
      [{ field: 'config.port', message: 'must be an integer' }],
    );
  });

  it('accepts IPv6 literals but not other colons, nor control characters', () => {
    registry.validateConfig('postgres', { host: '::1' });
    registry.validateConfig('postgres', { host: '10.0.0.7' });
    for (const host of ['db:5432', 'postgres://db', 'a b', 'db\n', 'user@db', '', 'a'.repeat(254)]) {
      assert.deepEqual(
        failingFields(() => registry.validateConfig('postgres', { host })),
        ['config.host'],
        host,
      );
    }
    assert.deepEqual(
      failingFields(() => registry.validateConfig('postgres', { host: 'db', database: 'a\u0000b' })),
      ['config.database'],
    );
  });

  it('refuses a config that is not an object', () => {
    for (const config of [undefined, null, [], 'host=db', 5]) {
      assert.deepEqual(
        fieldErrors(() => registry.validateConfig('postgres', config)),
        [{ field: 'config', message: 'must be an object' }],
      );
    }
  });
});

describe('ConnectionTypeRegistry: secrets', () => {
  const validate = (secrets: unknown, allowMask = false) => registry.validateSecrets('postgres', secrets, { allowMask });

  it("accepts the type's secret names with string or null values", () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----\n`;
    assert.deepEqual(validate({ password: 'p', tlsCa: pem, tlsKey: null }), { password: 'p', tlsCa: pem, tlsKey: null });
    assert.deepEqual(validate(undefined), {});
  });

  it('refuses unknown names, non-strings, empty and oversized values', () => {
    assert.deepEqual(
      fieldErrors(() => validate({ pasword: 'p', password: 5, tlsCa: '', tlsKey: 'k'.repeat(64 * 1024 + 1) })),
      [
        {
          field: 'secrets.pasword',
          message: "unknown secret 'pasword'; expected one of: password, tlsCa, tlsCert, tlsKey, sshPassword, sshPrivateKey, sshPassphrase",
        },
        { field: 'secrets.password', message: 'must be a string, or null to clear it' },
        { field: 'secrets.tlsCa', message: 'must not be empty; send null to clear it' },
        { field: 'secrets.tlsKey', message: 'must be at most 65536 bytes' },
      ],
    );
    assert.deepEqual(
      failingFields(() => registry.validateSecrets('sqlite', { password: 'p' }, { allowMask: false })),
      ['secrets.password'],
    );
    assert.deepEqual(
      fieldErrors(() => validate(['p'])),
      [{ field: 'secrets', message: 'must be an object' }],
    );
  });

  it('accepts the mask only when allowed', () => {
    assert.deepEqual(validate({ password: SECRET_MASK }, true), { password: SECRET_MASK });
    assert.deepEqual(
      fieldErrors(() => validate({ password: SECRET_MASK })),
      [{ field: 'secrets.password', message: 'is the mask ********, not a secret; send the real value' }],
    );
  });
});

describe('ConnectionTypeRegistry: URIs', () => {
  const PASSWORD = 'S3cr3t-p@ss/w:rd';
  const encoded = encodeURIComponent(PASSWORD);

  it('chooses the type by scheme, case-insensitively', () => {
    assert.equal(registry.parseUri(`POSTGRESQL://u:${encoded}@db/app`).type, 'postgres');
    assert.equal(registry.parseUri('mariadb://db/app').type, 'mysql');
  });

  it('refuses what it cannot use with one error on uri that never repeats the URI', () => {
    const cases: [string, RegExp][] = [
      [
        `oracle://u:${encoded}@db/x`,
        /^has an unsupported scheme; expected one of: postgres, postgresql, mysql, mariadb, sqlite, http, https/,
      ],
      [`postgres://u:${encoded}@db:99999/x`, /^is not a valid URI/],
      [`not a uri ${PASSWORD}`, /^is not a valid URI/],
      [`postgres://u:${encoded}@db/x#frag`, /^must not have a fragment/],
      [`sftp://u:${encoded}@h/srv/../etc`, /^must not contain '\.' or '\.\.' path segments$/],
      [`sftp://u:${encoded}@h/srv/%2E%2E/etc`, /path segments/],
      [
        `postgres://u:${encoded}@db/x?sslmode=require&password=${encoded}`,
        /^unknown query parameter 'password'; expected sslmode, schema, currentSchema$/,
      ],
      [`postgres://u:${encoded}@db/x?sslmode=require&sslmode=disable`, /^query parameter 'sslmode' is given more than once$/],
      [`postgres://u:${encoded}@db/x?sslmode=prefer`, /^sslMode must be one of: disable, require, verify-ca, verify-full$/],
      [`postgres://u:${SECRET_MASK}@db/x`, /^carries the mask \*{8} instead of a password/],
      [`postgres://u:%zz${encoded}@db/x`, /^the password is not validly percent-encoded$/],
      ['postgres:///x', /^host is required$/],
    ];
    for (const [uri, expected] of cases) {
      const message = uriError(uri);
      assert.match(message, expected, uri);
      assert.ok(!message.includes('S3cr3t') && !message.includes('db/x'), `message repeats the URI: ${message}`);
    }
    assert.equal(uriError(`postgres://u@db/x?${'y'.repeat(5000)}`), 'must be at most 4096 characters long');
    assert.deepEqual(
      fieldErrors(() => registry.parseUri(42)),
      [{ field: 'uri', message: 'must be a string' }],
    );
  });

  it('formats with the password masked', () => {
    const config = registry.validateConfig('postgres', { host: 'db', username: 'u' });
    assert.equal(registry.formatUri('postgres', config, ['password']), 'postgresql://u:********@db:5432');
    assert.equal(registry.formatUri('postgres', config, []), 'postgresql://u@db:5432');
    assert.deepEqual(
      failingFields(() => registry.formatUri('oracle', config, [])),
      ['type'],
    );
  });
});
