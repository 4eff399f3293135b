import { TtlCache } from '@switchboard/common';
import type { InstanceEvents } from './instance-events';

/**
 * An in-memory cache kept coherent across instances by InstanceEvents: its owner drops
 * entries when it hears of a change. Nothing is served while events might be missed, and a
 * value loaded across a change is not kept (it may predate the change).
 */
export class CoherentCache<V> {
  private readonly entries: TtlCache<string, V>;
  private generation = 0;

  constructor(
    private readonly events: InstanceEvents,
    maxEntries: number,
    ttlMs: number,
  ) {
    this.entries = new TtlCache(maxEntries, ttlMs);
  }

  /** The value for `key`, from memory or `load`; `keep` says which loaded values are worth remembering. */
  async get(key: string, load: () => Promise<V>, keep: (value: V) => boolean = Boolean): Promise<V> {
    if (!this.events.live) return load();
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const loaded = await load();
    if (keep(loaded) && this.events.live && generation === this.generation) this.entries.set(key, loaded);
    return loaded;
  }

  /** Drops the entries `matches` picks, or all of them. */
  invalidate(matches?: (value: V, key: string) => boolean): void {
    this.generation += 1;
    if (matches) this.entries.deleteWhere(matches);
    else this.entries.clear();
  }
}
