import { createHash } from 'node:crypto';
import { CAPABILITIES, type ConnectionConfig } from '../connection-type';
import {
  CAPABILITY_METHODS,
  type Connector,
  type ConnectorContext,
  type ResolvedConnection,
  type SupportedConnectionType,
  type TestResult,
} from '../connector';
import { targetFailed } from '../introspection/errors';
import type { IntrospectionContext } from '../introspection/types';
import { reachTarget } from '../probes/reach';
import { secretScrubber, StageFailure, TestRun } from '../probes/test-run';
import type { Session } from '../sessions/session-cache';
import { reportUnpinnedHostKey, type SshSession } from '../sftp/ssh-connection';
import { withSshTunnel } from './ssh-tunnel.definition';
import {
  classifyForwardError,
  forwardOut,
  refusedTarget,
  signInToBastion,
  SshTunnel,
  TunnelEgress,
  tunnelPlanOf,
  type TunnelPlan,
  type TunnelTarget,
} from './ssh-tunnel';

/** Where a type's driver connects: config.host and config.port (defaults filled in by validation) for most. */
export type TunnelTargetOf = (config: ConnectionConfig) => TunnelTarget;

const hostAndPort: TunnelTargetOf = (config) => ({ host: String(config.host), port: Number(config.port) });

export interface TunnelOptions {
  /** How often a live tunnel probes its bastion (TUNNEL_KEEPALIVE_MS by default; tests make it short). */
  keepaliveMs?: number;
}

/**
 * Tunnels shared by every call and cached session of a connection with the same bastion,
 * secrets and target, counted: the last release closes the tunnel. A cached session (a pool)
 * holds one reference for its life, each call one for its own, so a change of tunnel settings
 * or secrets closes the old tunnel as soon as the session cache drops the old sessions.
 */
class TunnelLeases {
  private readonly tunnels = new Map<string, { tunnel: SshTunnel; holders: number }>();

  constructor(private readonly options: TunnelOptions) {}

  acquire(plan: TunnelPlan): { tunnel: SshTunnel; release(): void } {
    const key = leaseKey(plan);
    let entry = this.tunnels.get(key);
    if (!entry) {
      entry = { tunnel: new SshTunnel(plan, this.options.keepaliveMs), holders: 0 };
      this.tunnels.set(key, entry);
    }
    const held = entry;
    held.holders += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      if (this.tunnels.get(key) === held) this.tunnels.delete(key);
      held.tunnel.close();
    };
    return { tunnel: held.tunnel, release };
  }
}

/** Everything that makes two tunnels interchangeable, hashed so no secret is kept as a map key. */
function leaseKey({ bastion, target }: TunnelPlan): string {
  const { host, port, username, pinned, password, privateKey, passphrase } = bastion;
  return createHash('sha256')
    .update(JSON.stringify([host, port, username, pinned, password, privateKey, passphrase, target.host, target.port]))
    .digest('base64');
}

const refused = (plan: TunnelPlan) =>
  new StageFailure({ code: 'EGRESS_DENIED', message: `Could not reach ${plan.target.where} through the SSH tunnel.` });

/**
 * A type's connector that goes through `config.sshTunnel` when one is set, and is the type's
 * own connector otherwise. Only the methods the inner connector has are there (the registry
 * checks capabilities against them).
 */
