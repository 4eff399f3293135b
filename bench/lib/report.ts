import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContenderSummary } from './measure';
import type { ScenarioId } from './options';
import { describeTarget, type Target } from './targets';
import type { BastionEvidence, LiveTunnels } from './tunnel-checks';

export interface ScenarioResult {
  suite: 'postgres' | 'sqlite';
  id: ScenarioId;
  title: string;
  concurrency: number;
  note: string;
  versus: string;
  contenders: ContenderSummary[];
  /** service / baseline for each baseline: req/s and median latency (p50, p99). */
  ratios: { versus: string; reqPerSec: number; p50: number; p99: number }[];
  /** The scenario's targets (data, so combine.ts can check them again) and whether this run met each. */
  targets?: (Target & { met: boolean })[];
  /** Shown in the target column when there is no target. */
  targetNote?: string;
  /** (f)/(g): the RSS column shows idle -> peak. */
  memory?: boolean;
  /** (f-ssh): what the bastion saw, and the service's RSS with many live tunnels. */
  bastion?: BastionEvidence;
  liveTunnels?: LiveTunnels;
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
export const loads = (values: number[]): string => values.map((load) => load.toFixed(2)).join(' ');
const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));

function rssCell(result: ScenarioResult, contender: ContenderSummary): string {
  if (result.memory) {
    if (contender.idleRssMiB === undefined) return `peak ${fixed(contender.peakRssMiB)}`;
    return `${fixed(contender.idleRssMiB)} → peak ${fixed(contender.peakRssMiB)}`;
  }
  return fixed(contender.rssMiB);
}

/** Each target with its verdict, or the note saying why there is none. */
export function targetsCell(result: Pick<ScenarioResult, 'targets' | 'targetNote'>): string {
  if (!result.targets?.length) return result.targetNote ?? '';
  return result.targets.map((target) => `${describeTarget(target)}: **${target.met ? 'met' : 'NOT met'}**`).join('<br>');
}

function rows(result: ScenarioResult): string[] {
  return result.contenders.map((contender, index) => {
    const ratio = result.ratios.find((candidate) => candidate.versus === contender.label);
    const ratioCell = ratio ? `${ratio.reqPerSec.toFixed(2)}× req/s, ${ratio.p50.toFixed(2)}× p50` : '';
    const targetCell = index !== 0 ? '' : targetsCell(result);
    const scenarioCell = index === 0 ? `(${result.id}) ${result.title}` : '';
    const concurrencyCell = index === 0 ? String(result.concurrency) : '';
    const roundsCell = contender.rounds.map((round) => fixed(round.reqPerSec)).join(' · ');
    const cpuCell = contender.medianCpuMsPerRequest === undefined ? '' : contender.medianCpuMsPerRequest.toFixed(3);
    return `| ${scenarioCell} | ${concurrencyCell} | ${contender.label} | ${fixed(contender.medianReqPerSec)} | ${roundsCell} | ${ms(contender.medianP50Ms)} | ${ms(contender.medianP99Ms)} | ${cpuCell} | ${rssCell(result, contender)} | ${ratioCell} | ${targetCell} |`;
  });
}

const times = (ratio: number): string => `${ratio.toFixed(2)}×`;
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** (f-ssh): the tunnel's cost beside (f) direct, the proof it was used, and the RSS of many live tunnels, below the table. */
function tunnelNotes(result: ScenarioResult): string[] {
  const notes: string[] = [];
  const direct = result.ratios.find((ratio) => ratio.versus === result.versus);
  if (direct) {
    notes.push(
      `(${result.id}) through the tunnel / ${result.versus}, in the same rounds, after the probe and warm-up opened the tunnels: p50 ${times(direct.p50)}, p99 ${times(direct.p99)}, ` +
        `req/s ${times(direct.reqPerSec)}.`,
    );
  }
  if (result.bastion) {
    const { projects, signIns, channels, testStages } = result.bastion;
    notes.push(
      `(${result.id}) through the bastion: its log shows ${count(signIns, 'SSH sign-in')} with the keys of the ${count(projects, 'project')} loaded and ` +
        `${count(channels, 'forwarded channel')} (direct-tcpip) to the target; the tunneled connection test went ${testStages.join(' → ')}.`,
    );
  }
  if (result.liveTunnels) {
    const { tunnels, established, rssBeforeMiB, rssAfterMiB, perTunnelMiB } = result.liveTunnels;
    notes.push(
      `(${result.id}) ${tunnels} live tunnels (a connection and key each, a preview each, sessions cached; ${established} SSH ` +
        `connections established, none signed in again for a second preview each): service RSS ${fixed(rssBeforeMiB)} → ${fixed(rssAfterMiB)} MiB, ` +
        `${perTunnelMiB.toFixed(2)} MiB per tunnel.`,
    );
  }
  return notes;
}

/** One markdown table per suite: the medians over the rounds, and the service's ratio to each baseline. */
export function markdown(results: readonly ScenarioResult[], machine: Machine, options: { rounds: number; roundSeconds: number }): string {
  const lines = [
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryMiB} MiB, Node ${machine.node}; load average (1, 5, 15 min) ` +
      `${loads(machine.loadAverageAtStart)} at start, ${loads(machine.loadAverageAtEnd ?? [])} at end. ` +
      `Medians of ${options.rounds} alternating rounds of ${options.roundSeconds} s ` +
      `((d): a fixed number of tests per round), each round's req/s beside them in order. CPU ms/req: the server process's ` +
      `CPU time per answer (median of the rounds). Ratio = service / that baseline.`,
  ];
  for (const suite of ['postgres', 'sqlite'] as const) {
    const ofSuite = results.filter((result) => result.suite === suite);
    if (!ofSuite.length) continue;
    lines.push(
      '',
      `**Metadata database: ${suite === 'postgres' ? 'PostgreSQL' : 'embedded SQLite'}**`,
      '',
      '| Scenario | Conc. | Side | req/s | req/s by round | p50 ms | p99 ms | CPU ms/req | RSS MiB | Service / this | Targets |',
      '| --- | --: | --- | --: | --- | --: | --: | --: | --: | --- | --- |',
      ...ofSuite.flatMap(rows),
    );
    const notes = ofSuite.filter((result) => result.bastion || result.liveTunnels).flatMap(tunnelNotes);
    if (notes.length) lines.push('', ...notes.map((note) => `- ${note}`));
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
