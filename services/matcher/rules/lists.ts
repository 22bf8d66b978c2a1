// CDB-style lists for <list> rule conditions: the lookup interface the engine calls (backed by Redis in the
// matcher service, by memory here), an in-memory implementation, and parsers for the list file formats.
import { ipv4Mask, ipv6Mask, parseIp, parseNetwork } from "./ip.js";

export type MaybePromise<T> = T | Promise<T>;

/** "exact": the key as written. "address": the key is an IP; entries are IPs, CIDRs or Wazuh prefix keys. */
export type ListKeyKind = "exact" | "address";

export interface ListLookup {
  /**
   * The value stored for `key` in the list named by `listPath` (as rules write it, e.g.
   * "etc/lists/blacklist-alienvault"): "" for a key stored without a value, undefined when absent. For
   * "address", the most specific entry covering the address wins.
   */
  lookup(listPath: string, key: string, kind: ListKeyKind): MaybePromise<string | undefined>;
}

export interface ListEntry {
  readonly key: string;
  readonly value: string;
}

export type ListFormat = "cdb" | "ipset" | "plain";

export interface ListParseError {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedList {
  readonly entries: ListEntry[];
  /** Malformed lines, skipped; everything else was kept. */
  readonly errors: ListParseError[];
}

/**
 * Parses list text.
 * - cdb: `key:value` per line, or `key` alone; `"quoted key":value` for keys holding ':' (IPv6);
 * - ipset (FireHOL / AlienVault): one IP or CIDR per line, `#` comments, blank lines;
 * - plain: one key per line, `#` comments.
 */
export function parseListText(text: string, format: ListFormat): ParsedList {
  const entries: ListEntry[] = [];
  const errors: ListParseError[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index];
    const lineNumber = index + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (format === "ipset") {
      const token = line.split(/[\s#]/, 1)[0];
      if (!parseNetwork(token) || token.endsWith(".")) {
        errors.push({ line: lineNumber, text: raw, reason: "not an IP address or CIDR" });
        continue;
      }
      entries.push({ key: token, value: "" });
    } else if (format === "plain") {
      entries.push({ key: line, value: "" });
    } else {
      let key: string;
      let value: string;
      if (line.startsWith('"')) {
        const close = line.indexOf('"', 1);
        if (close === -1) {
          errors.push({ line: lineNumber, text: raw, reason: "unterminated quoted key" });
          continue;
        }
        key = line.slice(1, close);
        const after = line.slice(close + 1);
        if (after !== "" && !after.startsWith(":")) {
          errors.push({ line: lineNumber, text: raw, reason: "expected ':' after the quoted key" });
          continue;
        }
        value = after.slice(1);
      } else if (line.includes(":") && parseNetwork(line) !== null) {
        key = line; // an unquoted IPv6 address or network, with no value
        value = "";
      } else {
        const colon = line.indexOf(":");
        key = colon === -1 ? line : line.slice(0, colon);
        value = colon === -1 ? "" : line.slice(colon + 1);
      }
      if (key === "") {
        errors.push({ line: lineNumber, text: raw, reason: "empty key" });
        continue;
      }
      entries.push({ key, value });
    }
  }
  return { entries, errors };
}

/** Address entries of one IP version, by prefix length, longest prefix first. */
class AddressIndex<V extends number | bigint> {
  private readonly byPrefix = new Map<number, Map<V, string>>();
  private prefixesLongestFirst: number[] = [];

  add(prefix: number, base: V, value: string): void {
    let table = this.byPrefix.get(prefix);
    if (!table) {
      table = new Map();
      this.byPrefix.set(prefix, table);
      this.prefixesLongestFirst = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    if (!table.has(base)) table.set(base, value);
  }

  find(address: V, mask: (prefix: number) => V, apply: (address: V, mask: V) => V): string | undefined {
    for (const prefix of this.prefixesLongestFirst) {
      const value = this.byPrefix.get(prefix)?.get(apply(address, mask(prefix)));
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

class CompiledList {
  readonly exact = new Map<string, string>();
  readonly v4 = new AddressIndex<number>();
  readonly v6 = new AddressIndex<bigint>();

  constructor(entries: readonly ListEntry[]) {
    for (const { key, value } of entries) {
      if (!this.exact.has(key)) this.exact.set(key, value);
      const network = parseNetwork(key);
      if (!network) continue;
      if (network.version === 4) this.v4.add(network.prefix, network.base, value);
      else this.v6.add(network.prefix, network.base, value);
    }
  }

  lookup(key: string, kind: ListKeyKind): string | undefined {
    if (kind === "exact") return this.exact.get(key);
    const ip = parseIp(key);
    if (!ip) return undefined;
    return ip.version === 4
      ? this.v4.find(ip.value, ipv4Mask, (a, m) => (a & m) >>> 0)
      : this.v6.find(ip.value, ipv6Mask, (a, m) => a & m);
  }
}

/**
 * Lists held in memory: for tests, for `tld logtest --home` (list files read directly), and as a local cache.
 * replace() swaps a whole list at once, so a lookup sees either the old or the new list, never a mix.
 */
export class InMemoryListStore implements ListLookup {
  private readonly lists = new Map<string, CompiledList>();
  private readonly entries = new Map<string, ListEntry[]>();

  replace(listPath: string, entries: readonly ListEntry[]): void {
    this.entries.set(listPath, [...entries]);
    this.lists.set(listPath, new CompiledList(entries));
  }

  add(listPath: string, entries: readonly ListEntry[]): void {
    this.replace(listPath, [...(this.entries.get(listPath) ?? []), ...entries]);
  }

  remove(listPath: string, keys: readonly string[]): void {
    const drop = new Set(keys);
    this.replace(listPath, (this.entries.get(listPath) ?? []).filter((e) => !drop.has(e.key)));
  }

  has(listPath: string): boolean {
    return this.lists.has(listPath);
  }

  names(): string[] {
    return [...this.lists.keys()];
  }

  lookup(listPath: string, key: string, kind: ListKeyKind): string | undefined {
    return this.lists.get(listPath)?.lookup(key, kind);
  }
}
