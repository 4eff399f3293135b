import { randomFillSync } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let lastMs = -1;
let sequence = 0;

// Entropy drawn in batches, as crypto.randomUUID does: one call into OpenSSL per 256 ids, not two per id.
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

function randomSlice(size: number): Buffer {
  if (poolOffset + size > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += size;
  return pool.subarray(poolOffset - size, poolOffset);
}

/**
 * RFC 9562 UUID v7, time-ordered so ids sort by creation and index well. Within one
 * millisecond the 12-bit rand_a field counts up (RFC 9562 §6.2, method 1), so ids made by
 * this process stay in order; it starts at a random point below half to leave room.
 */
export function uuidv7(now: number = Date.now()): string {
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      ms += 1;
      sequence = randomSlice(2).readUInt16BE() & 0x7ff;
    }
  } else {
    sequence = randomSlice(2).readUInt16BE() & 0x7ff;
  }
  lastMs = ms;
  const bytes = randomSlice(16); // consumed: never handed out again, so it may be written in place
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);
