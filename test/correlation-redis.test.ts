// Frequency state in the real Redis (the configured redis.url): counting, windows, distinct values, mutes, and a
// matcher restarted mid-burst (a new engine on the same Redis) that keeps counting where the old one stopped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisCorrelationStore } from "../services/matcher/redisCorrelation.js";
import { parseRuleXml, RuleEngine, type RuleEvent } from "../services/matcher/rules/index.js";
import { config } from "./harness/tools.js";

const tag = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

async function withRedis(body: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(config().redis.url);
  try {
    await body(redis);
  } finally {
    redis.disconnect();
  }
}

test("RedisCorrelationStore: counts within the window, distinct values, clear, mute, and keys expire", () =>
  withRedis(async (redis) => {
    const store = new RedisCorrelationStore(redis);
    const key = `it-${tag}\u0000203.0.113.9`;
    const t0 = 1_700_000_000_000;
    await store.add(key, t0, "/a", 60_000);
    await store.add(key, t0 + 1000, "/a", 60_000);
    await store.add(key, t0 + 2000, "/b:with:colons", 60_000);
    assert.equal(await store.count(key, t0, false), 3);
    assert.equal(await store.count(key, t0 + 1500, false), 1);
    assert.equal(await store.count(key, t0, false, ""), 4, "the event being evaluated counts once more");
    assert.equal(await store.count(key, t0, true), 2, "distinct: /a and /b:with:colons");
    assert.equal(await store.count(key, t0, true, "/c"), 3);
    // An occurrence far later drops what its window no longer needs
    await store.add(key, t0 + 600_000, "/z", 60_000);
    assert.equal(await store.count(key, 0, false), 1);
    const ttl = await redis.pttl(`tld:corr:{${key}}`);
    assert.ok(ttl > 0 && ttl <= 120_000, `the key expires on its own (${ttl} ms)`);
    await store.clear(key);
    assert.equal(await store.count(key, 0, false), 0);
    assert.equal(await store.mutedUntil(`it-${tag}`), 0);
    await store.muteUntil(`it-${tag}`, t0 + 5000);
    assert.equal(await store.mutedUntil(`it-${tag}`), t0 + 5000);
  }));

test("a restarted matcher keeps counting: the frequency state outlives the engine", () =>
  withRedis(async (redis) => {
    const rules = parseRuleXml(`<group name="it,">
  <rule id="1" level="3"><match>login failed</match></rule>
  <rule id="2" level="8" frequency="3" timeframe="60"><if_sid>1</if_sid><same_source_ip /></rule>
</group>`);
    const srcip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const t0 = Date.now();
    const event = (i: number): RuleEvent => ({ log: "login failed", fields: { srcip }, timeMs: t0 + i * 1000 });
    const before = new RuleEngine(rules, { correlation: new RedisCorrelationStore(redis) });
    assert.equal((await before.evaluate(event(1)))?.id, "1");
    assert.equal((await before.evaluate(event(2)))?.id, "1");
    // "restart": a new engine and a new connection; only Redis remembers the first two
    await withRedis(async (again) => {
      const after = new RuleEngine(rules, { correlation: new RedisCorrelationStore(again) });
      assert.equal((await after.evaluate(event(3)))?.id, "2", "the third event within 60 s fires the frequency rule");
      assert.equal((await after.evaluate(event(4)))?.id, "1", "counting starts again after it fired");
    });
  }));
