// RedisScript against the real Redis: the first call finds no script under its SHA1 (NOSCRIPT) and sends the
// text; Redis then keeps it, and later calls go by SHA1 alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisScript } from "../lib/redisScript.js";
import { config } from "./harness/tools.js";

test("RedisScript: NOSCRIPT falls back to the text once, then runs by SHA1; script errors still throw", async () => {
  const redis = new Redis(config().redis.url);
  try {
    // A comment unique to this run: no earlier run can have loaded this exact text.
    const script = new RedisScript(`-- redis-script test ${Date.now()} ${Math.random()}\nreturn {KEYS[1], ARGV[1], #ARGV}`);
    assert.deepEqual(await redis.script("EXISTS", script.sha), [0]);
    assert.deepEqual(await script.run(redis, ["k"], ["a", "b"]), ["k", "a", 2]);
    assert.deepEqual(await redis.script("EXISTS", script.sha), [1], "the fallback loaded it");
    assert.deepEqual(await script.run(redis, ["k2"], ["c"]), ["k2", "c", 1]);

    const failing = new RedisScript(`-- redis-script test ${Date.now()} failing\nreturn redis.call('INCR', KEYS[1])`);
    const key = `tld:test:redis-script:${Date.now()}`;
    await redis.set(key, "not a number", "EX", 60);
    await assert.rejects(failing.run(redis, [key], []), /not an integer/);
  } finally {
    redis.disconnect();
  }
});
