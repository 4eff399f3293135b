/**
 * The SSRF corpus: ways of writing an address the service must never connect to, and the
 * connection types that take a host, as the attack suite (ssrf.spec.ts) sends them.
 * Everything here names loopback, this host or a cloud metadata endpoint.
 */
import os from 'node:os';

/** One way of writing a host. */
export interface Spelling {
  /** As typed into a host field; URL fields get it bracketed when it is IPv6 (see `urlHost`). */
  host: string;
  /** What the trick is, for failure messages. */
  note: string;
}

const hex = (value: number): string => `0x${value.toString(16)}`;
const octal = (value: number): string => `0${value.toString(8)}`;
const group = (value: number): string => (value & 0xffff).toString(16);

/**
 * The IPv4 address `address` as inet_aton (getaddrinfo) and the WHATWG URL parser read it
 * (one number, octal, hex, short forms, a trailing dot), and as every IPv6 form that
 * embeds it (mapped, compatible, SIIT, NAT64, 6to4, Teredo, ISATAP), with a zone id too.
 */
export function ipv4Spellings(address: string): Spelling[] {
  const [a, b, c, d] = address.split('.').map(Number);
  const value = a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d;
  const high = group(value >>> 16);
  const low = group(value);
  return [
    { host: address, note: 'dotted quad' },
    { host: String(value), note: 'one decimal number' },
    { host: hex(value), note: 'one hex number' },
    { host: hex(value).toUpperCase().replace('0X', '0x'), note: 'one hex number, uppercase' },
    { host: octal(value), note: 'one octal number' },
    { host: [a, b, c, d].map(octal).join('.'), note: 'octal parts' },
    { host: [a, b, c, d].map(hex).join('.'), note: 'hex parts' },
    { host: `${a}.${value % 2 ** 24}`, note: 'short form a.b' },
    { host: `${a}.${b}.${value % 2 ** 16}`, note: 'short form a.b.c' },
    { host: `${hex(a)}.${value % 2 ** 24}`, note: 'short form, hex first part' },
    { host: `${address}.`, note: 'trailing dot' },
    { host: `::ffff:${address}`, note: 'IPv4-mapped' },
    { host: `::ffff:${high}:${low}`, note: 'IPv4-mapped, hex' },
    { host: `0:0:0:0:0:FFFF:${high.toUpperCase()}:${low.toUpperCase()}`, note: 'IPv4-mapped, long and uppercase' },
    { host: `::ffff:${address}%lo`, note: 'IPv4-mapped with a zone id' },
    { host: `::${address}`, note: 'IPv4-compatible' },
    { host: `::${high}:${low}`, note: 'IPv4-compatible, hex' },
    { host: `::ffff:0:${address}`, note: 'IPv4-translated (SIIT)' },
    { host: `64:ff9b::${address}`, note: 'NAT64 well-known prefix' },
    { host: `64:ff9b:1::${high}:${low}`, note: 'NAT64 local-use prefix' },
    { host: `2002:${high}:${low}::1`, note: '6to4' },
    { host: `2001:0:${high}:${low}::1`, note: 'Teredo server' },
    { host: `2001:0:4136:e378:8000:63bf:${group(~value >>> 16)}:${group(~value)}`, note: 'Teredo client (inverted)' },
    { host: `2001:db8::5efe:${high}:${low}`, note: 'ISATAP' },
  ];
}

/** ::1 and the unspecified addresses (which connect to this host) in their spellings. */
export const IPV6_LOOPBACK: Spelling[] = [
  { host: '::1', note: 'IPv6 loopback' },
  { host: '0:0:0:0:0:0:0:1', note: 'IPv6 loopback, long' },
  { host: '0000:0000:0000:0000:0000:0000:0000:0001', note: 'IPv6 loopback, zero-padded' },
  { host: '0::0:1', note: 'IPv6 loopback, odd compression' },
  { host: '::1%lo', note: 'IPv6 loopback with a zone id' },
  { host: '::1%1', note: 'IPv6 loopback with a numeric zone id' },
  { host: '[::1]', note: 'IPv6 loopback in brackets' },
];

export const UNSPECIFIED: Spelling[] = [
  { host: '0.0.0.0', note: 'unspecified' },
  { host: '0', note: 'unspecified, one number' },
  { host: '0x0', note: 'unspecified, hex' },
  { host: '::', note: 'IPv6 unspecified' },
  { host: '0:0:0:0:0:0:0:0', note: 'IPv6 unspecified, long' },
  { host: '::ffff:0.0.0.0', note: 'unspecified, IPv4-mapped' },
];

/** Names this host resolves to loopback itself (/etc/hosts), never asking DNS for an answer that matters. */
export const LOOPBACK_NAMES: Spelling[] = [
  { host: 'localhost', note: 'localhost' },
  { host: 'LOCALHOST', note: 'localhost, uppercase' },
  { host: 'localhost.', note: 'localhost, trailing dot' },
  { host: 'LocalHost.', note: 'localhost, mixed case and trailing dot' },
  { host: 'ip6-localhost', note: "Debian's name for ::1" },
  { host: os.hostname(), note: "this host's own name" },
];

