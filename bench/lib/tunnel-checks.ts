import { setTimeout as sleep } from 'node:timers/promises';
import { Api, forEachLimited } from './api';
import { activitySince, type Bastion, type BastionKey, establishedTo, logMark, newBastionKeys } from './bastion';
import { rssMiB } from './processes';
import { type SeededProject, type TargetDatabase, tunneledWarehouseBody, WAREHOUSE_SSH } from './seed-api';
import { EVENTS_SCHEMA, EVENTS_TABLE } from './seed-target';
import { median } from './stats';

/** What the bastion saw while (f-ssh) was measured: the proof that the previews went through it. */
export interface BastionEvidence {
  /** Projects whose tunneled warehouse was loaded (one SSH connection each, their keys differ). */
  projects: number;
  /** SSH sign-ins with those projects' keys during the scenario: one each while the tunnels stay up. */
  signIns: number;
  /** Forwarded channels (direct-tcpip) to the target: one per pooled database session. */
  channels: number;
  /** The tunneled connection test's stages, e.g. dns, tcp, ssh, tunnel, auth, query. */
  testStages: string[];
}

/** The service's memory with many tunnels up at once, each with its cached database session. */
export interface LiveTunnels {
  tunnels: number;
  /** SSH connections to the bastion established when the RSS was taken (the tunnels of (f-ssh) may still count). */
  established: number;
  /** Service RSS with the connections created but none opened, and with every one previewed (MiB, steady). */
  rssBeforeMiB: number;
  rssAfterMiB: number;
  perTunnelMiB: number;
  /** With --profile: the service's process.memoryUsage() before and after a full GC, at each of the two points. */
  heap?: { before: string; after: string };
}

const PREVIEW = `preview?schema=${EVENTS_SCHEMA}&table=${EVENTS_TABLE}&limit=100`;
/** Previews in flight while opening the live tunnels: the service's cap of outbound operations per project. */
const OPENING_CONCURRENCY = 4;
const stagesOf = (result: { stages: { name: string; ok: boolean }[] }): string[] => result.stages.map((stage) => stage.name);

/** RSS once the process is at rest: the median of 10 samples over a second, after a second of nothing. */
async function steadyRss(pid: number): Promise<number> {
  await sleep(1_000);
  const samples: number[] = [];
  for (let sample = 0; sample < 10; sample++) {
    samples.push(rssMiB(pid) ?? 0);
    await sleep(100);
  }
  return median(samples);
}

/**
 * (f-ssh)'s checks, all through the HTTP API and the bastion's own log and sockets (never the
 * service's internals): that the previews went through the bastion, and the RSS of many live tunnels.
 */
export class TunnelChecks {
  private mark = 0;
  private testStages: string[] = [];

  constructor(
    private readonly service: { pid: number; baseUrl: string },
    private readonly bastion: Bastion,
    private readonly target: TargetDatabase,
    private readonly projects: readonly SeededProject[],
    /** The key of each project's tunneled warehouse, in the order of `projects`. */
    private readonly keys: readonly BastionKey[],
    /** With --profile: the service's heap, retained versus garbage (RSS alone hides what fits in V8's headroom). */
    private readonly heap?: () => Promise<string>,
  ) {}

  private api(project: SeededProject): Api {
    return new Api(this.service.baseUrl).withApiKey(project.apiKey);
  }

  /** Before the scenario: a stored test of a tunneled warehouse passes through the ssh and tunnel stages; then the log is marked. */
  async before(): Promise<void> {
    const project = this.projects[0];
    const result = await this.api(project).call('POST', `/api/v1/projects/${project.slug}/connections/${WAREHOUSE_SSH}/test`, 200, {});
    this.testStages = stagesOf(result);
    const ssh = this.testStages.indexOf('ssh');
    if (!result.success || ssh < 0 || this.testStages[ssh + 1] !== 'tunnel') {
      throw new Error(`the tunneled connection test did not pass through the bastion: ${JSON.stringify(result).slice(0, 800)}`);
    }
    this.mark = logMark(this.bastion);
  }

  /** After the rounds: every project that was loaded signed in to the bastion with its key, and its channels reached the target. */
  evidence(projectsLoaded: number): BastionEvidence {
    const activity = activitySince(this.bastion, this.mark);
    const fingerprints = new Set(this.keys.slice(0, projectsLoaded).map((key) => key.fingerprint));
    const signIns = activity.signIns.filter((fingerprint) => fingerprints.has(fingerprint));
    const missing = fingerprints.size - new Set(signIns).size;
    const channels = activity.channelsTo(this.target.port);
    if (missing || channels < projectsLoaded) {
      throw new Error(
        `the previews did not go through the bastion: ${missing} of ${projectsLoaded} keys never signed in, ` +
          `${channels} forwarded channels to port ${this.target.port} (sshd log ${this.bastion.server.logFile})`,
      );
    }
    return { projects: projectsLoaded, signIns: signIns.length, channels, testStages: this.testStages };
  }

  /**
   * `count` tunneled connections (spread over the projects, a key each, so `count` SSH
   * connections), a preview each so every tunnel is up with its session cached; the service's
   * RSS before and after. A second preview each must sign in nowhere again: the tunnels were
   * live. The connections are deleted afterwards.
   */
  async liveTunnels(count: number): Promise<LiveTunnels> {
    const keys = newBastionKeys(this.bastion, count);
    const connections = keys.map((key, index) => ({
      project: this.projects[index % this.projects.length],
      name: `tunnel-${String(index + 1).padStart(3, '0')}`,
      key,
    }));
    const path = (project: SeededProject, name: string) => `/api/v1/projects/${project.slug}/connections/${name}`;
    await forEachLimited(connections, OPENING_CONCURRENCY, async ({ project, name, key }) => {
      const body = tunneledWarehouseBody(this.target, { sshTunnel: this.bastion.sshTunnel, privateKey: key.privateKey }, name);
      await this.api(project).call('POST', `/api/v1/projects/${project.slug}/connections`, 201, body);
    });
    const rssBeforeMiB = await steadyRss(this.service.pid);
    const heapBefore = await this.heap?.();
    const previewEach = () =>
      forEachLimited(connections, OPENING_CONCURRENCY, async ({ project, name }) => {
        await this.api(project).call('GET', `${path(project, name)}/${PREVIEW}`, 200);
      });
    const fingerprints = new Set(keys.map((key) => key.fingerprint));
    const signInsSince = (mark: number) => activitySince(this.bastion, mark).signIns.filter((fingerprint) => fingerprints.has(fingerprint));
    const opening = logMark(this.bastion);
    await previewEach();
    const rssAfterMiB = await steadyRss(this.service.pid);
    const heapAfter = await this.heap?.();
    const established = establishedTo(this.bastion.server.port);
    const missing = count - new Set(signInsSince(opening)).size;
    const reusing = logMark(this.bastion);
    await previewEach();
    const reopened = signInsSince(reusing).length;
    if (missing || established < count || reopened) {
      throw new Error(
        `expected ${count} live tunnels: ${missing} keys never signed in to the bastion, ${established} SSH connections ` +
          `established, ${reopened} signed in again for a second preview`,
      );
    }
    await forEachLimited(connections, OPENING_CONCURRENCY, async ({ project, name }) => {
      await this.api(project).call('DELETE', path(project, name), 204);
    });
    const perTunnelMiB = (rssAfterMiB - rssBeforeMiB) / count;
    const heap = heapBefore !== undefined && heapAfter !== undefined ? { before: heapBefore, after: heapAfter } : undefined;
    return { tunnels: count, established, rssBeforeMiB, rssAfterMiB, perTunnelMiB, heap };
  }
}
