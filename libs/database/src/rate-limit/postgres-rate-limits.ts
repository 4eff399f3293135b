import { createHash, randomUUID } from 'node:crypto';
import { Logger, OnModuleDestroy } from '@nestjs/common';
import { LimitDecision, RateLimits, ReleaseSlot, Slots, WindowCounter } from '@switchboard/common';
import type { DataSource } from 'typeorm';
import { preparedQuery } from '../prepared-query';

/** Expired windows and slot rows are deleted this often, so the tables stay small. */
const SWEEP_MS = 60_000;

// One statement per check: INSERT ... ON CONFLICT locks the key's row, so hits from every
// instance are counted one after the other. The database clock decides windows and leases.
const HIT = `INSERT INTO rate_limit_windows AS w (key, count, reset_at)
VALUES ($1, 1, now() + $2::int * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN w.reset_at > now() THEN w.count + 1 ELSE 1 END,
  reset_at = CASE WHEN w.reset_at > now() THEN w.reset_at ELSE EXCLUDED.reset_at END
RETURNING count, greatest(1, ceil(extract(epoch FROM reset_at - now())))::int AS "retryAfter"`;
const REFUND = 'UPDATE rate_limit_windows SET count = count - 1 WHERE key = $1 AND reset_at > now() AND count > 0';
const RESET = 'DELETE FROM rate_limit_windows WHERE key = $1';

// A key's slots are one row of leases, {holder: expiry in epoch seconds}: taking one drops the
// expired leases (their holder died) and adds a lease only while fewer than max are live.
const LIVE_LEASES = `jsonb_each(s.leases) AS lease WHERE lease.value::numeric > extract(epoch FROM now())`;
const ACQUIRE = `INSERT INTO rate_limit_slots AS s (key, leases)
VALUES ($1, jsonb_build_object($2::text, extract(epoch FROM now()) + $3::int / 1000.0))
ON CONFLICT (key) DO UPDATE SET
  leases = (SELECT coalesce(jsonb_object_agg(lease.key, lease.value), '{}'::jsonb) FROM ${LIVE_LEASES}) || EXCLUDED.leases
WHERE (SELECT count(*) FROM ${LIVE_LEASES}) < $4::int
RETURNING 1 AS taken`;
const RELEASE = 'UPDATE rate_limit_slots SET leases = leases - $2::text WHERE key = $1';

const SWEEP_WINDOWS = 'DELETE FROM rate_limit_windows WHERE reset_at <= now()';
const SWEEP_SLOTS = `DELETE FROM rate_limit_slots s WHERE NOT EXISTS (SELECT 1 FROM ${LIVE_LEASES})`;

/**
 * Rate limits in PostgreSQL (tables rate_limit_windows and rate_limit_slots), shared by every
 * instance on the database. Keys are stored hashed: they hold emails and addresses, and the
 * tables are readable to whoever administers the database.
 */
export class PostgresRateLimits extends RateLimits implements OnModuleDestroy {
  readonly shared = true;
  private readonly logger = new Logger('RateLimits');
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  windows(name: string, limit: number, windowMs: number): WindowCounter {
    return {
      hit: async (key) => {
        const [row] = await preparedQuery<{ count: number; retryAfter: number }>(this.dataSource, HIT, [storedKey(name, key), windowMs]);
        const allowed = row.count <= limit;
        return { allowed, retryAfterSeconds: allowed ? 0 : row.retryAfter } satisfies LimitDecision;
      },
      refund: async (key) => void (await preparedQuery(this.dataSource, REFUND, [storedKey(name, key)])),
      reset: async (key) => void (await preparedQuery(this.dataSource, RESET, [storedKey(name, key)])),
    };
  }

  slots(name: string, max: number): Slots {
    return {
      acquire: async (key, leaseMs): Promise<ReleaseSlot | undefined> => {
        const stored = storedKey(name, key);
        const holder = randomUUID();
        const taken = await preparedQuery(this.dataSource, ACQUIRE, [stored, holder, Math.ceil(leaseMs), max]);
        if (!taken.length) return undefined;
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          await preparedQuery(this.dataSource, RELEASE, [stored, holder]).catch((error: unknown) =>
            // The lease expires on its own; until then the slot stays taken.
            this.logger.error({ err: error, limit: name }, 'Could not release a slot'),
          );
        };
      },
    };
  }

  async sweep(): Promise<void> {
    try {
      await this.dataSource.query(SWEEP_WINDOWS);
      await this.dataSource.query(SWEEP_SLOTS);
    } catch (error) {
      if (this.dataSource.isInitialized) this.logger.warn({ err: error }, 'Could not delete expired rate-limit rows');
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}

/** The limit's name, then a hash of the key: distinct per key, and no email or address in clear. */
function storedKey(name: string, key: string): string {
  return `${name}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
}
