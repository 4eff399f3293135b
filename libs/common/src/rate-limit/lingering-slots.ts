import type { ReleaseSlot, Slots } from './rate-limits';

export interface LingeringOptions {
  /** How long a given-back slot stays with this instance for its next operation before it is really released. */
  lingerMs: number;
  /** Taken this much longer than asked, so one slot serves the operations that follow within it. */
  reuseWindowMs: number;
  /** A refused acquire asks once more after this long: another instance's lingering slot has gone back by then. */
  retryAfterMs: number;
}

/**
 * Slots shared by every instance cost a database write to take and another to give back: two
 * round trips on the path of every outbound operation, and one hot row per project churning
 * under steady load (bench/, issue 19). This keeps a given-back slot for `lingerMs`, so the
 * operation that follows on this instance reuses it without asking the database; then it is
 * really released. The cap holds as before (a lingering slot is still taken), and no slot is
 * held idle longer than `lingerMs`: a refused acquire waits `retryAfterMs` (more than that)
 * and asks again, so another instance's lingering slot never refuses anyone.
 * What changes: a slot of an instance that died comes back up to `reuseWindowMs` later.
 */
export class LingeringSlots implements Slots {
  private readonly idle = new Map<string, IdleSlot[]>();
  /** Set by releaseAll (shutdown): from then on a slot given back goes straight back. */
  private closed = false;

  constructor(
    private readonly shared: Slots,
    private readonly options: LingeringOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(key: string, leaseMs: number): Promise<ReleaseSlot | undefined> {
    const taken = this.reuse(key, leaseMs) ?? (await this.take(key, leaseMs));
    if (taken) return taken;
    await new Promise((resolve) => setTimeout(resolve, this.options.retryAfterMs));
    return this.reuse(key, leaseMs) ?? this.take(key, leaseMs);
  }

  /** Gives every lingering slot back (shutdown: other instances should not wait for their leases to end). */
  async releaseAll(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((slot) => this.giveBack(slot)));
  }

  /** A lingering slot of `key` whose lease outlasts `leaseMs`; ones too close to their end are given back. */
  private reuse(key: string, leaseMs: number): ReleaseSlot | undefined {
    const slots = this.idle.get(key);
    while (slots?.length) {
      const slot = slots.pop()!;
      if (slots.length === 0) this.idle.delete(key);
      clearTimeout(slot.timer);
      if (slot.expiresAt - this.now() >= leaseMs) return this.holding(key, slot);
      void this.giveBack(slot);
    }
    return undefined;
  }

  private async take(key: string, leaseMs: number): Promise<ReleaseSlot | undefined> {
    const lease = leaseMs + this.options.reuseWindowMs;
    const expiresAt = this.now() + lease;
    const release = await this.shared.acquire(key, lease);
    return release && this.holding(key, { release, expiresAt });
  }

  /** The holder's release: the slot lingers, then goes back unless an operation took it meanwhile. */
  private holding(key: string, slot: Omit<IdleSlot, 'timer'>): ReleaseSlot {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (this.closed) return this.giveBack(slot);
      const idle: IdleSlot = { ...slot, timer: setTimeout(() => this.expire(key, idle), this.options.lingerMs) };
      idle.timer.unref();
      const slots = this.idle.get(key);
      if (slots) slots.push(idle);
      else this.idle.set(key, [idle]);
    };
  }

  private expire(key: string, slot: IdleSlot): void {
    const slots = this.idle.get(key);
    const at = slots?.indexOf(slot) ?? -1;
    if (at < 0) return;
    slots!.splice(at, 1);
    if (slots!.length === 0) this.idle.delete(key);
    void this.giveBack(slot);
  }

  private giveBack(slot: Pick<IdleSlot, 'release'>): Promise<void> {
    // The shared release logs its own failures; the lease ends by itself.
    return slot.release().catch(() => undefined);
  }
}

interface IdleSlot {
  release: ReleaseSlot;
  /** When the shared lease ends (this instance's clock, taken before asking: never later than the database's). */
  expiresAt: number;
  timer: NodeJS.Timeout;
}