export function tunneledConnector(inner: Connector, targetOf: TunnelTargetOf, options: TunnelOptions = {}): Connector {
  const leases = new TunnelLeases(options);
  const planOf = (connection: ResolvedConnection) => tunnelPlanOf(connection, targetOf(connection.config));
  const wrapper: Record<string, unknown> = {
    type: inner.type,
    test: (connection: ResolvedConnection, context: ConnectorContext) => {
      const plan = planOf(connection);
      return plan ? testThroughTunnel(inner, plan, connection, context) : inner.test(connection, context);
    },
  };
  for (const capability of CAPABILITIES) {
    const method = CAPABILITY_METHODS[capability];
    const own = inner[method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (method === 'test' || typeof own !== 'function') continue;
    wrapper[method] = (connection: ResolvedConnection, context: IntrospectionContext, ...rest: unknown[]) => {
      const plan = planOf(connection);
      if (!plan) return own.call(inner, connection, context, ...rest);
      // A test email reports a failed connection as a StageFailure (200, success false); introspection as an AppError.
      const asAppError = method !== 'sendTestEmail';
      return throughTunnel(leases, plan, connection, context, asAppError, (tunneled) => own.call(inner, connection, tunneled, ...rest));
    };
  }
  return wrapper as unknown as Connector;
}

/**
 * Runs an operation with the connection's tunnel up: its SSH connection live (reconnected
 * within this call's deadline if it died), the connector's egress answering the target with
 * the tunnel's channels, and every session the connector opens holding the tunnel for its own life.
 */
async function throughTunnel<R>(
  leases: TunnelLeases,
  plan: TunnelPlan,
  connection: ResolvedConnection,
  context: IntrospectionContext,
  asAppError: boolean,
  work: (context: IntrospectionContext) => Promise<R>,
): Promise<R> {
  const scrub = secretScrubber(connection.secrets);
  const failed = (error: unknown): unknown => {
    if (!(error instanceof StageFailure)) return error;
    const testError = { code: error.testError.code, message: scrub(`SSH tunnel: ${error.testError.message}`) };
    return asAppError ? targetFailed(testError) : new StageFailure(testError);
  };
  if (refusedTarget(plan.target)) throw failed(refused(plan));
  const lease = leases.acquire(plan);
  try {
    const ssh = await lease.tunnel.connect(context).catch((error: unknown) => Promise.reject(failed(error)));
    reportUnpinnedHostKey(context, plan.bastion, ssh);
    const egress = new TunnelEgress(lease.tunnel);
    const session = context.session?.bind(context);
    const tunneled: IntrospectionContext = {
      ...context,
      egress,
      session: <C, T>(variant: string, open: () => Promise<Session<C>>, use: (client: C) => Promise<T>) =>
        session(
          variant,
          async () => {
            const held = leases.acquire(plan);
            try {
              const opened = await open();
              return { ...opened, close: () => opened.close().finally(() => held.release()) };
            } catch (error) {
              held.release();
              throw error;
            }
          },
          use,
        ),
    };
    return await work(tunneled);
  } finally {
    lease.release();
  }
}

/**
 * A connection test through the tunnel, on a tunnel of its own: dns and tcp to the bastion,
 * ssh (handshake, host key, sign-in), tunnel (a forwarded channel to the target), then the
 * type's own stages past its dns and tcp (those open a channel of the tunnel, not a connection to the target).
 * The bastion's host key fingerprint is reported in details, pinned or not.
 */
async function testThroughTunnel(
  inner: Connector,
  plan: TunnelPlan,
  connection: ResolvedConnection,
  context: ConnectorContext,
): Promise<TestResult> {
  const run = new TestRun('ssh2', secretScrubber(connection.secrets));
  const details: Record<string, string | number | boolean> = {};
  let tunnel: SshTunnel | undefined;
  let ssh: SshSession | undefined;
  try {
    const bastion = await reachTarget(run, context, plan.bastion.host, plan.bastion.port);
    ssh = await run.stage(
      'ssh',
      () =>
        signInToBastion(plan, bastion, context, {
          readyTimeoutMs: Math.max(1, context.remainingMs()),
          onHostKey: (fingerprint) => (details.sshTunnelHostKeyFingerprint = fingerprint),
        }),
      () => ({ code: 'PROTOCOL_ERROR', message: 'The SSH connection failed.' }),
    );
    tunnel = new SshTunnel(plan);
    tunnel.adopt(ssh);
    const live = ssh;
    await run.stage(
      'tunnel',
      async () => {
        if (refusedTarget(plan.target)) throw refused(plan);
        const stop = (): void => live.abort();
        context.signal.addEventListener('abort', stop, { once: true });
        try {
          (await forwardOut(live, plan.target)).close();
        } finally {
          context.signal.removeEventListener('abort', stop);
        }
      },
      (error) => classifyForwardError(error, plan, context.signal),
    );
    const head = run.succeed('');
    const result = await inner.test(connection, { ...context, egress: new TunnelEgress(tunnel) });
    const own = result.stages.filter((stage) => !(stage.ok && (stage.name === 'dns' || stage.name === 'tcp')));
    return {
      ...result,
      message: result.success ? `${result.message} (through the SSH tunnel via ${plan.bastion.where})` : result.message,
      latencyMs: head.latencyMs + result.latencyMs,
      stages: [...head.stages, ...own],
      details: { ...details, ...result.details },
    };
  } catch (error) {
    return run.fail(error, Object.keys(details).length ? { ...details } : undefined);
  } finally {
    tunnel?.close();
    ssh?.close();
  }
}

/** A connection type that accepts `config.sshTunnel`: its definition with the field and secrets, its connector wrapped. */
export function tunneled<T extends string>(
  type: SupportedConnectionType<T>,
  targetOf: TunnelTargetOf = hostAndPort,
): SupportedConnectionType<T> {
  return {
    definition: withSshTunnel(type.definition),
    createConnector: (config) => tunneledConnector(type.createConnector(config), targetOf) as Connector & { readonly type: T },
  };
}
