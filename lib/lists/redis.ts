// Reputation lists in Redis: what the matcher queries, `tld lists` manages and the dashboard shows.
//
// Layout (all keys of one list share the hash tag {name}, so a list lives in one Redis Cluster slot and its
// swap can be one MULTI):
//   tld:list:{<name>}:meta          hash: generation, entries, format, source, importedAt, updatedAt, malformed,
//                                   duplicates, v4 / v6 (prefix lengths present, longest first: "32,24,16")
//   tld:list:{<name>}:g:<N>         hash: the entries of generation N (field encoding: fields.ts)
//   tld:lists                       set of list names (for `tld lists ls`)
//   tld:lists:generation            counter: generation numbers are never reused, even after `tld lists rm`
//   tld:lists:changed               pub/sub channel: {"list","action","generation","entries"} after every change
//
// A list name is how a rule names it without "etc/lists/" ("etc/lists/blacklist-alienvault" and
// "blacklist-alienvault" are one list).
//
// Re-import is atomic: generation N+1 is built beside N (pipelined HSETs of 10k fields, the half-built hash
// expiring on its own if the import dies), then one MULTI (under WATCH of the metadata) points the metadata at
// N+1, persists it and UNLINKs N (freed in the background). A lookup sees N or N+1, never a missing list:
// every lookup round trip reads the metadata after the entries and retries a list whose generation moved.
//
// API for the matcher (one Redis round trip per chunk of events):
//   const lists = new RedisListStore(redis);             // or await RedisListStore.open(url)
//   await lists.watchChanges();                           // optional: drop caches on change notices at once
//   // in the consume loop's per-chunk prefetch hook:
//   await lists.prefetch(queries: ListQuery[]);           // one pipeline for every lookup of the chunk
//   // the rule engine, built with { lists }, then calls
//   lists.lookup(listPath, key, kind)                     // answered synchronously from the prefetch (≤ 1 s
//                                                         // old), else a Promise of a Redis lookup
//   lists.lookupMany(queries): Promise<(string | undefined)[]>   // batch lookup, values only
//   lists.matchMany(queries): Promise<(ListMatch | undefined)[]> // batch lookup, entry as written + value
import { Redis, type RedisOptions } from "ioredis";
import { bareListName, listName, queryKey, type ListKeyKind, type ListLookup, type ListMatch, type ListQuery, type MaybePromise } from "./lookup.js";
import type { ListFormat, ParsedEntry } from "./parse.js";
import { parseIp } from "../ip.js";
import {
  addressCandidates,
  decodeAddressValue,
  encodeAddressValue,
  exactCandidates,
  exactField,
  fieldNetwork,
  formatPrefixes,
  isCanonical,
  networkField,
  parsePrefixes,
} from "./fields.js";

export const LISTS_CHANGED_CHANNEL = "tld:lists:changed";
const LISTS_SET = "tld:lists";
const GENERATION_COUNTER = "tld:lists:generation";
/** A half-built generation expires on its own after this long, so an import that died leaves nothing behind. */
const BUILD_TTL_SECONDS = 3600;
const META_FIELDS = ["generation", "v4", "v6"] as const;

export function metaKey(name: string): string {
  return `tld:list:{${name}}:meta`;
}

export function generationKey(name: string, generation: number | string): string {
  return `tld:list:{${name}}:g:${generation}`;
}

export interface ListInfo {
  readonly name: string;
  readonly generation: number;
  readonly entries: number;
  readonly format: ListFormat | "";
  /** The file it was imported from, or "tld lists add". */
  readonly source: string;
  /** ISO time of the last import (the last generation switch). */
  readonly importedAt: string;
  /** ISO time of the last change of any kind (import, add, remove). */
  readonly updatedAt: string;
  /** Lines skipped as malformed by the last import. */
  readonly malformed: number;
  /** Entries the last import skipped because the same key or network came earlier in the file. */
  readonly duplicates: number;
  readonly v4Prefixes: number[];
  readonly v6Prefixes: number[];
}

