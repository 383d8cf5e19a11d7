/** An IPv4 or IPv6 address as a number of 32 or 128 bits. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A network: the address with every host bit zero, and its prefix length. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

const BITS = { 4: 32, 6: 128 } as const;
// The longest IPv6 text with an IPv4 tail and a prefix is 49 characters: longer is never valid.
const LONGEST_TEXT = 64;
const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Reads an address strictly: IPv4 as four decimal octets without leading zeros (`010` is octal
 * to some tools and decimal to others), IPv6 in RFC 4291 text form with at most one `::` and an
 * optional IPv4 tail; no zone (`%eth0`), no brackets.
 */
export function parseIpAddress(text: string): IpAddress | null {
  if (text.length > LONGEST_TEXT) return null;
  if (text.includes(':')) return parseIpv6(text);
  const value = parseIpv4(text);
  return value === null ? null : { family: 4, value };
}

function parseIpv4(text: string): bigint | null {
  const octets = text.split('.');
  if (octets.length !== 4) return null;
  let value = 0n;
  for (const octet of octets) {
    if (!OCTET.test(octet) || Number(octet) > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): IpAddress | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  // An IPv4 tail ends the address: before a `::` it is no tail (`1.2.3.4::` is refused).
  const head = groupsOf(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '', true) : [];
  if (head === null || tail === null) return null;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return null;
  const groups = [...head, ...Array<number>(8 - given).fill(0), ...tail];
  const value = groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
  return { family: 6, value };
}

/** The 16-bit groups of one side of `::`; an IPv4 tail, where one may stand, counts as two. */
function groupsOf(text: string, endsAddress: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (endsAddress && index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else {
      if (!HEX_GROUP.test(part)) return null;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

/**
 * Reads `address/prefix`, or a bare address as a single host (/32 or /128). Host bits must be
 * zero: `10.0.0.1/8` is refused and the reason names the network it probably means.
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (address === null) return { ok: false, reason: 'not an IPv4 or IPv6 address' };
  const bits = BITS[address.family];
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!PREFIX.test(prefixText) || Number(prefixText) > bits) {
    return { ok: false, reason: `the prefix length must be 0 to ${bits}` };
  }
  const prefix = Number(prefixText);
  const network = address.value & networkMask(address.family, prefix);
  const cidr: Cidr = { family: address.family, network, prefix };
  if (network !== address.value) {
    return { ok: false, reason: `host bits are set (the network is ${formatCidr(cidr)})` };
  }
  return { ok: true, cidr };
}

function networkMask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return (all >> BigInt(prefix)) ^ all;
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  return (address.value & networkMask(cidr.family, cidr.prefix)) === cidr.network;
}

/** The canonical text: dotted IPv4, RFC 5952 IPv6, always with the prefix. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) =>
    Number((address.value >> shift) & 0xffffn),
  );
  const zeros = longestZeroRun(groups);
  const hex = (part: number[]): string => part.map((group) => group.toString(16)).join(':');
  if (zeros.length < 2) return hex(groups);
  const end = zeros.start + zeros.length;
  return `${hex(groups.slice(0, zeros.start))}::${hex(groups.slice(end))}`;
}

/** RFC 5952 §4.2: the longest run of zero groups, the first of equals. */
function longestZeroRun(groups: number[]): { start: number; length: number } {
  let best = { start: 0, length: 0 };
  let start = -1;
  for (const [index, group] of [...groups, 1].entries()) {
    if (group === 0 && start === -1) start = index;
    if (group !== 0 && start !== -1) {
      if (index - start > best.length) best = { start, length: index - start };
      start = -1;
    }
  }
  return best;
}

/** An address in its one canonical spelling, or null when it is none. */
export function canonicalAddress(text: string): string | null {
  const address = parseIpAddress(text);
  return address === null ? null : formatIpAddress(address);
}
