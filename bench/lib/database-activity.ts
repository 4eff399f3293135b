/**
 * What the PostgreSQL servers behind a soak did besides answering it, per 10 s window: their
 * autovacuum workers and checkpoints, sampled each second (issue 19: soak windows dip by 15–20%
 * with the service's heap, GC and loop delay flat, on both sides, and nothing said why).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { SOAK_WINDOW_SECONDS } from './soak';

interface Sample {
  /** Milliseconds since start(). */
  at: number;
  /** What each autovacuum worker was running ("autovacuum: VACUUM public.audit_events"). */
  workers: string[];
  /** Checkpoints completed and buffers they wrote, since the server started (absent where pg_stat_bgwriter has no such columns: PostgreSQL 17+). */
  checkpoints?: number;
  buffers?: number;
}

const SAMPLE_SQL = `SELECT coalesce(array_agg(query ORDER BY query) FILTER (WHERE backend_type = 'autovacuum worker' AND query <> ''), '{}') AS workers
  FROM pg_stat_activity`;
const CHECKPOINT_SQL = 'SELECT checkpoints_timed + checkpoints_req AS checkpoints, buffers_checkpoint AS buffers FROM pg_stat_bgwriter';

class ServerSamples {
  readonly samples: Sample[] = [];
  private checkpointsReadable = true;

  constructor(
    readonly name: string,
    readonly client: Client,
  ) {}

  async take(at: number): Promise<void> {
    const { rows } = await this.client.query<{ workers: string[] }>(SAMPLE_SQL);
    const sample: Sample = { at, workers: rows[0].workers };
    if (this.checkpointsReadable) {
      try {
        const checkpoint = (await this.client.query<{ checkpoints: string; buffers: string }>(CHECKPOINT_SQL)).rows[0];
        sample.checkpoints = Number(checkpoint.checkpoints);
        sample.buffers = Number(checkpoint.buffers);
      } catch {
        this.checkpointsReadable = false;
      }
    }
    this.samples.push(sample);
  }

  /** "audit_events autovacuum 7 s, 1 checkpoint (5,120 buffers)" for the samples in [from, to) ms, or "" when nothing ran. */
  describe(from: number, to: number, previous: Sample | undefined): { text: string; last: Sample | undefined } {
    const inside = this.samples.filter((sample) => sample.at >= from && sample.at < to);
    const seconds = new Map<string, number>();
    for (const sample of inside) for (const work of sample.workers) seconds.set(work, (seconds.get(work) ?? 0) + 1);
    const parts = [...seconds].map(([work, count]) => `${work.replace(/^autovacuum: /, 'autovacuum ')} ${count} s`);
    const last = inside[inside.length - 1] ?? previous;
    if (previous?.checkpoints !== undefined && last?.checkpoints !== undefined && last.checkpoints > previous.checkpoints) {
      const count = last.checkpoints - previous.checkpoints;
      parts.push(`${count} checkpoint${count > 1 ? 's' : ''} (${(last.buffers! - previous.buffers!).toLocaleString('en-US')} buffers)`);
    }
    return { text: parts.length ? `${this.name}: ${parts.join(', ')}` : '', last };
  }
}

/** Samples each server every second from start() to stop(); stop() answers one description per window. */
export class DatabaseActivity {
  private servers: ServerSamples[] = [];
  private timer?: NodeJS.Timeout;
  private started = 0;
  private pending = Promise.resolve();

  constructor(private readonly urls: { name: string; url: string }[]) {}

  async start(): Promise<void> {
    this.servers = await Promise.all(
      this.urls.map(async ({ name, url }) => {
        const client = new Client({ connectionString: url, application_name: 'bench activity' });
        await client.connect();
        return new ServerSamples(name, client);
      }),
    );
    this.started = performance.now();
    const sampleAll = () => {
      const at = performance.now() - this.started;
      // One round of samples at a time; a slow server skips a second rather than piling queries up.
      this.pending = this.pending.then(() =>
        Promise.all(this.servers.map((server) => server.take(at))).then(
          () => undefined,
          () => undefined, // a missed second, not a failed soak
        ),
      );
    };
    sampleAll();
    this.timer = setInterval(sampleAll, 1000);
  }

  /** One line per window of the soak (empty where neither server did anything worth naming). */
  async stop(windows: number): Promise<string[]> {
    clearInterval(this.timer);
    await this.pending;
    await Promise.all(this.servers.map((server) => server.client.end().catch(() => undefined)));
    const lines: string[] = [];
    const previous = new Map<ServerSamples, Sample | undefined>(this.servers.map((server) => [server, server.samples[0]]));
    for (let index = 0; index < windows; index++) {
      const from = index * SOAK_WINDOW_SECONDS * 1000;
      const to = from + SOAK_WINDOW_SECONDS * 1000;
      const texts = this.servers.map((server) => {
        const { text, last } = server.describe(from, to, previous.get(server));
        previous.set(server, last);
        return text;
      });
      lines.push(texts.filter(Boolean).join('; '));
    }
    return lines;
  }
}
