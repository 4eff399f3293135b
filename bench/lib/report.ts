import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContenderSummary } from './measure';
import type { ScenarioId } from './options';

export interface ScenarioResult {
  suite: 'postgres' | 'sqlite';
  id: ScenarioId;
  title: string;
  concurrency: number;
  note: string;
  versus: string;
  contenders: ContenderSummary[];
  /** service / baseline for each baseline: req/s and median latency. */
  ratios: { versus: string; reqPerSec: number; p50: number }[];
  target?: { text: string; met: boolean };
  /** Shown in the target column when there is no target (the MariaDB scenarios). */
  targetNote?: string;
  /** (f)/(g): the RSS column shows idle -> peak. */
  memory?: boolean;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export function describeMachine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  };
}

const fixed = (value: number, digits = 0): string => value.toFixed(digits);
const loads = (values: number[]): string => values.map((load) => load.toFixed(2)).join(' ');
const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));

function rssCell(result: ScenarioResult, contender: ContenderSummary): string {
  if (result.memory) {
    if (contender.idleRssMiB === undefined) return `peak ${fixed(contender.peakRssMiB)}`;
    return `${fixed(contender.idleRssMiB)} → peak ${fixed(contender.peakRssMiB)}`;
  }
  return fixed(contender.rssMiB);
}

function rows(result: ScenarioResult): string[] {
  return result.contenders.map((contender, index) => {
    const ratio = result.ratios.find((candidate) => candidate.versus === contender.label);
    const ratioCell = ratio ? `${ratio.reqPerSec.toFixed(2)}× req/s, ${ratio.p50.toFixed(2)}× p50` : '';
    const targetCell =
      index !== 0 ? '' : result.target ? `${result.target.text}: **${result.target.met ? 'met' : 'NOT met'}**` : (result.targetNote ?? '');
    const scenarioCell = index === 0 ? `(${result.id}) ${result.title}` : '';
    const concurrencyCell = index === 0 ? String(result.concurrency) : '';
    return `| ${scenarioCell} | ${concurrencyCell} | ${contender.label} | ${fixed(contender.medianReqPerSec)} | ${ms(contender.medianP50Ms)} | ${ms(contender.medianP99Ms)} | ${rssCell(result, contender)} | ${ratioCell} | ${targetCell} |`;
  });
}

/** One markdown table per suite: the medians over the rounds, and the service's ratio to each baseline. */
export function markdown(results: readonly ScenarioResult[], machine: Machine, options: { rounds: number; roundSeconds: number }): string {
  const lines = [
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryMiB} MiB, Node ${machine.node}; load average (1, 5, 15 min) ` +
      `${loads(machine.loadAverageAtStart)} at start, ${loads(machine.loadAverageAtEnd ?? [])} at end. ` +
      `Medians of ${options.rounds} alternating rounds of ${options.roundSeconds} s ` +
      `((d): a fixed number of tests per round). Ratio = service / that baseline.`,
  ];
  for (const suite of ['postgres', 'sqlite'] as const) {
    const ofSuite = results.filter((result) => result.suite === suite);
    if (!ofSuite.length) continue;
    lines.push(
      '',
      `**Metadata database: ${suite === 'postgres' ? 'PostgreSQL' : 'embedded SQLite'}**`,
      '',
      '| Scenario | Conc. | Side | req/s | p50 ms | p99 ms | RSS MiB | Service / this | Target (issue 6) |',
      '| --- | --: | --- | --: | --: | --: | --: | --- | --- |',
      ...ofSuite.flatMap(rows),
    );
  }
  return lines.join('\n');
}

/** Writes bench/results/<timestamp>.json and returns its path. */
export function writeJson(root: string, payload: object): string {
  const directory = path.join(root, 'bench', 'results');
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}
