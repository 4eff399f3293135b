import { hkdfSync } from 'node:crypto';

export const MIN_KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

export interface DataKey {
  id: string;
  /** AES-256-GCM key for envelopes. */
  encryption: Buffer;
  /** HMAC-SHA256 key for fingerprints: never the same bytes as the encryption key. */
  fingerprint: Buffer;
}

/**
 * The encryption keys from `id:base64,id:base64`; the first one encrypts, all of them
 * decrypt. Purpose keys are derived with HKDF so material longer than 32 bytes is usable.
 */
export class KeyRing {
  private readonly keys: Map<string, DataKey>;

  private constructor(keys: DataKey[]) {
    this.keys = new Map(keys.map((key) => [key.id, key]));
    this.active = keys[0];
  }

  readonly active: DataKey;

  static parse(spec: string): KeyRing {
    const entries = spec
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length === 0) throw new KeyRingError('no keys given (expected id:base64,...)');
    const keys = entries.map((entry) => {
      const separator = entry.indexOf(':');
      if (separator < 1) throw new KeyRingError('each key must be written id:base64');
      const id = entry.slice(0, separator);
      if (!KEY_ID_PATTERN.test(id)) throw new KeyRingError(`key id "${id.slice(0, 40)}" must be 1-32 of A-Z a-z 0-9 _ -`);
      const material = Buffer.from(entry.slice(separator + 1), 'base64');
      if (material.length < MIN_KEY_BYTES) {
        throw new KeyRingError(`key "${id}" is ${material.length} bytes; at least ${MIN_KEY_BYTES} are required`);
      }
      return {
        id,
        encryption: derive(material, id, 'switchboard/envelope'),
        fingerprint: derive(material, id, 'switchboard/fingerprint'),
      };
    });
    const ids = new Set(keys.map((key) => key.id));
    if (ids.size !== keys.length) throw new KeyRingError('key ids must be unique');
    return new KeyRing(keys);
  }

  get(id: string): DataKey | undefined {
    return this.keys.get(id);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }
}

function derive(material: Buffer, id: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.from(id), Buffer.from(purpose), 32));
}
