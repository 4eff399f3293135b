import type { Machine } from './report';
import { loads } from './report';
import type { ScenarioId } from './options';
import { SOAK_MAX_DECLINE, SOAK_WINDOW_SECONDS, type SoakSide, type SoakWindow, type TableSize } from './soak';

/** One scenario's soak: the service's windows, the baseline's, and the metadata tables the service's soak changed. */
export interface SoakResult {
  suite: 'postgres' | 'sqlite';
  id: ScenarioId;
  title: string;
  concurrency: number;
  service: SoakSide;
  baseline: SoakSide;
  tables: { table: string; before?: TableSize; after: TableSize }[];
}

const fixed = (value: number | undefined, digits = 1) => (value === undefined ? '—' : value.toFixed(digits));

/** A window on one line, for the progress log. */
export function describeWindow(window: SoakWindow): string {
  const head =
    `${String(window.fromSecond).padStart(5)} s  ${window.reqPerSec.toFixed(0).padStart(6)} req/s  ` +
    `p50 ${window.p50Ms.toFixed(2)} ms  p99 ${window.p99Ms.toFixed(2)} ms`;
  const figures = window.process;
  const databases = window.databases ? `  [${window.databases}]` : '';
  if (!figures) return head + databases;
  return (
    `${head}  heap ${fixed(figures.heapAfterMajorGcMiB)}/${fixed(figures.heapTotalMiB)} MiB  rss ${fixed(figures.rssMiB, 0)} MiB  ` +
    `gc ${figures.gc.minor}+${figures.gc.major} ${fixed(figures.gc.pauseMs)} ms (max ${fixed(figures.gc.maxPauseMs)})  ` +
    `loop p99 ${fixed(figures.eventLoopDelay.p99Ms)} max ${fixed(figures.eventLoopDelay.maxMs)} ms${databases}`
  );
}

/** The windows in which the databases did something besides answering, for one side. */
function databaseLines(side: SoakSide): string[] {
  const busy = side.windows.filter((window) => window.databases);
  return busy.length
    ? [
        '',
        `Database activity during the ${side.label}'s soak: ${busy.map((window) => `${window.fromSecond} s: ${window.databases}`).join('; ')}.`,
      ]
    : [];
}

const bytes = (size?: TableSize) => (size ? `${(size.bytes / 1024).toFixed(0)} KiB` : '—');

function soakTable(result: SoakResult): string[] {
  const { service, baseline } = result;
  const rows = service.windows.map((window, index) => {
    const other = baseline.windows[index];
    const figures = window.process;
    return (
      `| ${window.fromSecond} | ${window.reqPerSec.toFixed(0)} | ${window.p99Ms.toFixed(1)} | ` +
      `${fixed(figures?.heapAfterMajorGcMiB)} / ${fixed(figures?.heapTotalMiB)} | ${fixed(figures?.rssMiB, 0)} | ` +
      `${figures ? `${figures.gc.minor} + ${figures.gc.major}: ${fixed(figures.gc.pauseMs)} (max ${fixed(figures.gc.maxPauseMs)})` : '—'} | ` +
      `${figures ? `${fixed(figures.eventLoopDelay.p99Ms)} / ${fixed(figures.eventLoopDelay.maxMs)}` : '—'} | ` +
      `${other ? other.reqPerSec.toFixed(0) : '—'} | ${other ? other.p99Ms.toFixed(1) : '—'} | ${other ? (window.reqPerSec / other.reqPerSec).toFixed(2) : '—'} |`
    );
  });
  const verdict = (side: SoakSide) => `${side.label} ${percent(side.change)}${side.flat ? '' : ' **DECLINED**'}`;
  const trend = (side: SoakSide) =>
    `${side.label} ${percent(side.trend.lastMinuteVsFirst)} (slope ${percent(side.trend.slopePerMinute)} a minute)`;
  return [
    '',
    `**(${result.id}) ${result.title}** on ${result.suite === 'postgres' ? 'PostgreSQL' : 'embedded SQLite'}, ${result.concurrency} concurrent: ` +
      `last window against the first: ${verdict(service)}, ${verdict(baseline)}` +
      `; last minute's median against the first's: ${trend(service)}, ${trend(baseline)}` +
      (service.retainedHeapMiB === undefined ? '' : `; service heap after a full GC at the end: ${service.retainedHeapMiB.toFixed(1)} MiB`),
    '',
    '| From s | Service req/s | p99 ms | Heap after major GC / total MiB | RSS MiB | GCs minor + major: pause ms (max) | Loop delay p99 / max ms | Baseline req/s | p99 ms | Service / baseline |',
    '| --: | --: | --: | --: | --: | --- | --- | --: | --: | --: |',
    ...rows,
    ...(result.tables.length
      ? [
          '',
          `Metadata tables the service's soak changed: ${result.tables
            .map(({ table, before, after }) => `${table} ${before?.rows ?? 0} -> ${after.rows} rows, ${bytes(before)} -> ${bytes(after)}`)
            .join('; ')}.`,
        ]
      : ['', "The service's soak changed no metadata table."]),
    ...databaseLines(service),
    ...databaseLines(baseline),
  ];
}

/** A change as a signed percentage: +3.5%, -12.0%. */
export const percent = (ratio: number): string => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;

/** The soak's report: per scenario, window by window, the service beside its baseline (run one after the other). */
export function soakMarkdown(results: readonly SoakResult[], machine: Machine): string {
  return [
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryMiB} MiB, Node ${machine.node}; load average (1, 5, 15 min) ` +
      `${loads(machine.loadAverageAtStart)} at start, ${loads(machine.loadAverageAtEnd ?? [])} at end. ` +
      `Soak: ${SOAK_WINDOW_SECONDS} s windows of one unbroken load, the service alone, then the baseline alone; ` +
      `a side whose last window is more than ${SOAK_MAX_DECLINE * 100}% below its first fails the run.`,
    ...results.flatMap(soakTable),
  ].join('\n');
}
