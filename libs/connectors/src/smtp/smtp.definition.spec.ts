import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, fieldErrors, registry, uriError } from '../../../../test/support/connection-uris';
import { smtpDefinition } from './smtp.definition';

describe('smtp definition', () => {
  it('defaults to STARTTLS on 587 without authentication', () => {
    const config = registry.validateConfig('smtp', { host: 'mail' });
    assert.deepEqual(config, { host: 'mail', port: 587, security: 'starttls', auth: false, defaultEncoding: 'UTF-8', tlsVerify: true });
    assert.deepEqual(smtpDefinition.requiredSecrets(config), []);
  });

  it('needs username and password when auth is true', () => {
    assert.deepEqual(
      fieldErrors(() => registry.validateConfig('smtp', { host: 'mail', auth: true })),
      [{ field: 'config.username', message: 'is required' }],
    );
    const config = registry.validateConfig('smtp', { host: 'mail', auth: true, username: 'mailer' });
    assert.deepEqual(smtpDefinition.requiredSecrets(config), ['password']);
  });

  it('checks addresses and accepts only the documented additional properties', () => {
    const errors = fieldErrors(() =>
      registry.validateConfig('smtp', {
        host: 'mail',
        from: 'not an address',
        additionalProperties: { connectionTimeoutMs: 50, tls: { ca: '/etc/ssl/ca.pem' } },
      }),
    );
    assert.deepEqual(
      errors.map((error) => error.field),
      ['config.from', 'config.additionalProperties.tls', 'config.additionalProperties.connectionTimeoutMs'],
    );
    assert.equal(
      errors[1].message,
      "unknown property 'tls'; expected one of: name, connectionTimeoutMs, greetingTimeoutMs, socketTimeoutMs",
    );
    registry.validateConfig('smtp', {
      host: 'mail',
      from: 'alerts@example.com',
      additionalProperties: { name: 'client.example.com', socketTimeoutMs: 10_000 },
    });
    assert.deepEqual(
      failingFields(() => registry.validateConfig('smtp', { host: 'mail', defaultEncoding: 'UTF 8' })),
      ['config.defaultEncoding'],
    );
  });

  it('round-trips smtp:// (STARTTLS) and smtps:// (TLS, port 465) URIs; a user name turns auth on', () => {
    assertRoundTrip('smtp://mailer:pw@smtp.example.com?from=alerts%40example.com', {
      config: {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        auth: true,
        username: 'mailer',
        from: 'alerts@example.com',
        defaultEncoding: 'UTF-8',
        tlsVerify: true,
      },
      secrets: { password: 'pw' },
      formatted: 'smtp://mailer:********@smtp.example.com:587?from=alerts@example.com',
    });
    assertRoundTrip('smtps://u:mail-secret@mail.example.com', {
      config: {
        host: 'mail.example.com',
        port: 465,
        security: 'tls',
        auth: true,
        username: 'u',
        defaultEncoding: 'UTF-8',
        tlsVerify: true,
      },
      secrets: { password: 'mail-secret' },
      formatted: 'smtps://u:********@mail.example.com:465',
    });
    assertRoundTrip('smtp://relay.internal:25?security=none', {
      config: { host: 'relay.internal', port: 25, security: 'none', auth: false, defaultEncoding: 'UTF-8', tlsVerify: true },
      secrets: {},
      formatted: 'smtp://relay.internal:25?security=none',
    });
  });

  it('refuses contradictory or unknown URI parts', () => {
    assert.equal(uriError('smtp://mail?security=tls'), "query parameter 'security' must be none or starttls (smtps:// means tls)");
    assert.equal(uriError('smtps://mail?security=none'), "unknown query parameter 'security'; expected from");
    assert.equal(uriError('smtp://mail/inbox'), 'smtp:// URIs take no path');
    assert.equal(uriError('smtp://:pw@mail'), 'username is required');
  });
});
