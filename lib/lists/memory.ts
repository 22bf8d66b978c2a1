// Lists held in memory: for tests, for `tld logtest --home` (list files read directly, no Redis), and as a
// local cache. Same answers as the Redis store: exact keys as written; addresses by the most specific entry
// (longest prefix) covering them, IPv4 and IPv6, CIDR of any length and Wazuh prefix keys; first entry wins
// when one key or network is listed twice.
import { ipv4Mask, ipv6Mask, parseIp, parseNetwork } from "../ip.js";
import { bareListName, type ListKeyKind, type ListLookup, type ListMatch } from "./lookup.js";
import type { ListEntry } from "./parse.js";

/** Address entries of one IP version, by prefix length, longest prefix first. */
class AddressIndex<V extends number | bigint> {
  private readonly byPrefix = new Map<number, Map<V, ListMatch>>();
  private prefixesLongestFirst: number[] = [];

  add(prefix: number, base: V, match: ListMatch): void {
    let table = this.byPrefix.get(prefix);
    if (!table) {
      table = new Map();
      this.byPrefix.set(prefix, table);
      this.prefixesLongestFirst = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    if (!table.has(base)) table.set(base, match);
  }

  find(address: V, mask: (prefix: number) => V, apply: (address: V, mask: V) => V): ListMatch | undefined {
    for (const prefix of this.prefixesLongestFirst) {
      const match = this.byPrefix.get(prefix)?.get(apply(address, mask(prefix)));
      if (match !== undefined) return match;
    }
    return undefined;
  }
}

// Module-level, so a lookup allocates no closure.
const applyMask4 = (address: number, mask: number): number => (address & mask) >>> 0;
const applyMask6 = (address: bigint, mask: bigint): bigint => address & mask;

class CompiledList {
  readonly exact = new Map<string, ListMatch>();
  readonly v4 = new AddressIndex<number>();
  readonly v6 = new AddressIndex<bigint>();

  constructor(entries: readonly ListEntry[]) {
    for (const { key, value } of entries) {
      const match: ListMatch = { entry: key, value };
      if (!this.exact.has(key)) this.exact.set(key, match);
      const network = parseNetwork(key);
      if (!network) continue;
      if (network.version === 4) this.v4.add(network.prefix, network.base, match);
      else this.v6.add(network.prefix, network.base, match);
    }
  }

  match(key: string, kind: ListKeyKind): ListMatch | undefined {
    if (kind === "exact") return this.exact.get(key);
    const ip = parseIp(key);
    if (!ip) return undefined;
    return ip.version === 4 ? this.v4.find(ip.value, ipv4Mask, applyMask4) : this.v6.find(ip.value, ipv6Mask, applyMask6);
  }
}

/**
 * Lists in memory, by list name ("etc/lists/x" and "x" are the same list). replace() swaps a whole list at
 * once, so a lookup sees either the old or the new list, never a mix.
 */
export class InMemoryListStore implements ListLookup {
  private readonly lists = new Map<string, CompiledList>();
  private readonly entries = new Map<string, ListEntry[]>();

  replace(listPath: string, entries: readonly ListEntry[]): void {
    const name = bareListName(listPath);
    this.entries.set(name, [...entries]);
    this.lists.set(name, new CompiledList(entries));
  }

  add(listPath: string, entries: readonly ListEntry[]): void {
    this.replace(listPath, [...(this.entries.get(bareListName(listPath)) ?? []), ...entries]);
  }

  remove(listPath: string, keys: readonly string[]): void {
    const drop = new Set(keys);
    this.replace(listPath, (this.entries.get(bareListName(listPath)) ?? []).filter((e) => !drop.has(e.key)));
  }

  has(listPath: string): boolean {
    return this.lists.has(bareListName(listPath));
  }

  /** List names, without the "etc/lists/" folder. */
  names(): string[] {
    return [...this.lists.keys()];
  }

  /** The entry that matched and its value. */
  match(listPath: string, key: string, kind: ListKeyKind): ListMatch | undefined {
    return this.lists.get(bareListName(listPath))?.match(key, kind);
  }

  lookup(listPath: string, key: string, kind: ListKeyKind): string | undefined {
    return this.match(listPath, key, kind)?.value;
  }
}
