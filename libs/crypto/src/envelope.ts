import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyRing } from './key-ring';

const VERSION = 'sb1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown for any envelope that does not open: wrong key, tampered, moved to another row. */
export class EnvelopeError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown-key' | 'authentication') {
    super(`envelope cannot be opened (${reason})`);
  }
}

/**
 * AES-256-GCM envelopes `sb1.<keyId>.<nonce>.<ciphertext+tag>` (base64url parts). The AAD
 * binds the envelope to its owner (e.g. `sb1|project|credential`), so a ciphertext copied to
 * another row fails closed.
 */
export class EnvelopeCipher {
  constructor(private readonly keyRing: KeyRing) {}

  seal(plaintext: string, aad: string): string {
    const key = this.keyRing.active;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.encryption, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, key.id, nonce.toString('base64url'), sealed.toString('base64url')].join('.');
  }

  open(envelope: string, aad: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new EnvelopeError('malformed');
    const key = this.keyRing.get(parts[1]);
    if (!key) throw new EnvelopeError('unknown-key');
    const nonce = Buffer.from(parts[2], 'base64url');
    const sealed = Buffer.from(parts[3], 'base64url');
    if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new EnvelopeError('malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.encryption, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new EnvelopeError('authentication');
    }
  }

  /** The key id an envelope was sealed with, for rotation status. */
  static keyIdOf(envelope: string): string | undefined {
    const parts = envelope.split('.');
    return parts.length === 4 && parts[0] === VERSION ? parts[1] : undefined;
  }
}
