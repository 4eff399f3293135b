import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionConfig, Secrets } from './connection-type';
import { Elsewhere, pointsElsewhere, trustAnchorSecrets } from './points-elsewhere';
import { CONNECTION_TYPE_DEFINITIONS } from './supported-types';
import { registry } from '../../../test/support/connection-uris';

type Side = { config: ConnectionConfig; secrets?: Secrets; raw?: boolean };

/** What changing `before` into `after` counts as; configs are validated (defaults filled) unless `raw`, as a stored row may be. */
function change(type: string, before: Side, after: Side): Elsewhere {
  const view = (side: Side) => ({
    config: side.raw ? side.config : registry.validateConfig(type, side.config),
    secrets: side.secrets ?? {},
  });
  return pointsElsewhere(registry.validateType(type), view(before), view(after));
}

const weakened = (type: string, before: Side, after: Side): string[] => {
  const difference = change(type, before, after);
  assert.deepEqual(difference.moved, []);
  return difference.weakened;
};

const CA = '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----';
const OTHER_CA = '-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----';
const caOf = (tlsCa?: string): Secrets => (tlsCa ? { tlsCa } : {});

describe('pointsElsewhere: transport security', () => {
  const pg = (sslMode?: string) => ({ config: { host: 'db', ...(sslMode && { sslMode }) } });

  it('postgres: a lower sslMode weakens, a higher one is free, a missing one is the default require', () => {
    assert.deepEqual(weakened('postgres', pg('require'), pg('disable')), ['sslMode']);
    assert.deepEqual(weakened('postgres', pg('verify-full'), pg('require')), ['sslMode']);
    assert.deepEqual(weakened('postgres', pg('verify-full'), pg('verify-ca')), ['sslMode']);
    assert.deepEqual(weakened('postgres', pg('disable'), pg('require')), []);
    assert.deepEqual(weakened('postgres', pg('require'), pg('verify-full')), []);
    assert.deepEqual(weakened('postgres', { config: { host: 'db', port: 5432 }, raw: true }, pg('disable')), ['sslMode']);
    assert.deepEqual(weakened('postgres', { config: { host: 'db', port: 5432 }, raw: true }, pg('require')), []);
  });

  it('postgres: while the certificate is checked, any change of tlsCa weakens; otherwise a CA is a gain', () => {
    const verified = (tlsCa?: string) => ({ config: { host: 'db', sslMode: 'verify-full' }, secrets: caOf(tlsCa) });
    assert.deepEqual(weakened('postgres', verified(CA), verified(OTHER_CA)), ['tlsCa']);
    assert.deepEqual(weakened('postgres', verified(CA), verified()), ['tlsCa']);
    assert.deepEqual(weakened('postgres', verified(), verified(CA)), ['tlsCa']);
    assert.deepEqual(weakened('postgres', verified(CA), verified(CA)), []);
    assert.deepEqual(weakened('postgres', { ...pg('require'), secrets: { tlsCa: CA } }, verified(OTHER_CA)), []);
    assert.deepEqual(weakened('postgres', verified(CA), { ...pg('require'), secrets: {} }), ['sslMode', 'tlsCa']);
  });

  it('postgres: a location change is a move, reported apart', () => {
    assert.deepEqual(change('postgres', pg('require'), { config: { host: 'db2', port: 6543, sslMode: 'disable' } }), {
      moved: ['host', 'port'],
      weakened: ['sslMode'],
    });
  });

  it('mysql: ssl off weakens, on is free; with ssl on the CA is pinned', () => {
    const my = (ssl?: boolean, tlsCa?: string) => ({
      config: { host: 'db', ...(ssl !== undefined && { ssl }) },
      secrets: caOf(tlsCa),
    });
    assert.deepEqual(weakened('mysql', my(true), my(false)), ['ssl']);
    assert.deepEqual(weakened('mysql', my(true), my()), ['ssl']);
    assert.deepEqual(weakened('mysql', my(false), my(true, CA)), []);
    assert.deepEqual(weakened('mysql', my(true, CA), my(true, OTHER_CA)), ['tlsCa']);
    assert.deepEqual(weakened('mysql', my(false, CA), my(false)), []);
  });

  it('http: turning tlsVerify off weakens (it is on by default), on is free', () => {
    const http = (tlsVerify?: boolean) => ({
      config: { baseUrl: 'https://api.example.com', ...(tlsVerify !== undefined && { tlsVerify }) },
    });
    assert.deepEqual(weakened('http', http(), http(false)), ['tlsVerify']);
    assert.deepEqual(weakened('http', http(false), http(true)), []);
    assert.deepEqual(change('http', http(), { config: { baseUrl: 'http://api.example.com' } }).moved, ['baseUrl']);
  });

  it('smtp: security none < starttls < tls, tlsVerify off and a changed CA weaken', () => {
    const smtp = (config: ConnectionConfig, tlsCa?: string) => ({ config: { host: 'mail', ...config }, secrets: caOf(tlsCa) });
    assert.deepEqual(weakened('smtp', smtp({}), smtp({ security: 'none' })), ['security']);
    assert.deepEqual(weakened('smtp', smtp({ security: 'tls' }), smtp({ security: 'starttls' })), ['security']);
    assert.deepEqual(weakened('smtp', smtp({ security: 'none' }), smtp({ security: 'tls' })), []);
    assert.deepEqual(weakened('smtp', smtp({}), smtp({ tlsVerify: false })), ['tlsVerify']);
    assert.deepEqual(weakened('smtp', smtp({}, CA), smtp({}, OTHER_CA)), ['tlsCa']);
    assert.deepEqual(weakened('smtp', smtp({ tlsVerify: false }, CA), smtp({ tlsVerify: false })), []);
  });

  it('sftp: removing or changing the host key pin weakens, pinning is free', () => {
    const pin = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
    const other = 'SHA256:AAAAg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
    const sftp = (hostKeyFingerprint?: string) => ({
      config: { host: 'files', username: 'u', ...(hostKeyFingerprint && { hostKeyFingerprint }) },
    });
    assert.deepEqual(weakened('sftp', sftp(pin), sftp()), ['hostKeyFingerprint']);
    assert.deepEqual(weakened('sftp', sftp(pin), sftp(other)), ['hostKeyFingerprint']);
    assert.deepEqual(weakened('sftp', sftp(), sftp(pin)), []);
  });

  it('s3: http versus https is in the endpoint, a location field', () => {
    const s3 = (endpoint: string) => ({ config: { bucket: 'exports', endpoint } });
    assert.deepEqual(change('s3', s3('https://minio.internal:9000'), s3('http://minio.internal:9000')), {
      moved: ['endpoint'],
      weakened: [],
    });
  });

  it('knows tlsCa as the one secret certificates are checked against', () => {
    assert.deepEqual(trustAnchorSecrets(CONNECTION_TYPE_DEFINITIONS), ['tlsCa']);
  });
});
