import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry, uriError } from '../../../../test/support/connection-uris';

describe('generic definition', () => {
  it('needs host and port; extra holds one-line strings under simple names', () => {
    assert.deepEqual(
      failingFields(() => registry.validateConfig('generic', { host: 'h' })),
      ['config.port'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('generic', { host: 'h', port: 1, extra: { 'bad key': 'v', ok: 1, line: 'a\nb' } })),
      ['config.extra.bad key', 'config.extra.ok', 'config.extra.line'],
    );
  });

  it('round-trips tcp:// URIs, query parameters being extra (as in Airflow)', () => {
    assertRoundTrip('tcp://app:pw%26x@rabbit.internal:5672?vhost=orders&heartbeat=30', {
      config: { host: 'rabbit.internal', port: 5672, username: 'app', extra: { vhost: 'orders', heartbeat: '30' } },
      secrets: { password: 'pw&x' },
      formatted: 'tcp://app:********@rabbit.internal:5672?vhost=orders&heartbeat=30',
    });
    assert.equal(uriError('tcp://rabbit.internal'), 'port is required');
    assert.equal(uriError('tcp://rabbit.internal:5672/vhost'), 'tcp:// URIs take no path');
  });
});
