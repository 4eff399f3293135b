import { createDecipheriv, createPrivateKey, randomBytes, type CipherGCMTypes, type Decipher, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { utils, type ParsedKey } from 'ssh2';

// Private keys for SSH: OpenSSH, PEM and PuTTY, the OpenSSH KDF run off the event loop.

/** Why a private key cannot be used; the message never quotes the key or the passphrase. */
export class KeyError extends Error {
  override name = 'KeyError';

  constructor(
    message: string,
    /** The key is encrypted and no passphrase was given: whether that is a mistake depends on what is stored. */
    readonly needsPassphrase = false,
  ) {
    super(message);
  }
}

const noPassphrase = (): KeyError => new KeyError('it is encrypted and no passphrase is set', true);

/** Ciphers OpenSSH encrypts private keys with, as node's OpenSSL names them. */
const KEY_CIPHERS: Record<string, { ssl: string; keyLen: number; ivLen: number; blockLen: number; authLen: number }> = {
  'aes128-ctr': { ssl: 'aes-128-ctr', keyLen: 16, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes192-ctr': { ssl: 'aes-192-ctr', keyLen: 24, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes256-ctr': { ssl: 'aes-256-ctr', keyLen: 32, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes128-cbc': { ssl: 'aes-128-cbc', keyLen: 16, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes192-cbc': { ssl: 'aes-192-cbc', keyLen: 24, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes256-cbc': { ssl: 'aes-256-cbc', keyLen: 32, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes128-gcm@openssh.com': { ssl: 'aes-128-gcm', keyLen: 16, ivLen: 12, blockLen: 16, authLen: 16 },
  'aes256-gcm@openssh.com': { ssl: 'aes-256-gcm', keyLen: 32, ivLen: 12, blockLen: 16, authLen: 16 },
};

const OPENSSH_PEM = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([\s\S]+?)\r?\n-----END OPENSSH PRIVATE KEY-----$/;
const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/** Reads SSH wire strings and integers; a read past the end throws KeyError. */
class WireReader {
  private offset: number;

  constructor(
    private readonly data: Buffer,
    offset = 0,
  ) {
    this.offset = offset;
  }

  uint32(): number {
    if (this.offset + 4 > this.data.length) throw new KeyError('malformed OpenSSH private key');
    const value = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.data.length) throw new KeyError('malformed OpenSSH private key');
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  rest(): Buffer {
    return this.data.subarray(this.offset);
  }
}

const wireString = (value: Buffer | string): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** An OpenSSH-format key encrypted with bcrypt-pbkdf and a cipher node can decrypt. */
interface EncryptedOpenSshKey {
  cipher: (typeof KEY_CIPHERS)[string];
  salt: Buffer;
  rounds: number;
  publicKeys: Buffer[];
  encrypted: Buffer;
  authTag: Buffer;
}

/** The encryption of an OpenSSH-format key, or undefined when ssh2 should read the key itself. */
function encryptedOpenSshKey(text: string): EncryptedOpenSshKey | undefined {
  const pem = OPENSSH_PEM.exec(text.trim());
  if (!pem) return undefined;
  const data = Buffer.from(pem[1], 'base64');
  if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) return undefined;
  try {
    const reader = new WireReader(data, OPENSSH_MAGIC.length);
    const cipher = KEY_CIPHERS[reader.string().toString('latin1')];
    const kdf = reader.string().toString('latin1');
    const kdfOptions = new WireReader(reader.string());
    if (!cipher || kdf !== 'bcrypt') return undefined;
    const salt = kdfOptions.string();
    const rounds = kdfOptions.uint32();
    const count = reader.uint32();
    if (count < 1 || count > 16) return undefined;
    const publicKeys = Array.from({ length: count }, () => reader.string());
    const encrypted = reader.string();
    const authTag = reader.rest();
    if (encrypted.length % cipher.blockLen !== 0 || authTag.length !== cipher.authLen) return undefined;
    return { cipher, salt, rounds, publicKeys, encrypted, authTag };
  } catch {
    return undefined; // malformed: ssh2 reports it in its own words
  }
}

/** bcrypt-pbkdf is pure JavaScript: ~40 ms per round here, 16 rounds by default, many more on request. */
const KDF_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { pbkdf } = require(workerData.module);
const out = new Uint8Array(workerData.length);
const status = pbkdf(workerData.passphrase, workerData.passphrase.length, workerData.salt, workerData.salt.length, out, out.length, workerData.rounds);
parentPort.postMessage({ status, out });
`;

let bcryptModule: string | undefined;
/** ssh2's own bcrypt-pbkdf, resolved from ssh2 so the versions match. */
function bcryptPbkdfModule(): string {
  bcryptModule ??= require.resolve('bcrypt-pbkdf', { paths: [require.resolve('ssh2')] });
  return bcryptModule;
}

/**
 * Derives the key-encryption key on a worker thread, so a slow KDF (many rounds) never blocks
 * the event loop and stops when `signal` aborts.
 */
function bcryptPbkdf(passphrase: Buffer, salt: Buffer, length: number, rounds: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('The operation was aborted', { name: 'AbortError' }));
    const worker = new Worker(KDF_WORKER, {
      eval: true,
      workerData: { module: bcryptPbkdfModule(), passphrase: new Uint8Array(passphrase), salt: new Uint8Array(salt), length, rounds },
    });
    const onAbort = (): void => {
      void worker.terminate();
      reject(new DOMException('The operation was aborted', { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { status: number; out: Uint8Array }) => {
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (message.status !== 0) reject(new KeyError('its key derivation parameters are invalid'));
      else resolve(Buffer.from(message.out));
    });
    // Internal failures (a missing module, a crashed thread) are not the user's to read.
    const failed = (): void => {
      signal.removeEventListener('abort', onAbort);
      reject(new KeyError('it could not be decrypted'));
    };
    worker.once('error', failed);
    worker.once('exit', failed); // after a message or an abort, this rejection is a no-op
  });
}

/** Decrypts an OpenSSH key off the event loop and rewrites it unencrypted, for ssh2 to parse at once. */
async function decryptOpenSshKey(key: EncryptedOpenSshKey, passphrase: string, signal: AbortSignal): Promise<string> {
  const { cipher } = key;
  const derived = await bcryptPbkdf(Buffer.from(passphrase, 'utf8'), key.salt, cipher.keyLen + cipher.ivLen, key.rounds, signal);
  const secret = derived.subarray(0, cipher.keyLen);
  const iv = derived.subarray(cipher.keyLen);
  let plain: Buffer;
  try {
    let decipher: Decipher;
    if (cipher.authLen) {
      const gcm = createDecipheriv(cipher.ssl as CipherGCMTypes, secret, iv, { authTagLength: cipher.authLen });
      gcm.setAuthTag(key.authTag);
      decipher = gcm;
    } else {
      decipher = createDecipheriv(cipher.ssl, secret, iv);
    }
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(key.encrypted), decipher.final()]);
  } catch {
    throw new KeyError('the passphrase is wrong'); // GCM: the tag did not verify
  }
  // Two equal random check integers open the private section; a wrong passphrase garbles them.
  if (plain.length < 8 || plain.readUInt32BE(0) !== plain.readUInt32BE(4)) throw new KeyError('the passphrase is wrong');
  const unencrypted = Buffer.concat([
    OPENSSH_MAGIC,
    wireString('none'),
    wireString('none'),
    wireString(Buffer.alloc(0)),
    Buffer.from([0, 0, 0, key.publicKeys.length]),
    ...key.publicKeys.map(wireString),
    wireString(plain),
  ]);
  const body = unencrypted.toString('base64').replace(/.{1,70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}-----END OPENSSH PRIVATE KEY-----\n`;
}

const PKCS8_PEM = /^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----\r?\n[\s\S]+-----END (ENCRYPTED )?PRIVATE KEY-----$/;

/**
 * ssh2 reads no PKCS#8 ("BEGIN PRIVATE KEY", what `openssl genpkey` and `ssh-keygen -m PKCS8`
 * write): node's OpenSSL decrypts it, and it is handed to ssh2 in a format ssh2 reads.
 */
function pkcs8ToSsh2(text: string, passphrase: string | undefined): string {
  const encrypted = text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  if (encrypted && !passphrase) throw noPassphrase();
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') throw noPassphrase();
    if (encrypted) throw new KeyError('the passphrase is wrong');
    throw new KeyError('it is not a valid PKCS#8 private key');
  }
  if (key.asymmetricKeyType === 'rsa') return key.export({ type: 'pkcs1', format: 'pem' }).toString();
  if (key.asymmetricKeyType === 'ec') return key.export({ type: 'sec1', format: 'pem' }).toString();
  if (key.asymmetricKeyType === 'ed25519') return openSshEd25519(key);
  throw new KeyError(`${key.asymmetricKeyType ?? 'this'} keys are not supported for SSH; use ed25519, ECDSA or RSA`);
}

/** An unencrypted OpenSSH-format file holding the ed25519 key (ssh2 reads ed25519 only in this format). */
function openSshEd25519(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const seed = Buffer.from(String(jwk.d), 'base64url');
  const publicKey = Buffer.from(String(jwk.x), 'base64url');
  const publicBlob = Buffer.concat([wireString('ssh-ed25519'), wireString(publicKey)]);
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    wireString('ssh-ed25519'),
    wireString(publicKey),
    wireString(Buffer.concat([seed, publicKey])),
    wireString(''),
  ]);
  const padding = Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, index) => index + 1);
  section = Buffer.concat([section, Buffer.from(padding)]);
  const file = Buffer.concat([
    OPENSSH_MAGIC,
    wireString('none'),
    wireString('none'),
    wireString(Buffer.alloc(0)),
    Buffer.from([0, 0, 0, 1]),
    wireString(publicBlob),
    wireString(section),
  ]);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${file.toString('base64').replace(/.{1,70}/g, '$&\n')}-----END OPENSSH PRIVATE KEY-----\n`;
}

/** A key ssh2 can parse without a slow KDF (PEM, PKCS#8, PuTTY, unencrypted or just-decrypted OpenSSH). */
function parseCheapKey(text: string, passphrase: string | undefined): ParsedKey {
  const readable = PKCS8_PEM.test(text.trim()) ? pkcs8ToSsh2(text.trim(), passphrase) : text;
  const parsed = utils.parseKey(readable, passphrase || undefined);
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | Error | undefined) : parsed;
  if (!key) throw new KeyError('it holds no key');
  if (key instanceof Error) {
    if (/no passphrase given/i.test(key.message)) throw noPassphrase();
    if (/passphrase|decrypt|integrity check/i.test(key.message)) throw new KeyError('the passphrase is wrong');
    if (/unsupported key format/i.test(key.message)) throw new KeyError('it is not a private key in OpenSSH, PEM, PKCS#8 or PuTTY format');
    throw new KeyError(`ssh2 says: ${key.message.replace(/\.$/, '')}`);
  }
  if (!key.isPrivateKey()) throw new KeyError('it is a public key, not a private key');
  return key;
}

/**
 * Parses a private key (OpenSSH, PEM: PKCS#1, SEC1 or PKCS#8, or PuTTY) with its optional
 * passphrase. OpenSSH keys are decrypted on a worker thread; other formats use cheap KDFs.
 * Throws KeyError with a message that names the problem, never the key.
 */
export async function loadPrivateKey(privateKey: string, passphrase: string | undefined, signal: AbortSignal): Promise<ParsedKey> {
  const encrypted = encryptedOpenSshKey(privateKey);
  if (!encrypted) return parseCheapKey(privateKey, passphrase);
  if (!passphrase) throw noPassphrase();
  return parseCheapKey(await decryptOpenSshKey(encrypted, passphrase, signal), undefined);
}

/**
 * What can be told of a key without the slow KDF, for validation on save: that it is a private
 * key, and encrypted with no passphrase. An OpenSSH key's passphrase is not tried (seconds of
 * CPU per request); a PEM or PKCS#8 key's is. Throws KeyError.
 */
export function checkPrivateKey(privateKey: string, passphrase: string | undefined): void {
  const encrypted = encryptedOpenSshKey(privateKey);
  if (encrypted && !passphrase) throw noPassphrase();
  if (!encrypted) parseCheapKey(privateKey, passphrase);
}
