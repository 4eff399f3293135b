import { promises as dns, LookupAddress, LookupOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import os from 'node:os';
import { EgressDenyReason, EgressPolicy } from './egress-policy';
import type { StreamSocket } from './target-socket';

export type EgressErrorCode = 'DNS_NOT_FOUND' | 'EGRESS_DENIED';

/** For logs and audit only, like `code`. */
export type EgressErrorReason =
  | EgressDenyReason
  | 'invalid-host'
  | 'invalid-port'
  | 'unsupported-protocol'
  | 'dns-failed'
  | 'no-addresses'
  | 'protected-unresolved'
  | 'host-mismatch';

/**
 * Why a target may not be used. The message reads the same whether the target was denied or
 * unreachable ("could not reach db.internal:5432"), so a caller cannot map the network by
 * probing; `code`, `reason` and `address` are for logs and audit.
 */
export class EgressError extends Error {
  override name = 'EgressError';

  constructor(
    readonly code: EgressErrorCode,
    target: string,
    readonly reason: EgressErrorReason,
    /** The answer that was denied, when one was. */
    readonly address?: string,
    options?: ErrorOptions,
  ) {
    super(`could not reach ${target}`, options);
  }
}

/** A checked target: connect to `address`; keep `host` for SNI, certificates and Host headers. */
export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
  host: string;
  /**
   * Set for a target reached through an SSH tunnel: the only way to it is a new stream (a
   * channel forwarded by the bastion) that this opens, and `address`, the target as the bastion
   * dials it, is never dialed from here. Drivers connect with `connectTarget`, which uses it.
   */
  openStream?: () => StreamSocket;
}

/** Answers every address of a name, like dns.lookup with `all: true`. */
export type EgressResolver = (host: string) => Promise<readonly { address: string; family: number }[]>;

const systemResolver: EgressResolver = (host) => dns.lookup(host, { all: true, verbatim: true });

/** This host's interface addresses, read on every check: they change (DHCP, VPNs, containers). */
export type LocalAddresses = () => readonly string[];

