/**
 * Preloaded into the service by `--profile` and `--soak` (node --require), which also give it an IPC
 * channel: `{profile: 'start'}` starts V8's sampling profiler in the process, `{profile: 'stop',
 * file}` stops it, writes the .cpuprofile and answers `{profiled: file}`; `{memory: true}` answers
 * process.memoryUsage() before and after a full GC, to tell retained heap from garbage and from the rest of the RSS. So the bench profiles
 * one scenario at a time, not start-up or seeding. (Signals would not do: Nest's shutdown hooks
 * end the service on SIGUSR2.) `{soak: 'start' | 'window' | 'stop'}` observes GC and the event
 * loop during a soak only, and answers each window's figures (soak.ts).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { constants, monitorEventLoopDelay, type IntervalHistogram, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

type ProfileMessage = { profile: 'start' } | { profile: 'stop'; file: string } | { memory: true } | { soak: 'start' | 'window' | 'stop' };

/** A full GC on demand, so "after" shows what is retained rather than garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const session = new Session();
session.connect();

function post<T = unknown>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;
const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;

/** GC and event-loop figures of the current soak window; observers run only while a soak does. */
class SoakWindow {
  private gc = { minor: 0, major: 0, pauseMs: 0, maxPauseMs: 0 };
  private heapAfterMajorGc?: number;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      const major = kind === constants.NODE_PERFORMANCE_GC_MAJOR;
      this.gc[major ? 'major' : 'minor'] += 1;
      this.gc.pauseMs += entry.duration;
      this.gc.maxPauseMs = Math.max(this.gc.maxPauseMs, entry.duration);
      // Read when the observer runs, a turn after the collection: close enough to "after GC".
      if (major) this.heapAfterMajorGc = v8.getHeapStatistics().used_heap_size;
    }
  });
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
    this.loopDelay.enable();
  }

  /** This window's figures; the next window starts now. */
  take(): object {
    const heap = v8.getHeapStatistics();
    const window = {
      heapAfterMajorGcMiB: this.heapAfterMajorGc === undefined ? undefined : mib(this.heapAfterMajorGc),
      heapTotalMiB: mib(heap.total_heap_size),
      rssMiB: mib(process.memoryUsage.rss()),
      gc: { ...this.gc, pauseMs: Math.round(this.gc.pauseMs * 10) / 10, maxPauseMs: Math.round(this.gc.maxPauseMs * 10) / 10 },
      eventLoopDelay: { p50Ms: ms(this.loopDelay.percentile(50)), p99Ms: ms(this.loopDelay.percentile(99)), maxMs: ms(this.loopDelay.max) },
    };
    this.gc = { minor: 0, major: 0, pauseMs: 0, maxPauseMs: 0 };
    this.heapAfterMajorGc = undefined;
    this.loopDelay.reset();
    return window;
  }

  stop(): void {
    this.observer.disconnect();
    this.loopDelay.disable();
  }
}

let soakWindow: SoakWindow | undefined;

function handleSoak(step: 'start' | 'window' | 'stop'): void {
  if (step === 'start') {
    soakWindow?.stop();
    soakWindow = new SoakWindow();
    soakWindow.start();
    process.send!({ soaking: true });
    return;
  }
  if (!soakWindow) throw new Error('no soak is running');
  if (step === 'window') {
    process.send!({ window: soakWindow.take() });
    return;
  }
  soakWindow.stop();
  soakWindow = undefined;
  collectGarbage();
  process.send!({ retainedHeapMiB: mib(v8.getHeapStatistics().used_heap_size) });
}

async function handle(message: ProfileMessage): Promise<void> {
  if ('soak' in message) return handleSoak(message.soak);
  if ('memory' in message) {
    const before = process.memoryUsage();
    collectGarbage();
    process.send!({ memory: before, afterGc: process.memoryUsage() });
    return;
  }
  if (message.profile === 'start') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    // Allocations too, garbage included: what the GC has to collect is what the scenario allocated.
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 64 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    process.send!({ profiling: true });
    return;
  }
  const { profile } = await post<{ profile: object }>('Profiler.stop');
  fs.writeFileSync(message.file, JSON.stringify(profile));
  const { profile: heapProfile } = await post<{ profile: object }>('HeapProfiler.stopSampling');
  fs.writeFileSync(message.file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heapProfile));
  process.send!({ profiled: message.file });
}

process.on('message', (message: ProfileMessage) => void handle(message).catch((error: unknown) => process.send!({ error: String(error) })));
// The channel must not keep the service alive when it is told to stop.
process.channel?.unref();