/** This host's interface addresses besides loopback: a server bound to `*` answers on them. */
export const interfaceSpellings = (): Spelling[] =>
  Object.values(os.networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal)
    .flatMap((entry) => [
      { host: entry.address, note: `interface address (${entry.family})` },
      ...(entry.family === 'IPv4' ? [{ host: `::ffff:${entry.address}`, note: 'interface address, IPv4-mapped' }] : []),
    ]);

/** Every spelling of loopback and unspecified, with 127.x.y.z written as `ipv4` (the address the listener holds). */
export const loopbackSpellings = (ipv4: string): Spelling[] => [
  ...ipv4Spellings(ipv4),
  ...IPV6_LOOPBACK,
  ...UNSPECIFIED,
  ...LOOPBACK_NAMES,
];

/** Cloud metadata endpoints (DESIGN §3: always denied) in their spellings. */
export const METADATA_SPELLINGS: Spelling[] = [
  ...ipv4Spellings('169.254.169.254'),
  { host: '169.254.170.2', note: 'AWS ECS task credentials' },
  { host: 'fe80::a9fe:a9fe', note: 'OpenStack IPv6 metadata' },
  { host: 'fe80::a9fe:a9fe%eth0', note: 'OpenStack IPv6 metadata with a zone id' },
  { host: 'fd00:ec2::254', note: 'AWS IMDS IPv6' },
  { host: 'FD00:EC2:0:0:0:0:0:254', note: 'AWS IMDS IPv6, long and uppercase' },
  { host: 'fd00:ec2::23', note: 'AWS EKS Pod Identity IPv6' },
  { host: 'fd20:ce::254', note: 'GCP metadata IPv6' },
  { host: 'fd00:42::42', note: 'Scaleway metadata IPv6' },
  { host: 'metadata.google.internal', note: 'GCP metadata name' },
  { host: 'metadata.google.internal.', note: 'GCP metadata name, trailing dot' },
  ...['168.63.129.16', '100.100.100.200', '192.0.0.192'].flatMap((address) =>
    ipv4Spellings(address).map((spelling) => ({ ...spelling, note: `${address} ${spelling.note}` })),
  ),
];

/** `host` as the host part of a URL: IPv6 in brackets, a zone id's `%` escaped. */
export function urlHost(host: string): string {
  if (!host.includes(':') || host.startsWith('[')) return host;
  return `[${host.replace('%', '%25')}]`;
}

/** A connection type that takes a host, and a draft of it aimed at host:port. */
export interface TargetType {
  type: string;
  draft(host: string, port: number): Record<string, unknown>;
}

export const TARGET_TYPES: TargetType[] = [
  { type: 'generic', draft: (host, port) => ({ config: { host, port } }) },
  {
    type: 'postgres',
    draft: (host, port) => ({
      config: { host, port, database: 'postgres', username: 'probe', sslMode: 'disable' },
      secrets: { password: 'probe-password' },
    }),
  },
  { type: 'mysql', draft: (host, port) => ({ config: { host, port, username: 'probe' }, secrets: { password: 'probe-password' } }) },
  { type: 'sftp', draft: (host, port) => ({ config: { host, port, username: 'probe' }, secrets: { password: 'probe-password' } }) },
  { type: 'smtp', draft: (host, port) => ({ config: { host, port, security: 'none' } }) },
  { type: 'http', draft: (host, port) => ({ config: { baseUrl: `http://${urlHost(host)}:${port}/` } }) },
  {
    type: 's3',
    draft: (host, port) => ({
      config: { bucket: 'probe-bucket', region: 'us-east-1', endpoint: `http://${urlHost(host)}:${port}`, forcePathStyle: true },
      secrets: { accessKeyId: 'AKIAPROBEPROBEPROBE', secretAccessKey: 'probe-secret-key' },
    }),
  },
  {
    type: 'databricks',
    draft: (host, port) => ({
      config: { host: `https://${urlHost(host)}:${port}`, warehouseId: 'probe' },
      secrets: { token: 'dapi-probe' },
    }),
  },
];

/**
 * URIs whose authority hides the real host behind userinfo (`user@`, a host-looking user,
 * an address as the password), for the draft's `uri` field: `host` is the real one.
 */
export const userinfoUris = (host: string, port: number): string[] => {
  const at = `${urlHost(host)}:${port}`;
  return [
    `http://a@${at}/`,
    `http://169.254.169.254@${at}/`,
    `http://example.com:80@${at}/`,
    `http://user:169.254.169.254@${at}/`,
    `https://a@${at}/`,
    `tcp://probe@${at}`,
    `postgresql://probe:pw@${at}/postgres?sslmode=disable`,
    `mysql://probe:pw@${at}/`,
    `smtp://probe:pw@${at}`,
    `sftp://probe:pw@${at}/`,
    `databricks://token:pw@${at}?http_path=/sql/1.0/warehouses/probe`,
  ];
};
