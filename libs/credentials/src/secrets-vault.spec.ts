import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EnvelopeCipher, KeyRing } from '@switchboard/crypto';
import { SecretsVault } from './secrets-vault';

const ring = (spec: string) => KeyRing.parse(spec);
const key = () => randomBytes(32).toString('base64');

describe('SecretsVault', () => {
  it('seals a project/credential-bound envelope with names and a stable fingerprint', () => {
    const material = key();
    const keyRing = ring(`k1:${material}`);
    const vault = new SecretsVault(new EnvelopeCipher(keyRing), keyRing);
    const sealed = vault.seal('p1', 'c1', { password: 'CANARY', token: 't' });
    assert.deepEqual(sealed.secretFields, ['password', 'token']);
    assert.match(sealed.secretEnvelope!, /^sb1\.k1\./);
    assert.ok(!sealed.secretEnvelope!.includes('CANARY'));
    assert.equal(
      vault.seal('p1', 'c1', { token: 't', password: 'CANARY' }).secretFingerprint,
      sealed.secretFingerprint,
      'order-independent',
    );
    assert.notEqual(vault.seal('p1', 'c1', { password: 'other', token: 't' }).secretFingerprint, sealed.secretFingerprint);
    assert.deepEqual(vault.open('p1', 'c1', sealed.secretEnvelope), { password: 'CANARY', token: 't' });
    assert.throws(() => vault.open('p2', 'c1', sealed.secretEnvelope), /cannot be decrypted/);
    assert.throws(() => vault.open('p1', 'c2', sealed.secretEnvelope), /cannot be decrypted/);
    assert.deepEqual(vault.seal('p1', 'c1', {}), { secretEnvelope: null, keyId: null, secretFields: [], secretFingerprint: null });
  });

  it('re-seals under the active key', () => {
    const old = key();
    const before = ring(`k1:${old}`);
    const sealed = new SecretsVault(new EnvelopeCipher(before), before).seal('p', 'c', { password: 'x' });
    const after = ring(`k2:${key()},k1:${old}`);
    const vault = new SecretsVault(new EnvelopeCipher(after), after);
    const resealed = vault.reseal('p', 'c', sealed.secretEnvelope!);
    assert.equal(resealed.keyId, 'k2');
    assert.deepEqual(vault.open('p', 'c', resealed.envelope), { password: 'x' });
  });
});
