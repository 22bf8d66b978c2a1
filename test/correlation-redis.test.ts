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
    await store.flush(); // what the matcher does after each chunk, before offsets are committed
    assert.equal(await redis.zcard(`tld:corr:{${key}}`), 1, "Redis holds what the store holds");
    assert.equal(await new RedisCorrelationStore(redis).count(key, 0, false), 1, "another instance reads it back");
    const ttl = await redis.pttl(`tld:corr:{${key}}`);
    assert.ok(ttl > 0 && ttl <= 120_000, `the key expires on its own (${ttl} ms)`);
    await store.clear(key);
    assert.equal(await store.count(key, 0, false), 0);
    await store.flush();
    assert.equal(await redis.exists(`tld:corr:{${key}}`), 0, "a cleared key is gone from Redis after the flush");
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
    const beforeStore = new RedisCorrelationStore(redis);
    const before = new RuleEngine(rules, { correlation: beforeStore });
    assert.equal((await before.evaluate(event(1)))?.id, "1");
    assert.equal((await before.evaluate(event(2)))?.id, "1");
    await beforeStore.flush(); // the chunk ends: its offsets may be committed, so its state is in Redis
    // "restart": a new engine and a new connection; only Redis remembers the first two
    await withRedis(async (again) => {
      const after = new RuleEngine(rules, { correlation: new RedisCorrelationStore(again) });
      assert.equal((await after.evaluate(event(3)))?.id, "2", "the third event within 60 s fires the frequency rule");
      assert.equal((await after.evaluate(event(4)))?.id, "1", "counting starts again after it fired");
    });
  }));

test("after forget() (partitions moved) the store reads Redis again: another instance's counts are seen", () =>
  withRedis(async (redis) => {
    const key = `it-${tag}-moved`;
    const mine = new RedisCorrelationStore(redis);
    const other = new RedisCorrelationStore(redis);
    const t0 = 1_700_000_000_000;
    await mine.add(key, t0, "", 60_000);
    await mine.flush();
    assert.equal(await other.count(key, 0, false), 1);
    await other.add(key, t0 + 1, "", 60_000);
    await other.flush();
    assert.equal(await mine.count(key, 0, false), 1, "before the reassignment: its own copy");
    mine.forget();
    assert.equal(await mine.count(key, 0, false), 2, "after: what Redis holds, including the other instance's");
  }));

test("a failed flush keeps its writes for the retry (nothing lost while Redis is away)", async () => {
  const broken = new Redis("redis://127.0.0.1:1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  broken.on("error", () => undefined);
  const store = new RedisCorrelationStore(broken);
  // A key cleared first needs no read: the write goes to the queue.
  const key = `it-${tag}-retry`;
  store.clear(key);
  await store.add(key, 1, "", 60_000);
  await assert.rejects(store.flush(), /correlation state unavailable/);
  await withRedis(async (redis) => {
    (store as unknown as { redis: Redis }).redis = redis; // Redis is back
    await store.flush();
    assert.equal(await redis.zcard(`tld:corr:{${key}}`), 1, "the write kept from the failed flush arrived");
    await redis.unlink(`tld:corr:{${key}}`);
  });
  broken.disconnect();
});

test("preload reads a chunk's keys in one round trip: counting them afterwards needs no Redis call", () =>
  withRedis(async (redis) => {
    const keys = [`it-${tag}-p1`, `it-${tag}-p2`, `it-${tag}-p3`];
    const writer = new RedisCorrelationStore(redis);
    for (const [i, key] of keys.entries()) for (let n = 0; n <= i; n++) await writer.add(key, 1_700_000_000_000 + n, "", 60_000);
    await writer.flush();
    const reader = new RedisCorrelationStore(redis);
    await reader.preload([...keys, ...keys]);
    const counts = keys.map((key) => reader.count(key, 0, false));
    assert.deepEqual(counts, [1, 2, 3], "answered synchronously, from what preload read");
  }));
