import net from 'node:net';
import type { ClientChannel } from 'ssh2';
import type { ConnectorContext, ResolvedConnection, TestError } from '../connector';
import { EgressError, EgressGuard, type ResolvedTarget } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { StreamSocket } from '../egress/target-socket';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf, StageFailure } from '../probes/test-run';
import { callback, classifySshError, ConnectionClosed, SshSession, startSsh, type SshSettings } from '../sftp/ssh-connection';

/** Where the connection's own driver wants to go, as the bastion will be asked to forward it. */
export interface TunnelTarget {
  host: string;
  port: number;
}

/** A connection's bastion (its SSH settings and secrets) and the target behind it. */
export interface TunnelPlan {
  bastion: SshSettings;
  target: TunnelTarget & { where: string };
}

/** How long reaching and signing in to the bastion may take at most (DESIGN §3), less when the deadline is nearer. */
export const TUNNEL_CONNECT_TIMEOUT_MS = 5_000;
/** A live tunnel probes the bastion this often; 3 unanswered probes end it, so the next call reconnects. */
export const TUNNEL_KEEPALIVE_MS = 15_000;
/** SSH_OPEN_ADMINISTRATIVELY_PROHIBITED and SSH_OPEN_CONNECT_FAILED (RFC 4254). */
const OPEN_PROHIBITED = 1;
const OPEN_CONNECT_FAILED = 2;

/** The plan of a connection whose config has `sshTunnel`; undefined without one. */
export function tunnelPlanOf(connection: ResolvedConnection, target: TunnelTarget): TunnelPlan | undefined {
  const tunnel = connection.config.sshTunnel as Record<string, unknown> | undefined;
  if (!tunnel) return undefined;
  const { secrets } = connection;
  const host = String(tunnel.host);
  const port = Number(tunnel.port ?? 22);
  const pinned = tunnel.hostKeyFingerprint;
  return {
    bastion: {
      host,
      port,
      username: typeof tunnel.username === 'string' ? tunnel.username : '',
      rootPath: '/',
      pinned: typeof pinned === 'string' && pinned ? pinned : undefined,
      pinField: 'sshTunnel.hostKeyFingerprint',
      password: secrets.sshPassword || undefined,
      privateKey: secrets.sshPrivateKey || undefined,
      passphrase: secrets.sshPassphrase || undefined,
      where: `${host}:${port}`,
    },
    target: { ...target, where: `${target.host}:${target.port}` },
  };
}

const alwaysDenied = EgressPolicy.parse();

/**
 * What the bastion reaches is its network, by design; a link-local or metadata literal is
 * refused all the same (it would be the bastion's own cloud credentials).
 */
export function refusedTarget({ host, port }: TunnelTarget): boolean {
  const literal = addressLiteralOf(host);
  if (literal === undefined) return false;
  const verdict = alwaysDenied.check(literal, port);
  // An address the policy cannot read (a zone index, say) is refused rather than guessed at.
  return !verdict.allowed && (verdict.reason === 'always-denied' || verdict.reason === 'not-an-address');
}

/**
 * The address a host names when the bastion reads it as a number: besides the canonical forms,
 * its resolver (inet_aton) takes 2852039166, 0251.0376.0251.0376, 0xa9fea9fe or 169.254.43518
 * for 169.254.169.254, as the WHATWG URL parser does; an IPv6 zone index is dropped.
 */
