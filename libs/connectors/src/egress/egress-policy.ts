import { isIP } from 'node:net';
import { IpAddress, IpRange, embeddedIpv4, formatIpv4, inRange, overlaps, parseIp, parseRange, unmap } from './ip';

/** Which input a bad entry came from, so config validation can name the variable. */
export type EgressPolicySetting = 'deny' | 'allow' | 'protectedTargets';

/** A malformed policy entry; the message quotes the entry (CIDRs are not secrets). */
export class EgressPolicyError extends Error {
  override name = 'EgressPolicyError';

  constructor(
    readonly setting: EgressPolicySetting,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Something connectors must never reach, whatever ALLOW says: the service's own metadata
 * database. `host` is an IP, a CIDR or a host name (the guard resolves names on every check,
 * so a failover to a new address stays covered); `port` narrows it to that one service, so
 * other services on a shared host (often loopback in development) stay reachable. A target
 * on this host (loopback, unspecified or one of `localAddresses`) is protected on every
 * address of this host: a server listening on 127.0.0.1 often listens on ::1 or `*` too.
 */
export interface ProtectedTarget {
  host: string;
  port?: number;
}

export interface EgressPolicyOptions {
  /**
   * SWITCHBOARD_EGRESS_DENY: comma list of CIDRs, IPs, `private`, `loopback`. `loopback` is this
   * host: 127.0.0.0/8, ::1, unspecified and every interface address (`localAddresses`), since a
   * service bound to 0.0.0.0 answers on all of them.
   */
  deny?: string;
  /** SWITCHBOARD_EGRESS_ALLOW: same syntax; when set, only these ranges pass. */
  allow?: string;
  protectedTargets?: readonly ProtectedTarget[];
  /** This host's interface addresses (os.networkInterfaces()), for `loopback` and protected targets on this host. */
  localAddresses?: readonly string[];
}

/** For logs and audit only: never shown to the caller, who sees denied like unreachable. */
export type EgressDenyReason = 'not-an-address' | 'always-denied' | 'protected' | 'deny-list' | 'not-in-allow-list';

export type EgressVerdict =
  /** `address` is what to connect to: IPv4-mapped IPv6 comes back as plain IPv4. */
  { allowed: true; address: string; family: 4 | 6 } | { allowed: false; reason: EgressDenyReason };

/** A parsed DENY or ALLOW: its ranges, and whether it names this host (`loopback`), whose addresses are known only at check time. */
interface AddressList {
  ranges: readonly IpRange[];
  thisHost: boolean;
}

interface ProtectedRange {
  range: IpRange;
  port?: number;
}

const ranges = (...entries: string[]): IpRange[] => entries.map((entry) => parseRange(entry) as IpRange);

const PRIVATE = ranges('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7');

/**
 * Never reachable, whatever ALLOW says: link-local and the cloud metadata endpoints outside
 * it, "this network" and unspecified (both connect to the local host on Linux), multicast
 * and broadcast.
 */
const ALWAYS_DENIED = ranges(
  // AWS, GCP (metadata.google.internal), Azure IMDS, OCI, DigitalOcean, OpenStack: 169.254.169.254;
  // AWS ECS 169.254.170.2 and EKS Pod Identity 169.254.170.23, Scaleway 169.254.42.42, Tencent 169.254.0.23.
  '169.254.0.0/16',
  // OpenStack's IPv6 metadata fe80::a9fe:a9fe.
  'fe80::/10',
  // AWS IMDS over IPv6.
  'fd00:ec2::254/128',
  // AWS EKS Pod Identity Agent over IPv6 (hands out credentials).
  'fd00:ec2::23/128',
  // GCP metadata over IPv6.
  'fd20:ce::254/128',
  // Scaleway metadata over IPv6.
  'fd00:42::42/128',
  // Azure WireServer (a public address, answering only from inside Azure).
  '168.63.129.16/32',
  // Alibaba Cloud metadata.
  '100.100.100.200/32',
  // Oracle Cloud Classic metadata.
  '192.0.0.192/32',
  '0.0.0.0/8',
  '::/128',
  '224.0.0.0/4',
  'ff00::/8',
  '255.255.255.255/32',
);

/** Addresses that reach this host whatever its interfaces: loopback, and unspecified (connects locally on Linux). */
const THIS_HOST = ranges('127.0.0.0/8', '::1/128', '0.0.0.0/32', '::/128');

const MAX_SHOWN = 64;

/** Which addresses connectors may reach. Immutable; build once at boot with `parse`. */
export class EgressPolicy {
  private constructor(
    private readonly deny: AddressList,
    /** Undefined: default mode, everything not denied passes. */
    private readonly allow: AddressList | undefined,
    private readonly protectedRanges: readonly ProtectedRange[],
    /** Protected targets given by name; the guard resolves them and calls `withProtected`. */
    readonly protectedHosts: readonly ProtectedTarget[],
    /** THIS_HOST and this host's interface addresses. */
    private readonly thisHost: readonly IpRange[],
  ) {}

  /** Throws EgressPolicyError naming the first bad entry. Blank strings count as unset. */
  static parse(options: EgressPolicyOptions = {}): EgressPolicy {
    const allow = options.allow?.trim() ? parseList('allow', options.allow) : undefined;
    if (allow && allow.ranges.length === 0 && !allow.thisHost)
      throw new EgressPolicyError('allow', 'lists no entries; leave it unset to allow everything not denied');
    const protectedRanges: ProtectedRange[] = [];
    const protectedHosts: ProtectedTarget[] = [];
    for (const target of options.protectedTargets ?? []) {
      const host = target.host.trim();
      const { port } = target;
      if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
        throw new EgressPolicyError('protectedTargets', `invalid port ${port} for ${show(host)}`);
      }
      if (/^[\d.]+(\/\d+)?$/.test(host) || host.includes(':'))
        protectedRanges.push({ range: parseEntry('protectedTargets', host, false), port });
      else if (host !== '' && !/[\s\p{Cc}/]/u.test(host)) protectedHosts.push({ host, port });
      else throw new EgressPolicyError('protectedTargets', `invalid entry ${show(host)}: expected an IP address, a CIDR or a host name`);
    }
    return new EgressPolicy(
      parseList('deny', options.deny ?? ''),
      allow,
      protectedRanges,
      protectedHosts,
      thisHost(options.localAddresses),
    );
  }

  /** Whether anything is protected. */
  get hasProtectedTargets(): boolean {
    return this.protectedRanges.length > 0 || this.protectedHosts.length > 0;
  }

  /** Whether this host's addresses matter (`loopback` or a protected target), so the guard knows if `withLocalAddresses` does. */
  get needsLocalAddresses(): boolean {
    return this.hasProtectedTargets || this.deny.thisHost || this.allow?.thisHost === true;
  }

  /** This policy with `addresses` (the current answers for `protectedHosts`) protected as well. */
  withProtected(addresses: readonly { address: string; port?: number }[]): EgressPolicy {
    const resolved = addresses.flatMap(({ address, port }) => {
      const range = isIP(address) ? parseRange(address) : undefined;
      return typeof range === 'object' ? [{ range, port }] : [];
    });
    return new EgressPolicy(this.deny, this.allow, [...this.protectedRanges, ...resolved], [], this.thisHost);
  }

  /** This policy with this host's current interface addresses (they change: DHCP, VPNs, containers). */
  withLocalAddresses(addresses: readonly string[]): EgressPolicy {
    return new EgressPolicy(this.deny, this.allow, this.protectedRanges, this.protectedHosts, thisHost(addresses));
  }

  check(address: string, port: number): EgressVerdict {
    const parsed = parseIp(address);
    if (!parsed) return { allowed: false, reason: 'not-an-address' };
    const ip = unmap(parsed);
    // A NAT64, 6to4, Teredo... address reaches its embedded IPv4 address: judge that one too.
    const forms: IpAddress[] = [ip, ...embeddedIpv4(ip)];
    const matches = (list: readonly IpRange[]): boolean => forms.some((form) => list.some((candidate) => inRange(form, candidate)));
    const inList = (list: AddressList, form: IpAddress): boolean =>
      list.ranges.some((candidate) => inRange(form, candidate)) || (list.thisHost && this.thisHost.some((local) => inRange(form, local)));
    if (matches(ALWAYS_DENIED)) return { allowed: false, reason: 'always-denied' };
    const guarded = this.protectedRanges.filter((entry) => entry.port === undefined || entry.port === port).map((entry) => entry.range);
    if (matches(guarded)) return { allowed: false, reason: 'protected' };
    // A protected target on this host is reachable through every address of this host.
    const onThisHost = guarded.some((range) => this.thisHost.some((local) => overlaps(range, local)));
    if (onThisHost && matches(this.thisHost)) return { allowed: false, reason: 'protected' };
    if (forms.some((form) => inList(this.deny, form))) return { allowed: false, reason: 'deny-list' };
    // Every address the connection may reach must be allowed, the embedded IPv4 ones too.
    const { allow } = this;
    if (allow && !forms.every((form) => inList(allow, form))) {
      return { allowed: false, reason: 'not-in-allow-list' };
    }
    return { allowed: true, address: ip === parsed ? address : formatIpv4(ip.value), family: ip.family };
  }
}

/** THIS_HOST and `addresses` as single-address ranges; what is not an IP literal is skipped. */
function thisHost(addresses: readonly string[] = []): IpRange[] {
  const local = addresses.flatMap((address) => {
    const range = parseRange(address);
    return typeof range === 'object' ? [range] : [];
  });
  return [...THIS_HOST, ...local];
}

function parseList(setting: EgressPolicySetting, text: string): AddressList {
  const list = { ranges: [] as IpRange[], thisHost: false };
  for (const entry of text.split(',').map((item) => item.trim())) {
    const word = entry.toLowerCase();
    if (word === '') continue;
    else if (word === 'loopback') list.thisHost = true;
    else if (word === 'private') list.ranges.push(...PRIVATE);
    else list.ranges.push(parseEntry(setting, entry, true));
  }
  return list;
}

function parseEntry(setting: EgressPolicySetting, entry: string, keywords: boolean): IpRange {
  const parsed = parseRange(entry);
  if (typeof parsed === 'object') return parsed;
  if (parsed === 'prefix')
    throw new EgressPolicyError(setting, `invalid entry ${show(entry)}: prefix length too long for the address family`);
  const expected = keywords ? 'an IP address, a CIDR, "private" or "loopback"' : 'an IP address or a CIDR';
  throw new EgressPolicyError(setting, `invalid entry ${show(entry)}: expected ${expected}`);
}

/** An entry quoted for a message: escaped, and cut short if long. */
function show(entry: string): string {
  return JSON.stringify(entry.length > MAX_SHOWN ? `${entry.slice(0, MAX_SHOWN)}…` : entry);
}
