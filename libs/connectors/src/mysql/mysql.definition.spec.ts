import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, registry, uriError } from '../../../../test/support/connection-uris';

describe('mysql definition', () => {
  it('defaults to port 3306 without TLS', () => {
    assert.deepEqual(registry.validateConfig('mysql', { host: 'db' }), { host: 'db', port: 3306, ssl: false });
  });

  it('round-trips mysql:// and mariadb:// URIs', () => {
    assertRoundTrip(`mysql://root:${encodeURIComponent('pa ss+word')}@db.example.com:3307/shop?ssl=true`, {
      config: { host: 'db.example.com', port: 3307, database: 'shop', username: 'root', ssl: true },
      secrets: { password: 'pa ss+word' },
      formatted: 'mysql://root:********@db.example.com:3307/shop?ssl=true',
    });
    assertRoundTrip('mariadb://reader@db?ssl=false', {
      config: { host: 'db', port: 3306, username: 'reader', ssl: false },
      secrets: {},
      formatted: 'mysql://reader@db:3306',
    });
  });

  it('refuses unknown or malformed query parameters', () => {
    assert.equal(uriError('mysql://db/shop?ssl=yes'), "query parameter 'ssl' must be true or false");
    assert.equal(uriError('mysql://db/shop?allowLoadLocalInfile=true'), "unknown query parameter 'allowLoadLocalInfile'; expected ssl");
  });
});
