import zlib from 'node:zlib';
import type { CountingReader } from './counting-reader';
import { unprocessable } from './file-errors';
import { MAX_HEAD_BYTES } from './limits';

/** The decoded head of a text file. */
export interface HeadText {
  /** BOM removed. */
  text: string;
  /** The text is the whole file, so its last record is complete even without a final newline. */
  complete: boolean;
  /** 'gzip' when the head was inflated. */
  compression?: 'gzip';
}

const PARQUET_MAGIC = Buffer.from('PAR1', 'latin1');
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** The raw first bytes of a file, read once and extended on demand, never past MAX_HEAD_BYTES. */
export class Head {
  private raw = Buffer.alloc(0);
  private shortRead = false;

  constructor(private readonly source: CountingReader) {}

  get bytes(): Buffer {
    return this.raw;
  }

  /** Every byte of the file is in the head (a short read means the file ended early). */
  get wholeFile(): boolean {
    return this.shortRead || this.raw.length >= this.source.size;
  }

  get canGrow(): boolean {
    return !this.wholeFile && this.raw.length < MAX_HEAD_BYTES;
  }

  get isParquet(): boolean {
    return this.raw.subarray(0, 4).equals(PARQUET_MAGIC);
  }

  get isGzip(): boolean {
    return this.raw.subarray(0, 2).equals(GZIP_MAGIC);
  }

  /** Reads the bytes up to `limit` (capped at MAX_HEAD_BYTES) that are not read yet. */
  async readUpTo(limit: number): Promise<void> {
    const end = Math.min(limit, MAX_HEAD_BYTES, this.source.size);
    if (end <= this.raw.length || this.shortRead) return;
    const wanted = end - this.raw.length;
    const more = await this.source.read(this.raw.length, wanted);
    if (more.length < wanted) this.shortRead = true;
    this.raw = Buffer.concat([this.raw, more]);
  }

  /** The head as text: inflated when gzip, decoded by its BOM (UTF-8 by default). */
  async text(path: string): Promise<HeadText> {
    if (!this.isGzip) return { text: decodeText(this.raw), complete: this.wholeFile };
    const inflated = await gunzipHead(this.raw, MAX_HEAD_BYTES, path);
    return { text: decodeText(inflated.data), complete: this.wholeFile && !inflated.capped, compression: 'gzip' };
  }
}

/** UTF-16 when a UTF-16 BOM says so, else UTF-8; the BOM is dropped. Invalid bytes become U+FFFD. */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

const BINARY_PROBE_CHARS = 64 * 1024;

/** A NUL, or more than 5 % control or undecodable characters, in the first 64 Ki characters. */
export function looksBinary(text: string): boolean {
  const probe = Math.min(text.length, BINARY_PROBE_CHARS);
  let suspicious = 0;
  for (let i = 0; i < probe; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) return true;
    const control = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c;
    if (control || code === 0xfffd) suspicious++;
  }
  return suspicious > probe * 0.05;
}

/**
 * Inflates a gzip head without trusting its ratio: stops at `maxOutput` bytes (a gzip bomb
 * costs nothing), and a head cut mid-stream yields what could be inflated so far.
 */
function gunzipHead(compressed: Buffer, maxOutput: number, path: string): Promise<{ data: Buffer; capped: boolean }> {
  return new Promise((resolve, reject) => {
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (capped: boolean): void => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      resolve({ data: Buffer.concat(chunks).subarray(0, maxOutput), capped });
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total > maxOutput) settle(true);
    });
    gunzip.on('end', () => settle(false));
    gunzip.on('error', () => {
      if (settled) return;
      settled = true;
      reject(unprocessable(`${path} is not a valid gzip file.`));
    });
    gunzip.end(compressed);
  });
}
