import { isIPv4, isIPv6 } from 'node:net';

/** An address as a number, so ranges are plain bit arithmetic for both families. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpRange {
  family: 4 | 6;
  /** Host bits already cleared. */
  network: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;
const LOW_32 = 0xffffffffn;
/** ::ffff:0:0/96 and 64:ff9b::/96 (NAT64 well-known prefix), as the upper 96 bits. */
const MAPPED_PREFIX = 0xffffn;
const NAT64_PREFIX = 0x64ff9bn << 64n;

/**
 * Parses a strict IP literal as written, without folding IPv4-mapped forms. Zone ids
 * (`fe80::1%eth0`) are refused: they only make sense for link-local, which is never allowed.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: ipv4Value(text) };
  if (isIPv6(text) && !text.includes('%')) return { family: 6, value: ipv6Value(text) };
  return undefined;
}

/** `::ffff:a.b.c.d` and `::ffff:XXXX:XXXX` are the IPv4 address on a dual-stack socket. */
export function unmap(ip: IpAddress): IpAddress {
  return ip.family === 6 && ip.value >> 32n === MAPPED_PREFIX ? { family: 4, value: ip.value & LOW_32 } : ip;
}

/** The IPv4 address a NAT64 gateway would translate `64:ff9b::a.b.c.d` to, if any. */
export function nat64Target(ip: IpAddress): IpAddress | undefined {
  return ip.family === 6 && ip.value >> 32n === NAT64_PREFIX ? { family: 4, value: ip.value & LOW_32 } : undefined;
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n`; undefined if malformed, `prefix` if only the prefix is out of range. */
export function parseRange(text: string): IpRange | 'prefix' | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const bits = BITS[ip.family];
  let prefix: number = bits;
  if (slash >= 0) {
    const raw = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(raw)) return undefined;
    prefix = Number(raw);
    if (prefix > bits) return 'prefix';
  }
  // An IPv4-mapped range is an IPv4 range: addresses are unmapped before matching.
  if (ip.family === 6 && prefix >= 96 && ip.value >> 32n === MAPPED_PREFIX) {
    return range({ family: 4, value: ip.value & LOW_32 }, prefix - 96);
  }
  return range(ip, prefix);
}

export function inRange(ip: IpAddress, candidate: IpRange): boolean {
  return ip.family === candidate.family && (ip.value & mask(ip.family, candidate.prefix)) === candidate.network;
}

function range(ip: IpAddress, prefix: number): IpRange {
  return { family: ip.family, network: ip.value & mask(ip.family, prefix), prefix };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** Expects text node:net already accepted as IPv6: at most one `::`, optional trailing dotted quad. */
function ipv6Value(text: string): bigint {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const hex = dotted
    ? text.slice(0, dotted.index) +
      [ipv4Value(dotted[1]) >> 16n, ipv4Value(dotted[1]) & 0xffffn].map((group) => group.toString(16)).join(':')
    : text;
  const [head, tail] = hex.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}
