import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry } from '../../../../test/support/connection-uris';
import { sftpDefinition } from './sftp.definition';

const FINGERPRINT = `SHA256:${'a+b/'.repeat(10)}xyz`;

describe('sftp definition', () => {
  it('needs host and username, defaults port and rootPath', () => {
    assert.deepEqual(
      failingFields(() => registry.validateConfig('sftp', { host: 'h' })),
      ['config.username'],
    );
    assert.deepEqual(registry.validateConfig('sftp', { host: 'h', username: 'u' }), { host: 'h', port: 22, username: 'u', rootPath: '/' });
    assert.deepEqual(sftpDefinition.requiredSecrets(registry.validateConfig('sftp', { host: 'h', username: 'u' })), []);
  });

  it('checks the root path and the host key fingerprint', () => {
    const base = { host: 'h', username: 'u' };
    assert.deepEqual(
      failingFields(() => registry.validateConfig('sftp', { ...base, rootPath: 'srv' })),
      ['config.rootPath'],
    );
    for (const hostKeyFingerprint of ['MD5:aa:bb', 'SHA256:short', `${FINGERPRINT}==`]) {
      assert.deepEqual(
        failingFields(() => registry.validateConfig('sftp', { ...base, hostKeyFingerprint })),
        ['config.hostKeyFingerprint'],
      );
    }
    registry.validateConfig('sftp', { ...base, hostKeyFingerprint: FINGERPRINT });
    registry.validateConfig('sftp', { ...base, hostKeyFingerprint: `${FINGERPRINT}=` });
  });

  it('round-trips sftp URIs; a raw + in the fingerprint stays a +', () => {
    assertRoundTrip(`sftp://deploy:${encodeURIComponent('pw/1')}@files.example.com:2222/srv/exports?hostKeyFingerprint=${FINGERPRINT}`, {
      config: { host: 'files.example.com', port: 2222, username: 'deploy', rootPath: '/srv/exports', hostKeyFingerprint: FINGERPRINT },
      secrets: { password: 'pw/1' },
      formatted: `sftp://deploy:********@files.example.com:2222/srv/exports?hostKeyFingerprint=${FINGERPRINT.replace(/\+/g, '%2B')}`,
    });
    assertRoundTrip('sftp://u@h', {
      config: { host: 'h', port: 22, username: 'u', rootPath: '/' },
      secrets: {},
      formatted: 'sftp://u@h:22/',
    });
  });
});