function addressLiteralOf(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const unzoned = bare.replace(/%.*$/, '');
  if (net.isIP(unzoned)) return unzoned;
  if (!/^[0-9a-fx.]+$/i.test(bare)) return undefined;
  try {
    const hostname = new URL(`http://${bare}/`).hostname;
    return net.isIPv4(hostname) ? hostname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Handshake with the bastion at the checked address (its host key checked against the pin
 * before authentication), then sign in. Failures are StageFailures with the coded error.
 */
export async function signInToBastion(
  plan: TunnelPlan,
  address: ResolvedTarget,
  context: ConnectorContext,
  options: { readyTimeoutMs: number; onHostKey?: (fingerprint: string) => void; keepaliveMs?: number },
): Promise<SshSession> {
  const keyWork = new AbortController();
  const { ssh, methods } = startSsh(plan.bastion, address, {
    keySignal: AbortSignal.any([context.signal, keyWork.signal]),
    readyTimeoutMs: options.readyTimeoutMs,
    onHostKey: options.onHostKey,
    keepaliveMs: options.keepaliveMs,
  });
  const stop = (): void => ssh.abort();
  context.signal.addEventListener('abort', stop, { once: true });
  let during: 'handshake' | 'authentication' = 'handshake';
  try {
    await ssh.handshake.promise;
    during = 'authentication';
    if (!(await ssh.whileConnected(methods)).length) {
      throw new StageFailure({ code: 'AUTH_FAILED', message: 'Neither sshPassword nor sshPrivateKey is set for the SSH tunnel.' });
    }
    await ssh.ready.promise;
    return ssh;
  } catch (error) {
    ssh.close();
    if (error instanceof StageFailure) throw error;
    throw new StageFailure(classifySshError(error, during, ssh, plan.bastion, context.signal));
  } finally {
    context.signal.removeEventListener('abort', stop);
    keyWork.abort();
  }
}

/** A channel from the bastion to the target (`direct-tcpip`). */
export function forwardOut(ssh: SshSession, target: TunnelTarget): Promise<ClientChannel> {
  return ssh.whileConnected(
    new Promise<ClientChannel>((resolve, reject) =>
      ssh.client.forwardOut('127.0.0.1', 0, target.host, target.port, callback(resolve, reject)),
    ),
  );
}

/** Why the bastion did not open the forwarded channel, as a test error. */
export function classifyForwardError(error: unknown, plan: TunnelPlan, signal: AbortSignal): TestError {
  const { bastion, target } = plan;
  if (signal.aborted) return { code: 'TIMEOUT', message: `No answer from ${bastion.where} before the deadline.` };
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (reason === OPEN_PROHIBITED) {
    return {
      code: 'PERMISSION_DENIED',
      message: `The bastion ${bastion.where} does not allow forwarding to ${target.where} (see AllowTcpForwarding and PermitOpen in its sshd_config).`,
    };
  }
  if (reason === OPEN_CONNECT_FAILED)
    return { code: 'CONNECTION_REFUSED', message: `The bastion ${bastion.where} could not reach ${target.where}.` };
  if (error instanceof ConnectionClosed) return { code: 'PROTOCOL_ERROR', message: `${bastion.where} closed the SSH connection.` };
  return { code: 'PROTOCOL_ERROR', message: `Forwarding through ${bastion.where} to ${target.where} failed: ${messageOf(error)}` };
}

/**
 * One tunnel: one SSH connection to the bastion, carrying a forwarded channel to the target
 * for every connection a driver opens (`openStream`: no listening socket, so nothing else on
 * this host can use the tunnel). Names for TLS and Host headers stay the target's. The SSH
 * connection is opened by `connect`; once it died (bastion restart, network cut, keepalive
 * timeout) its channels are cut at once, and the next `connect` opens a new one, so pools made
 * through the tunnel keep working: each new pool connection asks the current one for a channel.
 */
export class SshTunnel {
  /** SSH connections opened so far (for tests and logs). */
  connections = 0;
  private ssh?: SshSession;
  private connecting?: Promise<SshSession>;
  private readonly sockets = new Set<StreamSocket>();
  private closed = false;

  constructor(
    readonly plan: TunnelPlan,
    private readonly keepaliveMs = TUNNEL_KEEPALIVE_MS,
  ) {}

  /** The target as the egress guard answers it for the tunnel's connector: reached by `openStream` only. */
  resolvedTarget(): ResolvedTarget {
    const host = this.plan.target.host.replace(/^\[(.*)\]$/, '$1');
    return { address: host, family: net.isIPv6(host) ? 6 : 4, host, openStream: () => this.openStream() };
  }

  get alive(): boolean {
    return this.ssh !== undefined && !this.ssh.dead;
  }

  /** Uses `ssh` (opened with stages by a connection test) as this tunnel's connection. */
  adopt(ssh: SshSession): void {
    this.ssh = ssh;
    this.connections += 1;
    ssh.lost.promise.catch(() => this.dropSockets());
  }

  /**
   * A live SSH connection to the bastion within `context`'s deadline: the current one, or a new
   * one (through the egress guard, with keepalives). Callers that find it dead together share
   * one attempt. Failures are StageFailures.
   */
  async connect(context: ConnectorContext): Promise<SshSession> {
    if (this.ssh && !this.ssh.dead) return this.ssh;
    if (this.closed) throw new StageFailure({ code: 'PROTOCOL_ERROR', message: 'The SSH tunnel was closed; try again.' });
    this.connecting ??= this.open(context).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  close(): void {
    this.closed = true;
    this.dropSockets();
    this.ssh?.close();
  }

  private async open(context: ConnectorContext): Promise<SshSession> {
    const { bastion } = this.plan;
    const address = await context.egress
      .resolve(bastion.host, bastion.port, context.signal)
      .catch((error: unknown) => Promise.reject(new StageFailure(classifyNetworkError(error, bastion.where))));
    const ssh = await signInToBastion(this.plan, address, context, {
      readyTimeoutMs: Math.max(1, Math.min(TUNNEL_CONNECT_TIMEOUT_MS, context.remainingMs())),
      keepaliveMs: this.keepaliveMs,
    });
    if (this.closed) {
      ssh.close();
      throw new StageFailure({ code: 'PROTOCOL_ERROR', message: 'The SSH tunnel was closed; try again.' });
    }
    this.adopt(ssh);
    return ssh;
  }

  /**
   * A new channel to the target on the current SSH connection, as a socket. Without a live
   * connection, or when the bastion refuses the channel, the socket fails as a socket would.
   */
  private openStream(): StreamSocket {
    const ssh = this.ssh;
    const socket = new StreamSocket(() => {
      if (!ssh || ssh.dead || this.closed) return Promise.reject(socketError('The SSH connection to the bastion is gone.', 'ECONNRESET'));
      return forwardOut(ssh, this.plan.target).catch((error: unknown) => Promise.reject(channelError(error)));
    });
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  /** The connection carrying them is gone: their drivers must see it now, not at their next write. */
  private dropSockets(): void {
    for (const socket of this.sockets) socket.destroy(socketError('The SSH connection to the bastion was lost.', 'ECONNRESET'));
  }
}

const socketError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

/** A refused channel as the socket error a driver would see connecting directly. */
function channelError(error: unknown): Error {
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (reason === OPEN_CONNECT_FAILED) return socketError('The bastion could not reach the target.', 'ECONNREFUSED');
  return socketError(`The bastion did not open a channel to the target: ${messageOf(error)}`, 'ECONNRESET');
}

/**
 * The egress guard a connector gets while its connection goes through a tunnel: the target
 * (same host and port) resolves to the tunnel's target, reached through its channels only;
 * anything else (a redirect to another host, say) is refused, as the tunnel reaches only the target.
 */
export class TunnelEgress extends EgressGuard {
  constructor(private readonly tunnel: SshTunnel) {
    super(alwaysDenied);
  }

  override resolve(host: string, port: number, signal?: AbortSignal): Promise<ResolvedTarget> {
    if (signal?.aborted) return Promise.reject(new DOMException('The operation was aborted', { name: 'AbortError' }));
    const { target } = this.tunnel.plan;
    const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (name !== target.host.replace(/^\[(.*)\]$/, '$1').toLowerCase() || port !== target.port) {
      return Promise.reject(new EgressError('EGRESS_DENIED', `${host}:${port}`, 'host-mismatch'));
    }
    return Promise.resolve(this.tunnel.resolvedTarget());
  }

  override checkRedirect(url: URL, signal?: AbortSignal): Promise<ResolvedTarget> {
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new EgressError('EGRESS_DENIED', `${url.protocol}//${url.host}`, 'unsupported-protocol'));
    }
    return this.resolve(url.hostname, port, signal);
  }
}
