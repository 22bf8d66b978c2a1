// What every list store answers (in memory for tests and `tld logtest --home`, Redis for the services and the
// CLI), and how list names are spelled.

export type MaybePromise<T> = T | Promise<T>;

/** "exact": the key as written. "address": the key is an IP; entries are IPs, CIDRs or Wazuh prefix keys. */
export type ListKeyKind = "exact" | "address";

export interface ListLookup {
  /**
   * The value stored for `key` in the list named by `listPath` (as rules write it, e.g.
   * "etc/lists/blacklist-alienvault", or its bare name "blacklist-alienvault"): "" for a key stored without a
   * value, undefined when absent. For "address", the most specific entry covering the address wins.
   */
  lookup(listPath: string, key: string, kind: ListKeyKind): MaybePromise<string | undefined>;
}

/** One lookup of a batch. */
export interface ListQuery {
  readonly list: string;
  readonly key: string;
  readonly kind: ListKeyKind;
}

/** What matched: the entry as it was written in the list (e.g. "10.1." or "198.18.0.0/22") and its value. */
export interface ListMatch {
  readonly entry: string;
  readonly value: string;
}

export class ListNameError extends Error {
  constructor(name: string, reason: string) {
    super(`invalid list name ${JSON.stringify(name)}: ${reason}`);
    this.name = "ListNameError";
  }
}

const LIST_DIR = "etc/lists/";
// Letters, digits and . _ - / (Wazuh ships lists in subfolders, e.g. amazon/aws-eventnames). No braces: the
// name goes inside a Redis Cluster hash tag.
const NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * The one name of a list however it is written: rules say "etc/lists/blacklist-alienvault", people type
 * "blacklist-alienvault"; both are "blacklist-alienvault". Throws ListNameError for a name that cannot be one.
 */
export function listName(pathOrName: string): string {
  const name = bareListName(pathOrName);
  if (name === "") throw new ListNameError(pathOrName, "empty");
  if (name.length > 200) throw new ListNameError(pathOrName, "longer than 200 characters");
  if (!NAME.test(name) || name.split("/").some((part) => part === "." || part === "..")) {
    throw new ListNameError(pathOrName, "use letters, digits, '.', '_', '-' and '/' between folder names");
  }
  return name;
}

/** The name without a leading "./" or "etc/lists/", not validated (lookups of a name that cannot exist miss). */
export function bareListName(pathOrName: string): string {
  let name = pathOrName.trim();
  while (name.startsWith("./")) name = name.slice(2);
  return name.startsWith(LIST_DIR) ? name.slice(LIST_DIR.length) : name;
}

/** A key for answer caches: kind, list and key cannot run into each other (names hold no NUL). */
export function queryKey(list: string, key: string, kind: ListKeyKind): string {
  return `${kind === "address" ? "a" : "e"}\0${list}\0${key}`;
}