export interface ListChange {
  readonly list: string;
  readonly action: "import" | "add" | "remove" | "rm";
  readonly generation: number;
  readonly entries: number;
}

export interface ImportOptions {
  /** Recorded in the metadata (`tld lists ls`): usually the file imported. */
  readonly source?: string;
  readonly format?: ListFormat;
  /** Fields per HSET round trip. */
  readonly batchFields?: number;
  /** HSETs sent before waiting for the oldest: keeps Redis and the parser busy at once. */
  readonly maxInFlight?: number;
}

export interface ImportResult {
  readonly name: string;
  readonly generation: number;
  readonly previousGeneration: number | null;
  readonly entries: number;
  readonly duplicates: number;
  readonly malformed: number;
}

/** Redis did not answer. The message leaves the URL out (it may hold a password); `url` and `reason` are kept. */
export class RedisUnavailableError extends Error {
  readonly reason: string;

  constructor(readonly url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach Redis (${reason})`);
    this.name = "RedisUnavailableError";
    this.reason = reason;
  }
}

interface MetaCacheEntry {
  readonly generation: number;
  readonly v4: readonly number[];
  readonly v6: readonly number[];
  /** The raw metadata fields, to notice any change cheaply. */
  readonly raw: string;
}

/** How one query is answered from the fields of one HMGET. */
interface QueryPlan {
  readonly index: number;
  readonly kind: ListKeyKind;
  readonly key: string;
  /** Indices into the HMGET's fields, in order of preference. */
  readonly fields: number[];
}

/** A prefetched answer and when it was fetched: each ages on its own, whichever chunk asked for it. */
interface Answer {
  readonly match: ListMatch | null;
  readonly at: number;
}

/** Past this many prefetched answers, old ones are swept (and, if that is not enough, all of them). */
const MAX_ANSWERS = 500_000;

function metaFromFields(values: readonly (string | null)[]): MetaCacheEntry | null {
  const [generation, v4, v6] = values;
  if (generation === null || generation === undefined) return null;
  return { generation: Number(generation), v4: parsePrefixes(v4), v6: parsePrefixes(v6), raw: values.join("|") };
}

function infoFromHash(name: string, h: Record<string, string>): ListInfo | undefined {
  if (h.generation === undefined) return undefined;
  return {
    name,
    generation: Number(h.generation),
    entries: Number(h.entries ?? 0),
    format: (h.format ?? "") as ListFormat | "",
    source: h.source ?? "",
    importedAt: h.importedAt ?? "",
    updatedAt: h.updatedAt ?? h.importedAt ?? "",
    malformed: Number(h.malformed ?? 0),
    duplicates: Number(h.duplicates ?? 0),
    v4Prefixes: parsePrefixes(h.v4),
    v6Prefixes: parsePrefixes(h.v6),
  };
}

/** Whether a name could be stored (lookups of other names simply miss). */
function storableName(name: string): boolean {
  try {
    return listName(name) === name;
  } catch {
    return false;
  }
}

export class RedisListStore implements ListLookup {
  private readonly meta = new Map<string, MetaCacheEntry | null>();
  private answers = new Map<string, Answer>();
  /** Counts invalidations, so a prefetch that overlapped one does not store what it read before it. */
  private epoch = 0;
  private subscriber: Redis | null = null;

  /**
   * @param redis a connected (or lazily connecting) client; the store does not own it unless made by open().
   * @param options.answerMaxAgeMs how long a prefetched answer may be used by lookup() (default 5000 ms): the bound
   *   on staleness should a change notice be lost (watchChanges drops every answer at once on a notice).
   */
  constructor(
    readonly redis: Redis,
    private readonly options: { answerMaxAgeMs?: number; ownsClient?: boolean } = {},
  ) {}

  /**
   * Connects to `url`. With failFast (the CLI), one connection attempt and a RedisUnavailableError naming the
   * URL when it fails; otherwise ioredis reconnects for ever (services ride out a Redis restart).
   */
  static async open(url: string, opts: { failFast?: boolean; redisOptions?: RedisOptions } = {}): Promise<RedisListStore> {
    const failFast = opts.failFast ?? true;
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 3000,
      ...(failFast ? { maxRetriesPerRequest: 1, retryStrategy: () => null } : {}),
      ...opts.redisOptions,
    });
    let lastError: unknown;
    redis.on("error", (err: unknown) => {
      lastError = err; // reported through the failing command or connect() below, not as an unhandled event
    });
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new RedisUnavailableError(url, lastError ?? err);
    }
    return new RedisListStore(redis, { ownsClient: true });
  }

  async close(): Promise<void> {
    if (this.subscriber) {
      this.subscriber.disconnect();
      this.subscriber = null;
    }
    if (this.options.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // ---------------------------------------------------------------- lookups

  /** Batch lookup, one pipeline round trip (plus one on first use of a list, for its metadata). */
  async lookupMany(queries: readonly ListQuery[]): Promise<(string | undefined)[]> {
    return (await this.matchMany(queries)).map((m) => m?.value);
  }

  /** Batch lookup returning the entry as written (e.g. "10.1.") and its value. */
  async matchMany(queries: readonly ListQuery[]): Promise<(ListMatch | undefined)[]> {
    const results = new Array<ListMatch | undefined>(queries.length).fill(undefined);
    let pending = new Map<string, number[]>();
    for (let i = 0; i < queries.length; i++) {
      const name = bareListName(queries[i].list);
      if (!storableName(name)) continue;
      const group = pending.get(name);
      if (group) group.push(i);
      else pending.set(name, [i]);
    }
    const unknown = [...pending.keys()].filter((name) => !this.meta.has(name));
    if (unknown.length > 0) await this.loadMeta(unknown);
    // A list whose generation moved between its entries and its metadata being read is asked again; a
    // re-import every few milliseconds could in theory keep moving it, hence the bound.
    for (let attempt = 0; attempt < 5 && pending.size > 0; attempt++) {
      const pipeline = this.redis.pipeline();
      const rounds: { name: string; used: MetaCacheEntry | null; plans: QueryPlan[]; fields: string[] }[] = [];
      for (const [name, indices] of pending) {
        const used = this.meta.get(name) ?? null;
        const { plans, fields } = used ? planQueries(queries, indices, used) : { plans: [], fields: [] };
        if (fields.length > 0 && used) pipeline.hmget(generationKey(name, used.generation), fields);
        pipeline.hmget(metaKey(name), [...META_FIELDS]);
        rounds.push({ name, used, plans, fields });
      }
      const replies = await pipeline.exec();
      if (!replies) throw new Error("Redis pipeline was discarded");
      let r = 0;
      const retry = new Map<string, number[]>();
      for (const round of rounds) {
        let values: (string | null)[] = [];
        if (round.fields.length > 0) {
          const [err, value] = replies[r++];
          if (err) throw err;
          values = value as (string | null)[];
        }
        const [metaErr, metaValue] = replies[r++];
        if (metaErr) throw metaErr;
        const now = metaFromFields(metaValue as (string | null)[]);
        if (now?.raw !== round.used?.raw) this.meta.set(round.name, now);
        if (now?.generation !== round.used?.generation) {
          retry.set(round.name, pending.get(round.name) ?? []);
          continue;
        }
        for (const plan of round.plans) results[plan.index] = answer(plan, round.fields, values);
      }
      pending = retry;
    }
    return results;
  }

  /**
   * Looks up every query in one round trip and keeps the answers for lookup() (each for answerMaxAgeMs): call it
   * from the consume loop's per-chunk prefetch hook with every lookup the chunk's events can make.
   */
  async prefetch(queries: readonly ListQuery[]): Promise<void> {
    if (queries.length === 0) return;
    // Only what this store has no fresh answer for, once each: a chunk repeats its sources, and the chunks before
    // it asked for most of them (a client makes many requests). An answer younger than half the maximum age is
    // kept, so the evaluation that follows still finds it; a list change drops every answer at once anyway.
    const now = Date.now();
    const freshFor = this.maxAge() / 2;
    const wanted = new Map<string, ListQuery>();
    for (const q of queries) {
      const key = queryKey(bareListName(q.list), q.key, q.kind);
      if (wanted.has(key)) continue;
      const held = this.answers.get(key);
      if (held === undefined || now - held.at > freshFor) wanted.set(key, q);
    }
    if (wanted.size === 0) return;
    const epoch = this.epoch;
    const matches = await this.matchMany([...wanted.values()]);
    // A change notice that came while this was in flight: what was read may be from before the change.
    if (epoch !== this.epoch) return;
    const at = Date.now();
    // Each answer keeps its own time: concurrent partitions' chunks prefetch while others are still being
    // evaluated, and one chunk's prefetch must never drop another's answers (it made those fall back to one
    // Redis round trip per event).
    const answers = this.answers;
    let i = 0;
    for (const key of wanted.keys()) answers.set(key, { match: matches[i++] ?? null, at });
    if (answers.size > MAX_ANSWERS) {
      for (const [key, answer] of answers) if (at - answer.at > this.maxAge()) answers.delete(key);
      if (answers.size > MAX_ANSWERS) answers.clear();
    }
  }

  /** The engine's lookup: synchronous from a recent prefetch, else a Promise of a one-query lookup. */
  lookup(listPath: string, key: string, kind: ListKeyKind): MaybePromise<string | undefined> {
    const answer = this.answers.get(queryKey(bareListName(listPath), key, kind));
    if (answer !== undefined && Date.now() - answer.at <= this.maxAge()) return answer.match === null ? undefined : answer.match.value;
    return this.matchMany([{ list: listPath, key, kind }]).then((m) => m[0]?.value);
  }

  /** Drops cached metadata and prefetched answers (what a change notice does). */
  invalidate(list?: string): void {
    this.epoch++;
    if (list === undefined) this.meta.clear();
    else this.meta.delete(bareListName(list));
    this.answers.clear();
  }

  /**
   * Subscribes to change notices on a second connection: each one invalidates the caches at once (without
   * it, changes are still seen on the next round trip, and prefetched answers once they are answerMaxAgeMs old).
   * Returns a function that unsubscribes.
   */
  async watchChanges(onChange?: (change: ListChange) => void): Promise<() => void> {
    const sub = this.redis.duplicate();
    this.subscriber = sub;
    sub.on("error", () => undefined); // the subscriber reconnects by itself; lookups report real outages
    sub.on("message", (_channel: string, message: string) => {
      let change: ListChange | undefined;
      try {
        change = JSON.parse(message) as ListChange;
      } catch {
        change = undefined;
      }
      this.invalidate(typeof change?.list === "string" ? change.list : undefined);
      if (change) onChange?.(change);
    });
    await sub.subscribe(LISTS_CHANGED_CHANNEL);
    return () => {
      sub.disconnect();
      if (this.subscriber === sub) this.subscriber = null;
    };
  }

  private maxAge(): number {
    return this.options.answerMaxAgeMs ?? 5000;
  }

  private async loadMeta(names: readonly string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hmget(metaKey(name), [...META_FIELDS]);
    const replies = (await pipeline.exec()) ?? [];
    names.forEach((name, i) => {
      const [err, value] = replies[i] ?? [new Error("no reply"), null];
      if (err) throw err;
      this.meta.set(name, metaFromFields(value as (string | null)[]));
    });
  }

  // ---------------------------------------------------------------- metadata

  async info(list: string): Promise<ListInfo | undefined> {
    const name = listName(list);
    return infoFromHash(name, await this.redis.hgetall(metaKey(name)));
  }

  /** Every list, by name. */
  async lists(): Promise<ListInfo[]> {
    const names = (await this.redis.smembers(LISTS_SET)).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hgetall(metaKey(name));
    const replies = (await pipeline.exec()) ?? [];
    const out: ListInfo[] = [];
    names.forEach((name, i) => {
      const info = infoFromHash(name, (replies[i]?.[1] ?? {}) as Record<string, string>);
      if (info) out.push(info);
    });
    return out;
  }

  // ---------------------------------------------------------------- changes

  /** Starts building a new generation of `list`; nothing changes for readers until commit(). */
  async beginImport(list: string, options: ImportOptions = {}): Promise<ListImport> {
    const name = listName(list);
    const generation = await this.redis.incr(GENERATION_COUNTER);
    return new ListImport(this, name, generation, options);
  }

  /**
   * Adds entries to a list (creating it when missing). An entry already present (same key, or same network
   * written the same way) gets the new value; an address whose network is present under another spelling is
   * added as an exact key only (the first spelling keeps answering address lookups).
   */
  async add(list: string, entries: readonly ParsedEntry[], format: ListFormat = "cdb"): Promise<{ added: number; updated: number }> {
    const name = listName(list);
    const info = await this.info(name);
    if (!info) {
      const build = await this.beginImport(name, { source: "tld lists add", format });
      for (const entry of entries) build.add(entry);
      const result = await build.commit("add");
      return { added: result.entries, updated: 0 };
    }
    const key = generationKey(name, info.generation);
    const read = this.redis.pipeline();
    for (const e of entries) read.hmget(key, e.network ? [networkField(e.network), exactField(e.key)] : [exactField(e.key)]);
    const existing = ((await read.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v as (string | null)[];
    });
    const write: string[] = [];
    const v4 = new Set(info.v4Prefixes);
    const v6 = new Set(info.v6Prefixes);
    const written = new Set<string>();
    let added = 0;
    let updated = 0;
    entries.forEach((e, i) => {
      let field: string;
      let stored: string;
      let present: boolean;
      if (e.network) {
        const [atNetwork, atKey] = existing[i];
        const sameSpelling = atNetwork !== null && decodeAddressValue(e.network, atNetwork).entry === e.key;
        if (atNetwork === null || sameSpelling) {
          field = networkField(e.network);
          stored = encodeAddressValue(e.key, e.network, e.value);
          present = sameSpelling;
          (e.network.version === 4 ? v4 : v6).add(e.network.prefix);
        } else {
          field = exactField(e.key);
          stored = e.value;
          present = atKey !== null;
        }
      } else {
        field = exactField(e.key);
        stored = e.value;
        present = existing[i][0] !== null;
      }
      if (written.has(field)) return;
      written.add(field);
      write.push(field, stored);
      if (present) updated++;
      else added++;
    });
    if (write.length > 0) await this.redis.hset(key, ...write);
    await this.touch(name, info.generation, "add", { v4: formatPrefixes(v4), v6: formatPrefixes(v6) });
    return { added, updated };
  }

  /**
   * Removes entries: an exact key as written; an address entry by its network however it was written
   * ("1.2.3.4/32" removes "1.2.3.4"), with any exact-key spelling of the same text. Returns how many of the
   * given entries were there.
   */
  async remove(list: string, entries: readonly ParsedEntry[]): Promise<{ removed: number; missing: string[] }> {
    const name = listName(list);
    const info = await this.info(name);
    if (!info) throw new UnknownListError(name);
    const key = generationKey(name, info.generation);
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.hdel(key, ...(e.network ? [networkField(e.network), exactField(e.key)] : [exactField(e.key)]));
    const replies = (await pipeline.exec()) ?? [];
    const missing: string[] = [];
    let removed = 0;
    replies.forEach(([err, n], i) => {
      if (err) throw err;
      if (Number(n) > 0) removed++;
      else missing.push(entries[i].key);
    });
    // Prefix lengths left without entries stay in the metadata: they only cost an extra candidate field.
    await this.touch(name, info.generation, "remove", {});
    return { removed, missing };
  }

  /** Deletes a list. False when there was none. */
  async drop(list: string): Promise<boolean> {
    const name = listName(list);
    const old = await this.switchGeneration(name, null);
    await this.redis.srem(LISTS_SET, name);
    if (old === null) return false;
    await this.publish({ list: name, action: "rm", generation: old, entries: 0 });
    return true;
  }

  /** After add/remove: entry count and update time in the metadata, then the change notice. */
  private async touch(name: string, generation: number, action: "add" | "remove", fields: Record<string, string>): Promise<void> {
    const entries = await this.redis.hlen(generationKey(name, generation));
    await this.redis.hset(metaKey(name), { ...fields, entries: String(entries), updatedAt: new Date().toISOString() });
    await this.publish({ list: name, action, generation, entries });
  }

  /** @internal Points the metadata at `next` (or deletes the list when null) and unlinks the old generation. */
  async switchGeneration(name: string, next: { generation: number; fields: Record<string, string> } | null): Promise<number | null> {
    const meta = metaKey(name);
    // WATCH is per connection: a connection of its own, so lookups sharing this.redis cannot interleave.
    const conn = this.redis.duplicate();
    conn.on("error", () => undefined); // failures surface through the commands below
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        await conn.watch(meta);
        const oldText = await conn.hget(meta, "generation");
        const old = oldText === null ? null : Number(oldText);
        const tx = conn.multi().del(meta);
        if (next) tx.hset(meta, { ...next.fields, generation: String(next.generation) }).persist(generationKey(name, next.generation));
        if (old !== null && old !== next?.generation) tx.unlink(generationKey(name, old));
        const replies = await tx.exec();
        if (replies === null) continue; // the metadata changed under us (another import): read it again
        for (const [err] of replies) if (err) throw err;
        return old;
      }
      throw new Error(`list ${name}: its metadata kept changing during the switch; try again`);
    } finally {
      conn.disconnect();
    }
  }

  /** @internal */
  async publish(change: ListChange): Promise<void> {
    this.invalidate(change.list);
    await this.redis.publish(LISTS_CHANGED_CHANNEL, JSON.stringify(change));
  }

  /** @internal */
  async registerName(name: string): Promise<void> {
    await this.redis.sadd(LISTS_SET, name);
  }
}

export class UnknownListError extends Error {
  constructor(readonly list: string) {
    super(`no list named ${JSON.stringify(list)}`);
    this.name = "UnknownListError";
  }
}

/** The fields one list's queries need, each asked once however many queries share it. */
function planQueries(queries: readonly ListQuery[], indices: readonly number[], meta: MetaCacheEntry): { plans: QueryPlan[]; fields: string[] } {
  const fields: string[] = [];
  const position = new Map<string, number>();
  const at = (field: string): number => {
    let p = position.get(field);
    if (p === undefined) {
      p = fields.length;
      fields.push(field);
      position.set(field, p);
    }
    return p;
  };
  const plans: QueryPlan[] = [];
  for (const index of indices) {
    const { key, kind } = queries[index];
    let candidates: string[];
    if (kind === "address") {
      const ip = key.length <= 64 ? parseIp(key) : null;
      if (!ip) continue;
      const prefixes = ip.version === 4 ? meta.v4 : meta.v6;
      if (prefixes.length === 0) continue;
      candidates = addressCandidates(ip, prefixes);
    } else {
      candidates = exactCandidates(key).fields;
    }
    plans.push({ index, kind, key, fields: candidates.map(at) });
  }
  return { plans, fields };
}

function answer(plan: QueryPlan, fields: readonly string[], values: readonly (string | null)[]): ListMatch | undefined {
  if (plan.kind === "address") {
    for (const p of plan.fields) {
      const stored = values[p];
      if (stored !== null && stored !== undefined) return decodeAddressValue(fieldNetwork(fields[p])!, stored);
    }
    return undefined;
  }
  // Exact: the address field counts only when the entry there was written exactly as the key.
  const [first, second] = plan.fields;
  if (second === undefined) {
    const stored = values[first];
    return stored === null || stored === undefined ? undefined : { entry: plan.key, value: stored };
  }
  const atNetwork = values[first];
  if (atNetwork !== null && atNetwork !== undefined) {
    const match = decodeAddressValue(fieldNetwork(fields[first])!, atNetwork);
    if (match.entry === plan.key) return match;
  }
  const atKey = values[second];
  return atKey === null || atKey === undefined ? undefined : { entry: plan.key, value: atKey };
}

/**
 * One import in progress: add() entries as they are parsed, await drain() now and then (backpressure), then
 * commit() switches readers to the new generation at once, or abort() drops it.
 */
export class ListImport {
  private readonly key: string;
  private readonly batchFields: number;
  private readonly maxInFlight: number;
  private batch: string[];
  private batchCount = 0;
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown = null;
  private expirySet = false;
  /** Fields written so far: the first entry of a key or network wins, as in the in-memory store. */
  private readonly seen = new Set<string>();
  /** The text of address entries not written canonically, by field (rare: prefix keys, odd spellings). */
  private readonly spelled = new Map<string, string>();
  private readonly v4 = new Set<number>();
  private readonly v6 = new Set<number>();
  entries = 0;
  duplicates = 0;
  malformed = 0;

  constructor(
    private readonly store: RedisListStore,
    readonly name: string,
    readonly generation: number,
    private readonly options: ImportOptions,
  ) {
    this.key = generationKey(name, generation);
    this.batchFields = options.batchFields ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.batch = [this.key];
  }

  add(entry: ParsedEntry): void {
    const network = entry.network;
    if (network === null) {
      this.put(exactField(entry.key), entry.value);
      return;
    }
    const field = networkField(network);
    if (!this.seen.has(field)) {
      if (!isCanonical(entry.key, network)) this.spelled.set(field, entry.key);
      this.put(field, encodeAddressValue(entry.key, network, entry.value));
      (network.version === 4 ? this.v4 : this.v6).add(network.prefix);
      return;
    }
    const first = this.spelled.get(field);
    if (first === entry.key || (first === undefined && isCanonical(entry.key, network))) {
      this.duplicates++;
      return;
    }
    this.put(exactField(entry.key), entry.value); // the same network written another way: exact lookups find it
  }

  private put(field: string, stored: string): void {
    if (this.seen.has(field)) {
      this.duplicates++;
      return;
    }
    this.seen.add(field);
    this.entries++;
    this.batch.push(field, stored);
    if (++this.batchCount >= this.batchFields) this.flush();
  }

  private flush(): void {
    if (this.batchCount === 0) return;
    const args = this.batch;
    this.batch = [this.key];
    this.batchCount = 0;
    const redis = this.store.redis;
    const sent = redis.call("HSET", args).then(() => undefined);
    if (!this.expirySet) {
      this.expirySet = true;
      void redis.expire(this.key, BUILD_TTL_SECONDS).catch((err: unknown) => {
        this.failure ??= err;
      });
    }
    this.inFlight.push(
      sent.catch((err: unknown) => {
        this.failure ??= err;
      }),
    );
  }

  /** Waits while too many batches are in flight; throws if one failed. */
  async drain(limit = this.maxInFlight): Promise<void> {
    while (this.inFlight.length > limit) await this.inFlight.shift();
    if (this.failure) throw this.failure;
  }

  /** Sends the rest, then switches the list to this generation in one transaction and announces it. */
  async commit(action: "import" | "add" = "import"): Promise<ImportResult> {
    this.flush();
    await this.drain(0);
    const now = new Date().toISOString();
    const previous = await this.store.switchGeneration(this.name, {
      generation: this.generation,
      fields: {
        entries: String(this.entries),
        format: this.options.format ?? "",
        source: this.options.source ?? "",
        importedAt: now,
        updatedAt: now,
        malformed: String(this.malformed),
        duplicates: String(this.duplicates),
        v4: formatPrefixes(this.v4),
        v6: formatPrefixes(this.v6),
      },
    });
    await this.store.registerName(this.name);
    await this.store.publish({ list: this.name, action, generation: this.generation, entries: this.entries });
    return {
      name: this.name,
      generation: this.generation,
      previousGeneration: previous,
      entries: this.entries,
      duplicates: this.duplicates,
      malformed: this.malformed,
    };
  }

  /** Drops the half-built generation; readers never saw it. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.store.redis.unlink(this.key);
  }
}