const systemLocalAddresses: LocalAddresses = () =>
  Object.values(os.networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
const MAX_HOST_LENGTH = 254;
const BAD_HOST_CHARACTER = /[\s\p{Cc}]/u;

/** Resolves a target once and checks every answer against the policy; connectors connect only through it. */
export class EgressGuard {
  /** The policy with the last answers for its protected host names, kept if a later lookup fails. */
  private lastProtected?: EgressPolicy;

  constructor(
    private readonly policy: EgressPolicy,
    private readonly resolver: EgressResolver = systemResolver,
    private readonly localAddresses: LocalAddresses = systemLocalAddresses,
  ) {}

  /**
   * Resolves `host` (IP literals, bracketed or not, skip DNS) and returns the first address
   * if every answer is allowed: a name mixing allowed and denied answers is denied, since the
   * driver could otherwise be steered to the denied one.
   */
  async resolve(host: string, port: number, signal?: AbortSignal): Promise<ResolvedTarget> {
    throwIfAborted(signal);
    const name = unbracket(host);
    const target = shownTarget(name, port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EgressError('EGRESS_DENIED', target, 'invalid-port');
    if (name === '' || name.length > MAX_HOST_LENGTH || BAD_HOST_CHARACTER.test(name)) {
      throw new EgressError('DNS_NOT_FOUND', target, 'invalid-host');
    }
    const [policy, answers] = await abortable(
      Promise.all([this.currentPolicy(target), isIP(name) ? [{ address: name }] : this.lookup(name, target)]),
      signal,
    );
    if (answers.length === 0) throw new EgressError('DNS_NOT_FOUND', target, 'no-addresses');
    const checked = answers.map(({ address }) => {
      const verdict = policy.check(address, port);
      if (!verdict.allowed) throw new EgressError('EGRESS_DENIED', target, verdict.reason, address);
      return verdict;
    });
    return { address: checked[0].address, family: checked[0].family, host: name };
  }

  /** Checks a redirect target by the same rules; only http and https may be followed. */
  async checkRedirect(url: URL, signal?: AbortSignal): Promise<ResolvedTarget> {
    if (!Object.hasOwn(DEFAULT_PORTS, url.protocol)) {
      throw new EgressError('EGRESS_DENIED', `${url.protocol}//${url.host}`, 'unsupported-protocol');
    }
    return this.resolve(url.hostname, url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol], signal);
  }

  /** See the function `lookupFor`. */
  lookupFor(target: ResolvedTarget): PinnedLookup {
    return lookupFor(target);
  }

  private async lookup(name: string, target: string): Promise<readonly { address: string }[]> {
    try {
      return await this.resolver(name);
    } catch (error) {
      throw new EgressError('DNS_NOT_FOUND', target, 'dns-failed', undefined, { cause: error });
    }
  }

  /** When they matter (`loopback`, protected targets), this host's addresses are read on every check. */
  private async currentPolicy(target: string): Promise<EgressPolicy> {
    if (!this.policy.needsLocalAddresses) return this.policy;
    return (await this.resolvedPolicy(target)).withLocalAddresses(this.localAddresses());
  }

  /** Protected names are looked up on every check; if that fails, the last answers stand, or nothing passes. */
  private async resolvedPolicy(target: string): Promise<EgressPolicy> {
    const hosts = this.policy.protectedHosts;
    if (hosts.length === 0) return this.policy;
    try {
      const answers = await Promise.all(
        hosts.map(async ({ host, port }) => (await this.resolver(host)).map(({ address }) => ({ address, port }))),
      );
      this.lastProtected = this.policy.withProtected(answers.flat());
    } catch (error) {
      if (!this.lastProtected) throw new EgressError('EGRESS_DENIED', target, 'protected-unresolved', undefined, { cause: error });
    }
    return this.lastProtected;
  }
}

type LookupOneCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;
type LookupAllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** dns.lookup's callback forms, as net, tls, undici and nodemailer call a `lookup` option. */
export interface PinnedLookup {
  (hostname: string, callback: LookupOneCallback): void;
  (hostname: string, options: number | (LookupOptions & { all?: false }), callback: LookupOneCallback): void;
  (hostname: string, options: LookupOptions & { all: true }, callback: LookupAllCallback): void;
  (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void;
}

/**
 * A `lookup` for driver options that always answers the checked address, so the driver
 * connects exactly there (no second DNS query to rebind) while TLS still verifies `host`.
 * Asked for any other name, it fails: the pin is for one target only.
 */
export function lookupFor(target: ResolvedTarget): PinnedLookup {
  const pinned = (hostname: string, optionsOrCallback: unknown, maybeCallback?: unknown): void => {
    const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as LookupOneCallback & LookupAllCallback;
    const all = typeof optionsOrCallback === 'object' && (optionsOrCallback as LookupOptions | null)?.all === true;
    const name = unbracket(hostname).toLowerCase();
    // dns.lookup never calls back synchronously; drivers may rely on that.
    process.nextTick(() => {
      if (name !== target.host.toLowerCase() && name !== target.address) {
        callback(new EgressError('EGRESS_DENIED', shownTarget(hostname), 'host-mismatch'), '', 0);
      } else if (all) {
        callback(null, [{ address: target.address, family: target.family }]);
      } else {
        callback(null, target.address, target.family);
      }
    });
  };
  return pinned as PinnedLookup;
}

/** URL hostnames keep IPv6 brackets; DNS and policy want them off. */
function unbracket(host: string): string {
  const inner = /^\[(.*)\]$/.exec(host)?.[1];
  return inner !== undefined && isIPv6(inner) ? inner : host;
}

/** The target as shown in messages: never a raw control character, never unbounded. */
function shownTarget(host: string, port?: number): string {
  const shown = host.slice(0, MAX_HOST_LENGTH).replace(new RegExp(BAD_HOST_CHARACTER.source, 'gu'), '?');
  const hostPart = isIPv6(shown) ? `[${shown}]` : shown;
  return port === undefined ? hostPart : `${hostPart}:${port}`;
}

/** Node's own shape for an aborted call: an AbortError whose cause is the signal's reason. */
function abortError(signal: AbortSignal): DOMException {
  return new DOMException('The operation was aborted', { name: 'AbortError', cause: signal.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** dns.lookup cannot be cancelled; stop waiting for it instead. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
