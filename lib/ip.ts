// IPv4 / IPv6 addresses and networks: the one parser every part of the project uses (decoded fields, rule
// srcip/dstip conditions, reputation lists, firewall commands). Anything that is not an IP is rejected here,
// long before it could reach a firewall.
//
// IPv4 values are unsigned 32-bit numbers (the fast path: most addresses in logs and lists are IPv4), IPv6
// values are bigints. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address, so an IPv4 list entry
// or rule network matches it.

export type ParsedIp = { readonly version: 4; readonly value: number } | { readonly version: 6; readonly value: bigint };

export type Network =
  | { readonly version: 4; readonly base: number; readonly prefix: number }
  | { readonly version: 6; readonly base: bigint; readonly prefix: number };

const MAX_IP_TEXT = 64; // longest IPv6 text with zone is far below this; bounds the work on hostile input
// Dotted-quad IPv4 with no leading zeros (leading zeros would be ambiguous: some tools read them as octal).
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// The same, validated by the regex alone: canonicalIp's hot path (most srcips) returns without a parse.
const PLAIN_IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const V6_ALL_ONES = (1n << 128n) - 1n;

export function parseIpv4(text: string): number | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i].length > 1 && m[i][0] === "0")) return null;
    value = value * 256 + octet;
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let s = text;
  const zone = s.indexOf("%");
  if (zone !== -1) s = s.slice(0, zone);
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (!s.includes(":")) return null;
  // An embedded IPv4 tail counts as two groups.
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const doubleColon = s.indexOf("::");
  if (doubleColon !== s.lastIndexOf("::")) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!HEX_GROUP.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (doubleColon === -1) {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return null;
    groups = all;
  } else {
    const head = parseGroups(s.slice(0, doubleColon));
    const rest = parseGroups(s.slice(doubleColon + 2));
    if (!head || !rest || head.length + rest.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  if (tail.length) {
    groups[6] = tail[0];
    groups[7] = tail[1];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an IPv4 or IPv6 address (IPv6 may carry brackets or a zone id, both ignored). Null when it is not one. */
export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  if (text.length > MAX_IP_TEXT) return null;
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: Number(v6 & 0xffffffffn) };
  return { version: 6, value: v6 };
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export function formatIp(ip: ParsedIp): string {
  return ip.version === 4 ? formatIpv4(ip.value) : formatIpv6(ip.value);
}

/** "a.b.c.d" or "a.b.c.d/n"; IPv6 likewise. A host (/32, /128) is written without its prefix. */
export function formatNetwork(network: Network): string {
  const address = network.version === 4 ? formatIpv4(network.base) : formatIpv6(network.base);
  return network.prefix === (network.version === 4 ? 32 : 128) ? address : `${address}/${network.prefix}`;
}

/**
 * Returns the canonical text of an IP (IPv4 dotted quad; IPv6 compressed, lower case; v4-mapped → v4), or
 * null. Stricter than parseIp on purpose: this guards what reaches a firewall, so zone ids (never a remote peer)
 * and brackets are refused rather than stripped.
 */
export function canonicalIp(text: string | null | undefined): string | null {
  if (!text || text.length > MAX_IP_TEXT) return null;
  if (PLAIN_IPV4.test(text)) return text;
  const trimmed = text.trim();
  if (trimmed.includes("%") || trimmed.includes("[")) return null;
  const ip = parseIp(trimmed);
  return ip ? formatIp(ip) : null;
}

export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function ipv6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : V6_ALL_ONES ^ ((1n << BigInt(128 - prefix)) - 1n);
}

/** The address with the host bits beyond `prefix` cleared. */
export function maskIp(ip: ParsedIp, prefix: number): number | bigint {
  return ip.version === 4 ? (ip.value & ipv4Mask(prefix)) >>> 0 : ip.value & ipv6Mask(prefix);
}

const PREFIX_KEY = /^(\d{1,3}\.){1,3}$/;
const PREFIX_LENGTH = /^\d{1,3}$/;

/**
 * Parses "a.b.c.d", "a.b.c.d/n", IPv6 with or without "/n", and Wazuh's CDB prefix keys "10.", "10.1.",
 * "10.1.2." (a key ending in a dot covers the whole /8, /16 or /24). Host bits beyond the prefix are cleared.
 */
export function parseNetwork(text: string): Network | null {
  const s = text.trim();
  if (s.endsWith(".")) {
    if (!PREFIX_KEY.test(s)) return null;
    const octets = s.slice(0, -1).split(".");
    const base = parseIpv4([...octets, "0", "0", "0"].slice(0, 4).join("."));
    return base === null ? null : { version: 4, base, prefix: octets.length * 8 };
  }
  const slash = s.indexOf("/");
  const addressText = slash === -1 ? s : s.slice(0, slash);
  const ip = parseIp(addressText);
  if (!ip) return null;
  const max = ip.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!PREFIX_LENGTH.test(p)) return null;
    prefix = Number(p);
    // "::ffff:10.0.0.0/104" style: an IPv4-mapped network keeps its meaning as the IPv4 network.
    if (ip.version === 4 && addressText.includes(":")) prefix -= 96;
    if (prefix < 0 || prefix > max) return null;
  }
  return ip.version === 4
    ? { version: 4, base: (ip.value & ipv4Mask(prefix)) >>> 0, prefix }
    : { version: 6, base: ip.value & ipv6Mask(prefix), prefix };
}

export function networkContains(network: Network, ip: ParsedIp): boolean {
  if (network.version === 4) {
    return ip.version === 4 && ((ip.value & ipv4Mask(network.prefix)) >>> 0) === network.base;
  }
  return ip.version === 6 && (ip.value & ipv6Mask(network.prefix)) === network.base;
}

// Defined last: parseNetwork needs the constants above it.
const NOT_HOSTS: readonly Network[] = ["0.0.0.0/32", "255.255.255.255/32", "224.0.0.0/4", "::/128", "ff00::/8"].map((n) => parseNetwork(n)!);

/**
 * Whether the address is one host's: not unspecified (0.0.0.0, ::), broadcast or multicast. None of those is
 * ever an attacker's source address, and a firewall rule on one can cut the host off (0.0.0.0 is the source of
 * DHCP requests, :: that of IPv6 duplicate address detection), so nothing blocks them.
 */
export function isHostAddress(ip: ParsedIp): boolean {
  return !NOT_HOSTS.some((n) => networkContains(n, ip));
}
