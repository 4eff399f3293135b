import { createHmac, hash, randomInt, timingSafeEqual } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform random base62 (randomInt avoids modulo bias); 40 chars carry ~238 bits. */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/**
 * Tokens are high-entropy, so a plain SHA-256 is the right storage hash (no salt or stretching needed).
 * The one-shot `hash` skips the Hash object: this runs on every API-key request.
 */
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

export const hmacHex = (key: Buffer, value: string): string => createHmac('sha256', key).update(value, 'utf8').digest('hex');

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
