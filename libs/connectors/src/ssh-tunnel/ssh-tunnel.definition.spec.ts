import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry, uriError } from '../../../../test/support/connection-uris';

const FINGERPRINT = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const CREDENTIAL = '0193a5b2-0000-7000-8000-000000000009';
/** Every tunnel parameter, the port not the default one. */
const ALL = `sshHost=bastion.example.com&sshPort=2222&sshUser=tunnel&sshHostKeyFingerprint=${FINGERPRINT}&sshCredential=${CREDENTIAL}`;
const ALL_CONFIG = {
  host: 'bastion.example.com',
  port: 2222,
  username: 'tunnel',
  hostKeyFingerprint: FINGERPRINT,
  credentialId: CREDENTIAL,
};

describe('ssh tunnel definition: URIs', () => {
  it('postgres: the tunnel after the type’s own parameters, the default port left out', () => {
    assertRoundTrip(`postgresql://reader:s3cret@db.internal:5432/analytics?sslmode=disable&sshHost=bastion.example.com&sshUser=tunnel`, {
      config: {
        host: 'db.internal',
        port: 5432,
        database: 'analytics',
        username: 'reader',
        sslMode: 'disable',
        sshTunnel: { host: 'bastion.example.com', port: 22, username: 'tunnel' },
      },
      secrets: { password: 's3cret' },
      formatted: 'postgresql://reader:********@db.internal:5432/analytics?sslmode=disable&sshHost=bastion.example.com&sshUser=tunnel',
    });
    // Before the type's own parameters, in any order: the same config.
    const mixed = registry.parseUri(`postgresql://reader@db.internal/analytics?sshUser=tunnel&sshHost=bastion.example.com&sslmode=disable`);
    assert.deepEqual(mixed.config.sshTunnel, { host: 'bastion.example.com', port: 22, username: 'tunnel' });
    assert.equal(mixed.config.sslMode, 'disable');
  });

  it('mysql, sftp, smtp, http, generic: every parameter survives the trip', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        `mysql://app@db.internal:3306/shop?${ALL}`,
        { host: 'db.internal', port: 3306, database: 'shop', username: 'app' },
        `mysql://app@db.internal:3306/shop?${ALL}`,
      ],
      [
        `sftp://files@sftp.internal:22/srv?hostKeyFingerprint=${FINGERPRINT}&${ALL}`,
        { host: 'sftp.internal', port: 22, username: 'files', rootPath: '/srv', hostKeyFingerprint: FINGERPRINT },
        `sftp://files@sftp.internal:22/srv?hostKeyFingerprint=${FINGERPRINT}&${ALL}`,
      ],
      [
        `smtp://mailer@mail.internal:587?${ALL}`,
        { host: 'mail.internal', port: 587, auth: true, username: 'mailer' },
        `smtp://mailer@mail.internal:587?${ALL}`,
      ],
      [`https://api.internal/v2?${ALL}`, { baseUrl: 'https://api.internal/v2' }, `https://api.internal/v2?${ALL}`],
      [
        `tcp://rabbit.internal:5672?vhost=orders&${ALL}`,
        { host: 'rabbit.internal', port: 5672, extra: { vhost: 'orders' } },
        `tcp://rabbit.internal:5672?vhost=orders&${ALL}`,
      ],
    ];
    for (const [uri, config, formatted] of cases) {
      const parsed = registry.parseUri(uri);
      assert.deepEqual(parsed.config.sshTunnel, ALL_CONFIG, uri);
      for (const [name, value] of Object.entries(config)) assert.deepEqual(parsed.config[name], value, `${uri}: ${name}`);
      assert.equal(registry.formatUri(parsed.type, parsed.config, []), formatted);
      assert.deepEqual(registry.parseUri(formatted).config, parsed.config, formatted);
    }
  });

  it('a tunnel without a user name is the credential’s to complete; the schema asks for one or the other', () => {
    const parsed = registry.parseUri(`postgresql://reader@db.internal/analytics?sshHost=bastion.example.com&sshCredential=bastion-key`);
    assert.deepEqual(parsed.config.sshTunnel, { host: 'bastion.example.com', port: 22, credentialId: 'bastion-key' });
    assert.deepEqual(
      failingFields(() =>
        registry.validateConfig('postgres', { host: 'db', port: 5432, database: 'd', sshTunnel: { host: 'bastion.example.com' } }),
      ),
      ['config.sshTunnel.username'],
    );
    assert.equal(uriError('postgresql://reader@db.internal/analytics?sshHost=bastion.example.com'), 'sshTunnel.username is required');
  });

  it('refuses SSH secrets, a tunnel without its host, a bad port, a parameter twice; all on uri', () => {
    assert.equal(
      uriError('postgresql://reader@db.internal/analytics?sshHost=b.example.com&sshUser=t&sshPassword=hunter2'),
      "query parameter 'sshPassword' would put an SSH secret in the URI; give it in secrets instead",
    );
    assert.equal(
      uriError('mysql://app@db.internal/shop?sshPrivateKey=abc'),
      "query parameter 'sshPrivateKey' would put an SSH secret in the URI; give it in secrets instead",
    );
    assert.equal(
      uriError('mysql://app@db.internal/shop?sshUser=t&sshPort=22'),
      "query parameter 'sshHost' is required with sshPort, sshUser",
    );
    assert.equal(
      uriError('mysql://app@db.internal/shop?sshHost=b.example.com&sshUser=t&sshPort=ssh'),
      "query parameter 'sshPort' must be a port number",
    );
    assert.equal(uriError('mysql://app@db.internal/shop?sshHost=b.example.com&sshUser=t&sshPort=70000'), 'sshTunnel.port must be <= 65535');
    assert.equal(
      uriError('mysql://app@db.internal/shop?sshHost=b.example.com&sshHost=c.example.com&sshUser=t'),
      "query parameter 'sshHost' is given more than once",
    );
    assert.match(
      uriError('mysql://app@db.internal/shop?sshHost=b.example.com&sshUser=t&sshHostKeyFingerprint=MD5:xx'),
      /^sshTunnel\.hostKeyFingerprint /,
    );
    // The type's own rules still hold for what is left.
    assert.equal(
      uriError('https://api.internal/v2?sshHost=b.example.com&sshUser=t&page=2'),
      "unknown query parameter 'page'; this URI takes none",
    );
  });

  it('s3, which has no tunnel, takes no tunnel parameters', () => {
    assert.match(uriError('s3://bucket?sshHost=b.example.com&sshUser=t'), /unknown query parameter 'sshHost'/);
  });
});
