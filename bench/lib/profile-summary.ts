import fs from 'node:fs';
import path from 'node:path';
import type { ServerProcess } from './processes';

/** The parts of a V8 .cpuprofile the summary reads. */
interface CpuProfile {
  nodes: { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Who owns the code at `url`: an npm package, the service's own lib, Node itself, or V8 (GC, idle). */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const packageMatch = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1];
  const ownMatch = /\/dist\/apps\/api\/(libs\/[^/]+|apps\/[^/]+)/.exec(url);
  if (ownMatch) return `switchboard ${ownMatch[1]}`;
  return /\/bench\/baseline\//.test(url) ? 'bench baseline' : url;
}

function top(totals: Map<string, number>, count: number, allMs: number): string[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${((100 * ms) / allMs).toFixed(1).padStart(5)}%  ${name}`);
}

/**
 * Self time of a CPU profile by owner (package or lib) and by function: where the service
 * spends its CPU in the scenario profiled. Written beside the profile as <name>.txt.
 */
export function summariseProfile(file: string): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let allMs = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (!ms || node.callFrame.functionName === '(idle)') continue;
    allMs += ms;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
    const name = `${node.callFrame.functionName || '(anonymous)'} [${owner}]`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  const summary = [
    `${path.basename(file)}: ${(allMs / 1000).toFixed(1)} s of CPU (idle excluded)`,
    'Self time by package / lib:',
    ...top(byOwner, 20, allMs),
    'Self time by function:',
    ...top(byFunction, 30, allMs),
  ].join('\n');
  fs.writeFileSync(file.replace(/\.cpuprofile$/, '.txt'), summary + '\n');
  return summary;
}

/** The parts of a V8 sampling heap profile the summary reads. */
interface HeapProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapProfileNode[];
}

/**
 * Bytes allocated (sampled, garbage included) by owner and by function: what the GC pauses of a
 * scenario pay for. Written beside the profile as <name>.heap.txt.
 */
export function summariseHeapProfile(file: string): string {
  const { head } = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: HeapProfileNode };
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let allBytes = 0;
  const visit = (node: HeapProfileNode) => {
    if (node.selfSize) {
      allBytes += node.selfSize;
      const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + node.selfSize);
      const name = `${node.callFrame.functionName || '(anonymous)'} [${owner}]`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    }
    node.children.forEach(visit);
  };
  visit(head);
  const summary = [
    `${path.basename(file)}: ${(allBytes / 1024 / 1024).toFixed(0)} MiB allocated (sampled, garbage included)`,
    'Allocated by package / lib:',
    ...top(byOwner, 20, allBytes),
    'Allocated by function:',
    ...top(byFunction, 30, allBytes),
  ].join('\n');
  fs.writeFileSync(file.replace(/\.heapprofile$/, '.heap.txt'), summary + '\n');
  return summary;
}

/** Drives the profiler hook of a server (the service or its baseline) started with `--profile`: one profile per scenario. */
export class ScenarioProfiler {
  constructor(
    private readonly service: ServerProcess,
    readonly directory: string,
  ) {}

  async start(): Promise<void> {
    const answer = await this.service.ask({ profile: 'start' });
    if (!answer.profiling) throw new Error(`the service did not start profiling: ${JSON.stringify(answer)}`);
  }

  /** The service's process.memoryUsage() in MiB, before and after a full GC. */
  async memory(): Promise<string> {
    const answer = (await this.service.ask({ memory: true })) as { memory: Record<string, number>; afterGc: Record<string, number> };
    const mib = (usage: Record<string, number>) =>
      Object.entries(usage)
        .map(([name, bytes]) => `${name} ${(bytes / 1024 / 1024).toFixed(0)}`)
        .join(', ');
    return `${mib(answer.memory)}; after a full GC: ${mib(answer.afterGc)}`;
  }

  /** Stops the profile, has it written as <name>.cpuprofile, and returns its summary. */
  async stop(name: string): Promise<string> {
    const file = path.join(this.directory, `${name}.cpuprofile`);
    const answer = await this.service.ask({ profile: 'stop', file });
    if (answer.profiled !== file) throw new Error(`the service wrote no profile: ${JSON.stringify(answer)}`);
    const allocations = summariseHeapProfile(file.replace(/\.cpuprofile$/, '.heapprofile')).split('\n');
    return [...summariseProfile(file).split('\n').slice(0, 14), ...allocations.slice(0, 12)].join('\n');
  }
}
