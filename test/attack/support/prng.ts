import { createHash } from 'node:crypto';

/** A small seeded generator (mulberry32): the same seed gives the same cases, so a failure replays. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator for `label` under `seed`: independent of what other labels drew before it. */
  static for(seed: number, label: string): Prng {
    return new Prng(createHash('sha256').update(`${seed}:${label}`).digest().readUInt32LE(0));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}
