import type { LimitDecision } from './fixed-window-limiter';

/** Hits per key in fixed windows of one limit. */
export interface WindowCounter {
  /** Counts a hit, allowed or not: a refused hit keeps the window spent. */
  hit(key: string): Promise<LimitDecision>;
  /** Takes one hit of the current window back (an attempt that turned out not to count). */
  refund(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

/** Gives back a slot taken by `Slots.acquire`. */
export type ReleaseSlot = () => Promise<void>;

/** At most `max` holders per key at once. */
export interface Slots {
  /**
   * Takes a slot, or answers undefined when all are taken. `leaseMs` bounds how long it is held
   * if the holder never releases it (its instance died): it must outlast the work it guards.
   */
  acquire(key: string, leaseMs: number): Promise<ReleaseSlot | undefined>;
}

/**
 * Where rate limits count. One instance (embedded SQLite) counts in memory; instances sharing
 * PostgreSQL count there, so a limit holds for all of them together rather than once each.
 * A name is one limit: asking twice for the same name gives the same counts.
 */
export abstract class RateLimits {
  /** True when the counts live where other instances see them (a database): every check is a round trip. */
  abstract readonly shared: boolean;
  abstract windows(name: string, limit: number, windowMs: number): WindowCounter;
  abstract slots(name: string, max: number): Slots;
}
