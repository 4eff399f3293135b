import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The service's envelope format (libs/crypto), re-done in a few lines so the baseline reads
 * and writes the very rows the service does: AES-256-GCM `sb1.<keyId>.<nonce>.<ct+tag>`, the
 * purpose keys derived with HKDF, the AAD binding an envelope to its project and credential.
 */
interface DataKey {
  id: string;
  encryption: Buffer;
  fingerprint: Buffer;
}

const derive = (material: Buffer, id: string, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', material, Buffer.from(id), Buffer.from(purpose), 32));

export class Envelopes {
  private readonly keys: Map<string, DataKey>;
  private readonly active: DataKey;

  /** `spec` is SWITCHBOARD_ENCRYPTION_KEYS: `id:base64,...`, the first one encrypts. */
  constructor(spec: string) {
    const keys = spec.split(',').map((entry) => {
      const [id, base64] = entry.trim().split(':');
      const material = Buffer.from(base64, 'base64');
      return { id, encryption: derive(material, id, 'switchboard/envelope'), fingerprint: derive(material, id, 'switchboard/fingerprint') };
    });
    this.keys = new Map(keys.map((key) => [key.id, key]));
    this.active = keys[0];
  }

  /** What the credentials row stores for `secrets`. */
  seal(projectId: string, credentialId: string, secrets: Record<string, string>) {
    const names = Object.keys(secrets).sort();
    const canonical = JSON.stringify(Object.fromEntries(names.map((name) => [name, secrets[name]])));
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.active.encryption, nonce, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(`sb1|${projectId}|${credentialId}`, 'utf8'));
    const sealed = Buffer.concat([cipher.update(canonical, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return {
      envelope: ['sb1', this.active.id, nonce.toString('base64url'), sealed.toString('base64url')].join('.'),
      keyId: this.active.id,
      secretFields: names,
      fingerprint: `${this.active.id}:${createHmac('sha256', this.active.fingerprint).update(canonical, 'utf8').digest('hex')}`,
    };
  }

  open(projectId: string, credentialId: string, envelope: string): Record<string, string> {
    const [, keyId, nonce, sealedText] = envelope.split('.');
    const key = this.keys.get(keyId);
    if (!key) throw new Error('unknown key id');
    const sealed = Buffer.from(sealedText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.encryption, Buffer.from(nonce, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(`sb1|${projectId}|${credentialId}`, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return JSON.parse(
      Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString('utf8'),
    ) as Record<string, string>;
  }
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** UUID v7 (time-ordered), as the service generates its ids. */
export function uuidv7(): string {
  const bytes = randomBytes(16);
  const now = BigInt(Date.now());
  for (let index = 0; index < 6; index++) bytes[index] = Number((now >> BigInt(8 * (5 - index))) & 0xffn);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
