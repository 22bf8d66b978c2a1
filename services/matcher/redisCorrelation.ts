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
import type { Redis } from "ioredis";
import { TransientError } from "../../lib/consume.js";
import type { CorrelationStore } from "./rules/index.js";

const PREFIX = "tld:corr:";
/** Slack on key expiry: event time and Redis time differ, and a window must never be cut short. */
const EXPIRY_SLACK_MS = 60_000;

/** Redis failing is not the event's fault: the consume loop retries the chunk rather than dead-lettering it. */
function unavailable(err: unknown): never {
  throw new TransientError(`correlation state unavailable in Redis: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export class RedisCorrelationStore implements CorrelationStore {
  /** Makes members unique within this process; with the time and a random run id, unique across instances too. */
  private seq = 0;
  private readonly instance = Math.random().toString(36).slice(2, 8);

  constructor(private readonly redis: Redis) {}

  private setKey(key: string): string {
    return `${PREFIX}{${key}}`;
  }

  async add(key: string, timeMs: number, value: string, retainMs: number): Promise<void> {
    const k = this.setKey(key);
    const member = `${timeMs}:${this.instance}${(this.seq++).toString(36)}:${value}`;
    await this.redis
      .multi()
      .zadd(k, timeMs, member)
      // keep what a window of retainMs before this occurrence may still count
      .zremrangebyscore(k, "-inf", `(${timeMs - retainMs}`)
      .pexpire(k, retainMs + EXPIRY_SLACK_MS)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([err]) => err);
        if (!replies || failed) unavailable(failed?.[0] ?? new Error("transaction discarded"));
      }, unavailable);
  }

  async count(key: string, sinceMs: number, distinct: boolean, extraValue?: string): Promise<number> {
    const k = this.setKey(key);
    if (!distinct) {
      const n = await this.redis.zcount(k, sinceMs, "+inf").catch(unavailable);
      return n + (extraValue !== undefined ? 1 : 0);
    }
    const members = await this.redis.zrangebyscore(k, sinceMs, "+inf").catch(unavailable);
    const values = new Set<string>();
    for (const member of members) values.add(valueOf(member));
    if (extraValue !== undefined) values.add(extraValue);
    return values.size;
  }

  async clear(key: string): Promise<void> {
    await this.redis.unlink(this.setKey(key)).catch(unavailable);
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
}

/** The value part of a member "<time>:<unique>:<value>" (the value itself may contain ':'). */
function valueOf(member: string): string {
  const first = member.indexOf(":");
  const second = member.indexOf(":", first + 1);
  return member.slice(second + 1);
}
