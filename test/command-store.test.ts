// The collector's command store in the real Redis (the configured redis.url): what an agent is sent on connect
// after commands arrived while it was away, and acknowledgements.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { CommandStore } from "../services/collector/commandStore.js";
import type { ActiveResponseCommand } from "../lib/records.js";
import { config } from "./harness/tools.js";

const agentId = `it-store-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const t0 = Date.now();

function command(id: string, ip: string, createdAt: number, action: "add" | "delete" = "add"): ActiveResponseCommand {
  return { id, agentId, action, program: "firewall-drop", ip, ttlSeconds: action === "add" ? 600 : 0, createdAt, expiresAt: createdAt + 600_000, alertId: `alert-${id}`, ruleId: "100100" };
}

test("CommandStore: a newer command of an IP drops its older undelivered add; others stay; acks and replays queue nothing", async () => {
  const redis = new Redis(config().redis.url);
  const store = new CommandStore(redis);
  try {
    assert.equal(await store.apply(command("a1", "203.0.113.1", t0)), true);
    assert.equal(await store.apply(command("b1", "203.0.113.2", t0 + 1)), true);
    assert.equal(await store.apply(command("a2", "203.0.113.1", t0 + 2)), true, "a newer add of .1");
    assert.equal(await store.apply(command("a0", "203.0.113.1", t0 - 5)), true, "a straggler older than a2 is queued");
    let ids = (await store.pending(agentId)).map((c) => c.id);
    assert.ok(!ids.includes("a1"), "a1 is obsolete once a2 is there");
    assert.deepEqual(ids.sort(), ["a0", "a2", "b1"]);

    assert.equal(await store.apply(command("a2", "203.0.113.1", t0 + 2)), true, "a replay of a2 changes nothing");
    assert.equal(await store.apply(command("a3", "203.0.113.1", t0 + 3, "delete")), true);
    ids = (await store.pending(agentId)).map((c) => c.id);
    assert.ok(!ids.includes("a2"), "the delete makes a2 obsolete, and lifts .1's active block");
    assert.deepEqual(ids.sort(), ["a0", "a3", "b1"]);

    assert.equal(await store.ack(agentId, ["a0", "a3", "b1"]), 3);
    assert.deepEqual((await store.pending(agentId)).map((c) => c.id), ["b1"], "an active block is re-sent on reconnect, acked or not");
    assert.equal(await store.apply(command("b1", "203.0.113.2", t0 + 1)), false, "an acknowledged command replayed from the topic is not queued");

    // Many IPs for one agent that is away: each one's newest add is what is due.
    for (let i = 0; i < 2_000; i++) await store.apply(command(`m${i}`, `198.51.100.${i % 200}`, t0 + 10 + i));
    const due = (await store.pending(agentId)).filter((c) => c.id.startsWith("m"));
    assert.equal(due.length, 200);
    assert.ok(due.every((c) => Number(c.id.slice(1)) >= 1_800), "only the last add of each of the 200 IPs");
  } finally {
    await redis.del(`{tld:ar:${agentId}}:due`, `{tld:ar:${agentId}}:active`, `{tld:ar:${agentId}}:acked`, `{tld:ar:${agentId}}:due-ip`);
    redis.disconnect();
  }
});
