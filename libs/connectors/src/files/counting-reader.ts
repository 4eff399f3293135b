import type { RangeReader } from '../introspection/types';

/** A RangeReader that clamps reads to the file and counts the bytes it requested (details.bytesRead). */
export class CountingReader {
  bytesRead = 0;

  constructor(private readonly reader: RangeReader) {}

  get size(): number {
    return this.reader.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    if (wanted === 0) return Buffer.alloc(0);
    this.bytesRead += wanted;
    const data = await this.reader.read(offset, wanted);
    return data.length > wanted ? data.subarray(0, wanted) : data;
  }
}
