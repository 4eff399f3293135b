import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry, uriError } from '../../../../test/support/connection-uris';

describe('sqlite definition', () => {
  it('needs a one-line path', () => {
    assert.deepEqual(
      failingFields(() => registry.validateConfig('sqlite', {})),
      ['config.path'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('sqlite', { path: 'a\u0000.db' })),
      ['config.path'],
    );
    assert.deepEqual(registry.validateConfig('sqlite', { path: 'reports/sales.db' }), { path: 'reports/sales.db' });
  });

  it('reads sqlite:path and sqlite:///path, and writes the latter', () => {
    assertRoundTrip('sqlite:reports/sales.db', {
      config: { path: 'reports/sales.db' },
      secrets: {},
      formatted: 'sqlite:///reports/sales.db',
    });
    assertRoundTrip('sqlite:///reports/sales%20q1%3F.db', {
      config: { path: 'reports/sales q1?.db' },
      secrets: {},
      formatted: 'sqlite:///reports/sales%20q1%3F.db',
    });
    assertRoundTrip('sqlite:////srv/data/a.db', { config: { path: '/srv/data/a.db' }, secrets: {}, formatted: 'sqlite:////srv/data/a.db' });
  });

  it('refuses a host, a query or an empty path', () => {
    assert.match(uriError('sqlite://host/a.db'), /^a sqlite URI has no user or host/);
    assert.equal(uriError('sqlite:a.db?mode=rw'), "unknown query parameter 'mode'; this URI takes none");
    assert.equal(uriError('sqlite:'), 'path is required');
  });
});
