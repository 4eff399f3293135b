import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EnvelopeCipher, EnvelopeError } from './envelope';
import { KeyRing, KeyRingError } from './key-ring';
import { PasswordHasher } from './passwords';
import { constantTimeEqual, randomBase62, sha256Hex } from './tokens';

const key = (bytes = 32) => randomBytes(bytes).toString('base64');

describe('KeyRing', () => {
  it('uses the first key to encrypt and knows them all', () => {
    const ring = KeyRing.parse(`new:${key()}, old:${key(48)}`);
    assert.equal(ring.active.id, 'new');
    assert.deepEqual(ring.ids, ['new', 'old']);
    assert.notDeepEqual(ring.active.encryption, ring.active.fingerprint);
  });

  it('refuses short keys, bad ids, duplicates and empty specs without echoing material', () => {
    const short = key(16);
    assert.throws(
      () => KeyRing.parse(`k1:${short}`),
      (error: Error) => error instanceof KeyRingError && !error.message.includes(short),
    );
    assert.throws(() => KeyRing.parse(`bad id:${key()}`), KeyRingError);
    assert.throws(() => KeyRing.parse(`k1:${key()},k1:${key()}`), KeyRingError);
    assert.throws(() => KeyRing.parse(' , '), KeyRingError);
    assert.throws(() => KeyRing.parse(key()), KeyRingError);
  });
});

describe('EnvelopeCipher', () => {
  const ring = KeyRing.parse(`k2:${key()},k1:${key()}`);
  const cipher = new EnvelopeCipher(ring);

  it('round-trips with a fresh nonce each time and names its key', () => {
    const a = cipher.seal('s3cret', 'sb1|p|c');
    const b = cipher.seal('s3cret', 'sb1|p|c');
    assert.notEqual(a, b);
    assert.match(a, /^sb1\.k2\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.equal(EnvelopeCipher.keyIdOf(a), 'k2');
    assert.equal(cipher.open(a, 'sb1|p|c'), 's3cret');
    assert.ok(!a.includes('s3cret'));
  });

  it('fails closed when moved to another owner, tampered with or sealed under an unknown key', () => {
    const sealed = cipher.seal('s3cret', 'sb1|p|c');
    assert.throws(
      () => cipher.open(sealed, 'sb1|p|other'),
      (e: EnvelopeError) => e.reason === 'authentication',
    );
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3], 'base64url');
    flipped[0] ^= 1;
    assert.throws(() => cipher.open([...parts.slice(0, 3), flipped.toString('base64url')].join('.'), 'sb1|p|c'), EnvelopeError);
    const foreign = new EnvelopeCipher(KeyRing.parse(`k9:${key()}`)).seal('x', 'sb1|p|c');
    assert.throws(
      () => cipher.open(foreign, 'sb1|p|c'),
      (e: EnvelopeError) => e.reason === 'unknown-key',
    );
    assert.throws(
      () => cipher.open('not-an-envelope', 'sb1|p|c'),
      (e: EnvelopeError) => e.reason === 'malformed',
    );
  });

  it('opens envelopes of an older key after rotation to a new active key', () => {
    const old = new EnvelopeCipher(KeyRing.parse(`k1:${key()}`));
    const material = key();
    const before = new EnvelopeCipher(KeyRing.parse(`k1:${material}`)).seal('v', 'aad');
    const after = new EnvelopeCipher(KeyRing.parse(`k2:${key()},k1:${material}`));
    assert.equal(after.open(before, 'aad'), 'v');
    assert.throws(() => old.open(before, 'aad'), EnvelopeError);
  });
});

describe('tokens and passwords', () => {
  it('makes base62 tokens of the asked length', () => {
    const token = randomBase62(40);
    assert.match(token, /^[A-Za-z0-9]{40}$/);
    assert.notEqual(token, randomBase62(40));
  });

  it('hashes and compares', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.ok(constantTimeEqual('a', 'a'));
    assert.ok(!constantTimeEqual('a', 'ab'));
  });

  it('stores argon2id hashes and verifies them', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery');
    assert.match(hash, /^\$argon2id\$/);
    assert.ok(await hasher.verify(hash, 'correct horse battery'));
    assert.ok(!(await hasher.verify(hash, 'wrong')));
    assert.ok(!(await hasher.verify('not-a-hash', 'x')));
    assert.equal(await hasher.verifyAgainstNothing('x'), false);
  });
});
