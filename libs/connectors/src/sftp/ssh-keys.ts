import { createDecipheriv, type CipherGCMTypes, type Decipher } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { utils, type ParsedKey } from 'ssh2';

// Private keys for SSH: OpenSSH, PEM and PuTTY, the OpenSSH KDF run off the event loop.

/** Why a private key cannot be used; the message never quotes the key or the passphrase. */
export class KeyError extends Error {
  override name = 'KeyError';
}

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

/**
 * Parses a private key (OpenSSH, PEM or PuTTY) with its optional passphrase. OpenSSH keys are
 * decrypted on a worker thread; other formats use cheap KDFs and are parsed by ssh2 directly.
 * Throws KeyError with a message that names the problem, never the key.
 */
export async function loadPrivateKey(privateKey: string, passphrase: string | undefined, signal: AbortSignal): Promise<ParsedKey> {
  let text = privateKey;
  const encrypted = encryptedOpenSshKey(privateKey);
  if (encrypted) {
    if (!passphrase) throw new KeyError('it is encrypted and no passphrase is set');
    text = await decryptOpenSshKey(encrypted, passphrase, signal);
  }
  const parsed = utils.parseKey(text, encrypted ? undefined : passphrase || undefined);
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | Error | undefined) : parsed;
  if (!key) throw new KeyError('it holds no key');
  if (key instanceof Error) {
    if (/no passphrase given/i.test(key.message)) throw new KeyError('it is encrypted and no passphrase is set');
    if (/passphrase|decrypt|integrity check/i.test(key.message)) throw new KeyError('the passphrase is wrong');
    throw new KeyError(`ssh2 says: ${key.message.replace(/\.$/, '')}`);
  }
  if (!key.isPrivateKey()) throw new KeyError('it is a public key, not a private key');
  return key;
}
