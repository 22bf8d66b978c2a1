// Frequency / correlation state and ignore timers in Redis, so a restarted or rebalanced matcher keeps counting
// (events of one source IP go to one matcher at a time, since tld.events.decoded is keyed by srcip; the state
// follows the partition to whichever instance owns it next).
//
// Layout:
//   tld:corr:{<key>}       sorted set, one member per occurrence, score = event time (ms); member
//                          "<time>:<seq>:<value>" (value = the different_* field's value, "" when none), so two
//                          occurrences never collapse and distinct values can be read back; expires after the
//                          rule's window (set on every add), so an idle key cleans itself up
//   tld:corr:mute:<rule>   string, the time (ms) until which the rule's alerts are muted (ignore="s"), with a TTL
// <key> is the engine's correlation key (rule id + same_* values); the braces keep one key in one cluster slot.
//
// Occurrences are read from Redis once per key and then kept here, and writes wait in a queue that flush()
// sends as one pipeline: the matcher flushes after each chunk, before its offsets can be committed, so what
// Kafka considers done is in Redis. Asking Redis on every event made the matcher wait two round trips per
// 4xx line. The copy here is only trusted while this instance owns the key's partition: forget() drops it
// when the consumer group's assignment changes (another instance may have counted meanwhile).
// Mutes (rules with ignore=, none in the stock ruleset) are rare and shared by every source: asked each time.
import type { ChainableCommander, Redis } from "ioredis";
import { TransientError } from "../../lib/consume.js";
import type { MaybePromise } from "./rules/lists.js";
import type { CorrelationStore } from "./rules/index.js";
import { countOccurrences, type Occurrence } from "./rules/correlation.js";

const PREFIX = "tld:corr:";
/** Slack on key expiry: event time and Redis time differ, and a window must never be cut short. */
const EXPIRY_SLACK_MS = 60_000;
/** Keys held here past which those whose window has passed (by event time) are dropped. */
const SWEEP_ABOVE = 100_000;

