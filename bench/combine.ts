/**
 * `node .build/bench/combine.js bench/results/A.json B.json C.json`: several full runs as one
 * verdict (issue 19: "targets over three full runs, medians of medians, reported with their
 * spread"). Per scenario and side: the median over runs of each run's median req/s, p50 and p99,
 * with the lowest and highest; the service's ratio to each baseline per run, likewise; and each
 * target checked again on the medians of medians.
 */
import fs from 'node:fs';
import path from 'node:path';
import { figuresOf, othersOf, type ContenderSummary } from './lib/measure';
import { type ScenarioResult, targetsCell } from './lib/report';
import { median } from './lib/stats';
import { type Figures, targetMet } from './lib/targets';

interface RunFile {
  startedAt: string;
  results: ScenarioResult[];
}

/** A median with the spread it came from. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

const spreadOf = (values: number[]): Spread => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

function show(spread: Spread, digits: number, suffix = ''): string {
  const value = (n: number) => n.toFixed(digits) + suffix;
  return spread.min === spread.max ? value(spread.median) : `${value(spread.median)} (${value(spread.min)}–${value(spread.max)})`;
}

/** The same scenario of every run, by suite and id, in the order of the first run. */
function byScenario(runs: RunFile[]): Map<string, ScenarioResult[]> {
  const groups = new Map<string, ScenarioResult[]>();
  for (const run of runs)
    for (const result of run.results) {
      const key = `${result.suite} ${result.id}`;
      groups.set(key, [...(groups.get(key) ?? []), result]);
    }
  return groups;
}

/** The medians over runs of one side's figures (RSS growth included when the runs measured it). */
function mediansOf(summaries: ContenderSummary[]): Figures {
  const figures = summaries.map(figuresOf);
  const growth = figures.map((figure) => figure.rssGrowthMiB).filter((value): value is number => value !== undefined);
  return {
    reqPerSec: median(figures.map((figure) => figure.reqPerSec)),
    p50Ms: median(figures.map((figure) => figure.p50Ms)),
    p99Ms: median(figures.map((figure) => figure.p99Ms)),
    rssGrowthMiB: growth.length ? median(growth) : undefined,
  };
}

function scenarioRows(results: ScenarioResult[]): string[] {
  const first = results[0];
  const labels = first.contenders.map((contender) => contender.label);
  const sides = labels.map((label) => ({
    label,
    summaries: results
      .map((result) => result.contenders.find((contender) => contender.label === label))
      .filter(Boolean) as ContenderSummary[],
  }));
  const service = mediansOf(sides[0].summaries);
  const others = othersOf([]);
  for (const side of sides.slice(1)) others.set(side.label, mediansOf(side.summaries));
  const targets = first.targets?.map((target) => ({ ...target, met: targetMet(target, service, others) }));
  return sides.map((side, index) => {
    const ratios = results
      .map((result) => result.ratios.find((ratio) => ratio.versus === side.label))
      .filter((ratio): ratio is ScenarioResult['ratios'][number] => ratio !== undefined);
    const ratioCell = ratios.length
      ? `${show(
          spreadOf(ratios.map((ratio) => ratio.reqPerSec)),
          2,
          '×',
        )} req/s, ${show(spreadOf(ratios.map((ratio) => ratio.p50)), 2, '×')} p50`
      : '';
    const cells = [
      index === 0 ? `(${first.id}) ${first.title}` : '',
      side.label,
      show(spreadOf(side.summaries.map((summary) => summary.medianReqPerSec)), 0),
      show(spreadOf(side.summaries.map((summary) => summary.medianP50Ms)), 2),
      show(spreadOf(side.summaries.map((summary) => summary.medianP99Ms)), 1),
      ratioCell,
      index === 0 ? targetsCell({ targets, targetNote: first.targetNote }) : '',
    ];
    return `| ${cells.join(' | ')} |`;
  });
}

function main(files: string[]): void {
  if (files.length < 2) throw new Error('usage: node .build/bench/combine.js <run.json> <run.json> [...]: two runs or more');
  const runs = files.map((file) => JSON.parse(fs.readFileSync(path.resolve(file), 'utf8')) as RunFile);
  const lines = [
    `${runs.length} runs (${runs.map((run) => run.startedAt).join(', ')}). Each figure: the median over runs of each run's median ` +
      `over its rounds, with the lowest and highest run in brackets; targets checked on those medians of medians.`,
  ];
  for (const suite of ['postgres', 'sqlite'] as const) {
    const groups = [...byScenario(runs).values()].filter((results) => results[0].suite === suite);
    if (!groups.length) continue;
    lines.push(
      '',
      `**Metadata database: ${suite === 'postgres' ? 'PostgreSQL' : 'embedded SQLite'}**`,
      '',
      '| Scenario | Side | req/s | p50 ms | p99 ms | Service / this | Targets |',
      '| --- | --- | --: | --: | --: | --- | --- |',
      ...groups.flatMap(scenarioRows),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
