import { FixedWindowLimiter } from './fixed-window-limiter';
import { RateLimits, ReleaseSlot, Slots, WindowCounter } from './rate-limits';

/** Rate limits in this process's memory: right when this process is the only instance. */
export class MemoryRateLimits extends RateLimits {
  readonly shared = false;
  private readonly counters = new Map<string, WindowCounter>();
  private readonly slotSets = new Map<string, Slots>();

  windows(name: string, limit: number, windowMs: number): WindowCounter {
    let counter = this.counters.get(name);
    if (!counter) {
      const limiter = new FixedWindowLimiter(limit, windowMs);
      counter = {
        hit: async (key) => limiter.hit(key),
        refund: async (key) => limiter.refund(key),
        reset: async (key) => limiter.reset(key),
      };
      this.counters.set(name, counter);
    }
    return counter;
  }

  slots(name: string, max: number): Slots {
    let slots = this.slotSets.get(name);
    if (!slots) {
      slots = new MemorySlots(max);
      this.slotSets.set(name, slots);
    }
    return slots;
  }
}

/** Holders per key; a key leaves the map with its last holder, so the map stays small. */
class MemorySlots implements Slots {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  async acquire(key: string): Promise<ReleaseSlot | undefined> {
    const current = this.held.get(key) ?? 0;
    if (current >= this.max) return undefined;
    this.held.set(key, current + 1);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}