/** Redis failing is not the event's fault: the consume loop retries the chunk rather than dead-lettering it. */
function unavailable(err: unknown): never {
  throw new TransientError(`correlation state unavailable in Redis: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

interface CachedKey {
  occurrences: Occurrence[];
  retainMs: number;
}

/** What flush() must write for one key: an UNLINK first when it was cleared, then the new members. */
interface PendingKey {
  unlink: boolean;
  members: (string | number)[];
  keepFromMs: number;
  expireMs: number;
}

export class RedisCorrelationStore implements CorrelationStore {
  /** Makes members unique within this process; with the time and a random run id, unique across instances too. */
  private seq = 0;
  private readonly instance = Math.random().toString(36).slice(2, 8);
  private readonly cache = new Map<string, CachedKey>();
  private readonly loading = new Map<string, Promise<CachedKey>>();
  private pending = new Map<string, PendingKey>();
  private latestMs = -Infinity;

  constructor(private readonly redis: Redis) {}

  private setKey(key: string): string {
    return `${PREFIX}{${key}}`;
  }

  /** The key's occurrences, from here when held, else read once from Redis. */
  private entry(key: string, retainMs: number): MaybePromise<CachedKey> {
    const held = this.cache.get(key);
    if (held) return held;
    let load = this.loading.get(key);
    if (!load) {
      load = this.redis
        .zrangebyscore(this.setKey(key), "-inf", "+inf", "WITHSCORES")
        .then((reply) => {
          const loaded = { occurrences: parseOccurrences(reply), retainMs };
          // A forget() while loading wins: what was read may already be another instance's past.
          if (this.loading.get(key) === load) this.cache.set(key, loaded);
          return loaded;
        }, unavailable)
        .finally(() => {
          if (this.loading.get(key) === load) this.loading.delete(key);
        });
      this.loading.set(key, load);
    }
    return load;
  }

  /** Reads every key not held yet in one pipeline (the matcher's per-chunk prefetch), so evaluation need not wait. */
  async preload(keys: Iterable<string>): Promise<void> {
    // Most keys are held already (a source keeps coming back): test those first, and dedupe only the rest.
    const missing = new Set<string>();
    for (const key of keys) if (!this.cache.has(key) && !this.loading.has(key)) missing.add(key);
    const wanted = [...missing];
    if (wanted.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of wanted) pipeline.zrangebyscore(this.setKey(key), "-inf", "+inf", "WITHSCORES");
    const replies = await pipeline.exec().catch(unavailable);
    if (!replies) unavailable(new Error("pipeline discarded"));
    wanted.forEach((key, i) => {
      const [err, reply] = replies[i];
      if (err) unavailable(err);
      // Held meanwhile (an add from a chunk being evaluated): that copy is newer than what was read.
      if (!this.cache.has(key)) this.cache.set(key, { occurrences: parseOccurrences(reply as string[]), retainMs: 0 });
    });
  }

  add(key: string, timeMs: number, value: string, retainMs: number): MaybePromise<void> {
    const entry = this.entry(key, retainMs);
    const apply = (cached: CachedKey) => {
      cached.retainMs = retainMs;
      const list = cached.occurrences;
      list.push({ timeMs, value });
      // keep what a window of retainMs before this occurrence may still count
      const keepFrom = timeMs - retainMs;
      let drop = 0;
      while (drop < list.length && list[drop].timeMs < keepFrom) drop++;
      if (drop > 0) list.splice(0, drop);
      let pending = this.pending.get(key);
      if (!pending) this.pending.set(key, (pending = { unlink: false, members: [], keepFromMs: keepFrom, expireMs: 0 }));
      pending.members.push(timeMs, `${timeMs}:${this.instance}${(this.seq++).toString(36)}:${value}`);
      pending.keepFromMs = Math.max(pending.keepFromMs, keepFrom);
      pending.expireMs = retainMs + EXPIRY_SLACK_MS;
      if (timeMs > this.latestMs) this.latestMs = timeMs;
    };
    return entry instanceof Promise ? entry.then(apply) : apply(entry);
  }

  count(key: string, sinceMs: number, distinct: boolean, extraValue?: string): MaybePromise<number> {
    const tally = ({ occurrences }: CachedKey) => countOccurrences(occurrences, sinceMs, distinct, extraValue);
    const entry = this.entry(key, 0);
    return entry instanceof Promise ? entry.then(tally) : tally(entry);
  }

  clear(key: string): void {
    const held = this.cache.get(key);
    this.cache.set(key, { occurrences: [], retainMs: held?.retainMs ?? 0 });
    this.pending.set(key, { unlink: true, members: [], keepFromMs: 0, expireMs: 0 });
  }

  async mutedUntil(ruleId: string): Promise<number> {
    const until = await this.redis.get(`${PREFIX}mute:${ruleId}`).catch(unavailable);
    return until === null ? 0 : Number(until);
  }

  async muteUntil(ruleId: string, untilMs: number): Promise<void> {
    // The TTL is wall-clock from now; the stored time is what is compared (event time), the TTL only cleans up.
    const ttl = Math.max(1, untilMs - Date.now()) + EXPIRY_SLACK_MS;
    await this.redis.set(`${PREFIX}mute:${ruleId}`, String(untilMs), "PX", ttl).catch(unavailable);
  }

  /** Writes every queued change in one pipeline. On failure nothing is lost: the queue is kept for the retry. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline: ChainableCommander = this.redis.pipeline();
    for (const [key, p] of batch) {
      const k = this.setKey(key);
      if (p.unlink) pipeline.unlink(k);
      if (p.members.length > 0) {
        pipeline.zadd(k, ...p.members);
        pipeline.zremrangebyscore(k, "-inf", `(${p.keepFromMs}`);
        pipeline.pexpire(k, p.expireMs);
      }
    }
    try {
      const replies = await pipeline.exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error("pipeline discarded");
    } catch (err) {
      for (const [key, p] of batch) if (!this.pending.has(key)) this.pending.set(key, p);
      unavailable(err);
    }
    if (this.cache.size > SWEEP_ABOVE) this.sweep();
  }

  /** Drops what is held here (not what is queued): the next use of each key reads it from Redis again. */
  forget(): void {
    this.cache.clear();
    this.loading.clear();
  }

  /** Keys whose newest occurrence is older than their window (by the newest event time seen) are let go. */
  private sweep(): void {
    for (const [key, { occurrences, retainMs }] of this.cache) {
      const newest = occurrences[occurrences.length - 1];
      if ((!newest || newest.timeMs < this.latestMs - retainMs) && !this.pending.has(key)) this.cache.delete(key);
    }
  }
}

/** ZRANGEBYSCORE ... WITHSCORES: member, score, member, score, ... */
function parseOccurrences(reply: string[]): Occurrence[] {
  const occurrences: Occurrence[] = [];
  for (let i = 0; i < reply.length; i += 2) occurrences.push({ timeMs: Number(reply[i + 1]), value: valueOf(reply[i]) });
  return occurrences;
}

/** The value part of a member "<time>:<unique>:<value>" (the value itself may contain ':'). */
function valueOf(member: string): string {
  const first = member.indexOf(":");
  const second = member.indexOf(":", first + 1);
  return member.slice(second + 1);
}
