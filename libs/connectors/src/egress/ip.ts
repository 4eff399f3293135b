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
/** ::ffff:0:0/96, IPv4-mapped, as the upper 96 bits. */
const MAPPED_PREFIX = 0xffffn;

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

/** Bits `start` to `start + length - 1` of an IPv6 address, counted from the most significant. */
const bits = (value: bigint, start: number, length: number): bigint =>
  (value >> BigInt(128 - start - length)) & ((1n << BigInt(length)) - 1n);

/**
 * Where each IPv6 transition form carries an IPv4 address: given the IPv6 value, the IPv4
 * values it may reach, or none if the address is not of that form. A translator, tunnel or
 * relay on the way delivers to that IPv4 address, so it is judged by the IPv4 rules too.
 */
const EMBEDDINGS: ((value: bigint) => bigint[])[] = [
  // IPv4-compatible ::a.b.c.d (RFC 4291, deprecated), but not :: and ::1 themselves.
  (value) => (value >> 32n === 0n && value > 1n ? [value & LOW_32] : []),
  // IPv4-translated (SIIT) ::ffff:0:a.b.c.d (RFC 2765).
  (value) => (value >> 32n === 0xffff0000n ? [value & LOW_32] : []),
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
  (value) => (value >> 32n === 0x64ff9bn << 64n ? [value & LOW_32] : []),
  // NAT64 local-use 64:ff9b:1::/48 (RFC 8215), subdivided by the operator: each RFC 6052
  // prefix length that fits (/48, /56, /64, /96) puts the IPv4 address elsewhere, skipping bits 64-71.
  (value) =>
    value >> 80n === 0x64ff9b0001n
      ? [
          (bits(value, 48, 16) << 16n) | bits(value, 72, 16),
          (bits(value, 56, 8) << 24n) | bits(value, 72, 24),
          bits(value, 72, 32),
          value & LOW_32,
        ]
      : [],
  // 6to4 2002:a.b.c.d::/48 (RFC 3056): the IPv4 address of the site's 6to4 router.
  (value) => (value >> 112n === 0x2002n ? [bits(value, 16, 32)] : []),
  // Teredo 2001:0::/32 (RFC 4380): the server's IPv4 address, and the client's, bit-inverted.
  (value) => (value >> 96n === 0x20010000n ? [bits(value, 32, 32), (value & LOW_32) ^ LOW_32] : []),
  // ISATAP interface identifier ...:0:5efe:a.b.c.d or ...:200:5efe:a.b.c.d (RFC 5214), under any prefix.
  (value) => ((bits(value, 64, 32) | 0x02000000n) === 0x02005efen ? [value & LOW_32] : []),
];

/**
 * The IPv4 addresses an IPv6 address embeds in its transition forms (mapped addresses are
 * unmapped first, see `unmap`); none for an IPv4 address or a plain IPv6 one. Candidates in
 * 0.0.0.0/8 are left out: nothing delivers there, and unused RFC 6052 positions read as zeros.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress[] {
  if (ip.family !== 6) return [];
  return EMBEDDINGS.flatMap((embedding) => embedding(ip.value))
    .filter((value) => value >> 24n !== 0n)
    .map((value) => ({ family: 4, value }));
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

/** Whether two ranges share an address: the shorter prefix contains the other's network. */
export function overlaps(a: IpRange, b: IpRange): boolean {
  return (
    a.family === b.family &&
    (a.network & mask(a.family, Math.min(a.prefix, b.prefix))) === (b.network & mask(b.family, Math.min(a.prefix, b.prefix)))
  );
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
