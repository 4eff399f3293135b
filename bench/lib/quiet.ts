import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Busy and total CPU time of the whole machine so far, in ticks (first line of /proc/stat). */
function cpuTicks(): { busy: number; total: number } {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
  // Steal is another guest's time on this host, not work of ours that is still going on.
  const busy = user + nice + system + irq + softirq;
  return { busy, total: busy + idle + iowait + steal };
}

export interface Quiet {
  /** Seconds waited. */
  seconds: number;
  /** Share of the machine's CPU in use over the last window (0-1). */
  busy: number;
  /** False when `maxSeconds` ran out first. */
  reached: boolean;
}

/**
 * Waits until the machine's CPU is busy less than `busyBelow` of the time over two windows in a
 * row, or `maxSeconds` have passed. Seeding leaves the databases writing back, vacuuming and
 * purging for a while, and the scenario measured first would pay for all of it.
 */
export async function waitForQuiet(options: { busyBelow: number; maxSeconds: number; windowMs?: number }): Promise<Quiet> {
  const windowMs = options.windowMs ?? 1_000;
  const started = Date.now();
  let quietWindows = 0;
  let busy = 1;
  let before = cpuTicks();
  while (Date.now() - started < options.maxSeconds * 1_000) {
    await sleep(windowMs);
    const now = cpuTicks();
    busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    before = now;
    quietWindows = busy < options.busyBelow ? quietWindows + 1 : 0;
    if (quietWindows === 2) return { seconds: (Date.now() - started) / 1_000, busy, reached: true };
  }
  return { seconds: (Date.now() - started) / 1_000, busy, reached: false };
}
