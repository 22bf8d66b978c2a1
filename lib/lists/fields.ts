// How list entries are laid out in a Redis hash (one hash per list generation), pure so it is unit-tested.
//
// Fields:
//   4/<prefix>/<network as decimal>   an IPv4 address entry: a host is /32, a Wazuh prefix key "10.1." is /16,
//                                     a CIDR keeps its length; host bits are cleared ("4/22/3323068416")
//   6/<prefix>/<network as hex>       an IPv6 address entry, any length ("6/32/20010db8000000000000000000000000")
//   k/<key>                           an exact (non-address) key as written, e.g. "k/admin"; also an address
//                                     written a second way ("10.1.0.0/16" after "10.1."), so exact lookups of
//                                     either spelling still find it
// Values:
//   exact field                       the entry's value
//   address field                     the value alone when the entry was written canonically (formatNetwork:
//                                     "1.2.3.4", "198.18.0.0/22", "2001:db8::/32"), which is almost every
//                                     entry of a real feed and saves its text; else "<entry as written>\n<value>"
//                                     (neither can hold a newline: both come from one line)
// An address lookup masks the IP at each prefix length the list holds (kept in the list's metadata), longest
// first, and asks for all the candidate fields at once: the first present is the most specific entry.
import { formatNetwork, ipv4Mask, ipv6Mask, parseNetwork, type Network, type ParsedIp } from "../ip.js";
import type { ListMatch } from "./lookup.js";

const V4_MASKS = Array.from({ length: 33 }, (_, prefix) => ipv4Mask(prefix));

export function networkField(network: Network): string {
  return network.version === 4
    ? `4/${network.prefix}/${network.base}`
    : `6/${network.prefix}/${network.base.toString(16).padStart(32, "0")}`;
}

export function exactField(key: string): string {
  return `k/${key}`;
}

/** The stored value of an address field (see the header): the value alone when the text is canonical. */
export function encodeAddressValue(entry: string, network: Network, value: string): string {
  return isCanonical(entry, network) ? value : `${entry}\n${value}`;
}

export function decodeAddressValue(network: Network, stored: string): ListMatch {
  const nl = stored.indexOf("\n");
  return nl === -1 ? { entry: formatNetwork(network), value: stored } : { entry: stored.slice(0, nl), value: stored.slice(nl + 1) };
}

/** Whether `entry` is exactly formatNetwork(network); a bare IPv4 host (most feed lines) is checked without formatting. */
export function isCanonical(entry: string, network: Network): boolean {
  if (network.version === 4 && network.prefix === 32 && entry.length <= 15) {
    // parseNetwork accepted it, so an entry of only digits and dots is the dotted quad with no leading zeros.
    let plain = true;
    for (let i = 0; i < entry.length && plain; i++) {
      const c = entry.charCodeAt(i);
      plain = c === 46 || (c >= 48 && c <= 57);
    }
    if (plain) return true;
  }
  return formatNetwork(network) === entry;
}

/** The network an address field names (for decoding its value), or null for an exact field. */
export function fieldNetwork(field: string): Network | null {
  const [version, prefixText, baseText] = field.split("/");
  const prefix = Number(prefixText);
  if (version === "4") return { version: 4, base: Number(baseText), prefix };
  if (version === "6") return { version: 6, base: BigInt(`0x${baseText}`), prefix };
  return null;
}

/** The network of `ip` at `prefix`: what a lookup asks for. */
export function maskedNetwork(ip: ParsedIp, prefix: number): Network {
  return ip.version === 4
    ? { version: 4, base: (ip.value & V4_MASKS[prefix]) >>> 0, prefix }
    : { version: 6, base: ip.value & ipv6Mask(prefix), prefix };
}

/** Candidate fields for an address lookup, in the order of `prefixesLongestFirst` (which should hold only lengths the list has). */
export function addressCandidates(ip: ParsedIp, prefixesLongestFirst: readonly number[]): string[] {
  const out = new Array<string>(prefixesLongestFirst.length);
  for (let i = 0; i < prefixesLongestFirst.length; i++) out[i] = networkField(maskedNetwork(ip, prefixesLongestFirst[i]));
  return out;
}

/**
 * Candidate fields for an exact lookup: the key's own field, and when the key is written like an address, the
 * address field too (an address entry written canonically has no exact field of its own).
 */
export function exactCandidates(key: string): { fields: string[]; network: Network | null } {
  const network = key.length <= 64 ? parseNetwork(key) : null;
  return network ? { fields: [networkField(network), exactField(key)], network } : { fields: [exactField(key)], network: null };
}

/** Prefix lengths as kept in metadata: "32,24,22" (longest first). */
export function formatPrefixes(prefixes: Iterable<number>): string {
  return [...new Set(prefixes)].sort((a, b) => b - a).join(",");
}

export function parsePrefixes(text: string | null | undefined): number[] {
  if (!text) return [];
  return text
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n <= 128)
    .sort((a, b) => b - a);
}
