// IPv4 / IPv6 addresses and networks for srcip/dstip conditions and address list lookups. IPv4 values are
// unsigned 32-bit numbers (fast path), IPv6 values are bigints. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
// is treated as the IPv4 address, so a v4 list entry matches it.

export type ParsedIp = { readonly version: 4; readonly value: number } | { readonly version: 6; readonly value: bigint };

export type Network =
  | { readonly version: 4; readonly base: number; readonly prefix: number }
  | { readonly version: 6; readonly base: bigint; readonly prefix: number };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const V6_ALL_ONES = (1n << 128n) - 1n;

export function parseIpv4(text: string): number | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i].length > 1 && m[i][0] === "0")) return null; // no leading zeros: ambiguous (octal)
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
    s = `${s.slice(0, lastColon + 1)}${tail.length ? "0:0" : ""}`;
  }
  const doubleColon = s.indexOf("::");
  if (doubleColon !== s.lastIndexOf("::")) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
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

export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: Number(v6 & 0xffffffffn) };
  return { version: 6, value: v6 };
}

export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function ipv6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : V6_ALL_ONES ^ ((1n << BigInt(128 - prefix)) - 1n);
}

/**
 * Parses "a.b.c.d", "a.b.c.d/n", IPv6 with or without "/n", and Wazuh's CDB prefix keys "10.", "10.1.",
 * "10.1.2." (a key ending in a dot covers the whole /8, /16 or /24). Host bits beyond the prefix are cleared.
 */
export function parseNetwork(text: string): Network | null {
  const s = text.trim();
  const prefixKey = /^(\d{1,3}\.){1,3}$/.exec(s);
  if (prefixKey) {
    const octets = s.slice(0, -1).split(".");
    const padded = [...octets, ...new Array<string>(4 - octets.length).fill("0")].join(".");
    const base = parseIpv4(padded);
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
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    // "::ffff:10.0.0.0/104" style: an IPv4-mapped network keeps meaning as the IPv4 network.
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
