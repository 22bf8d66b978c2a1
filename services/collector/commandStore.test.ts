import { test } from "node:test";
import assert from "node:assert/strict";
import type { ActiveResponseCommand } from "../../lib/records.js";
import { ackSchema } from "./commandChannel.js";
import { dueCommands, remainingTtlSeconds, sseMessage } from "./commandStore.js";

const T0 = 1_796_399_940_000;
const add = (id: string, createdAt: number, expiresAt: number, ip = "203.0.113.9"): ActiveResponseCommand => ({
  id, agentId: "001", action: "add", program: "firewall-drop", ip, ttlSeconds: Math.round((expiresAt - createdAt) / 1000), expiresAt, alertId: "a", ruleId: "100100", createdAt,
});

test("an SSE message is the contract's: id, event, the command on one data line, ttlSeconds left (ceil)", () => {
  const message = sseMessage(add("c1", T0, T0 + 60_000), T0 + 3_500);
  assert.equal(
    message,
    `id: c1\nevent: command\ndata: {"id":"c1","action":"add","program":"firewall-drop","ip":"203.0.113.9","ttlSeconds":57,"expiresAt":${T0 + 60_000},"alertId":"a","ruleId":"100100","createdAt":${T0}}\n\n`,
  );
  assert.equal(remainingTtlSeconds(add("c1", T0, T0 + 60_000), T0 + 59_999), 1);
  assert.equal(remainingTtlSeconds({ ...add("d", T0, T0 + 60_000), action: "delete", ttlSeconds: 0 }, T0), 0);
  assert.equal(remainingTtlSeconds({ ...add("o", T0, T0 + 600_000), ttlSeconds: 0 }, T0), 0, "a one-shot stays one-shot");
});

test("due on connect: active blocks and unacknowledged commands, each once, oldest first, none expired", () => {
  const active = [add("new", T0 + 10_000, T0 + 70_000), add("other-ip", T0 + 1_000, T0 + 61_000, "198.51.100.7")];
  const due = [add("new", T0 + 10_000, T0 + 70_000), add("gone", T0, T0 + 5_000, "192.0.2.1"), { ...add("del", T0 + 20_000, T0 + 61_000, "198.51.100.7"), action: "delete" as const, ttlSeconds: 0 }];
  assert.deepEqual(dueCommands(active, due, T0 + 30_000).map((c) => c.id), ["other-ip", "new", "del"]);
  assert.deepEqual(dueCommands(active, due, T0 + 65_000).map((c) => c.id), ["new"]);
});

test("acknowledgements: a list of command ids, bounded; anything else is refused", () => {
  assert.ok(ackSchema.safeParse({ ids: ["0123abcd", "x.y-z:1"] }).success);
  for (const bad of [{}, { ids: [] }, { ids: ["a b"] }, { ids: [1] }, { ids: ["ok"], extra: 1 }, { ids: Array.from({ length: 1001 }, (_, i) => `c${i}`) }, { ids: ["x".repeat(129)] }]) {
    assert.ok(!ackSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 60));
  }
});

test("each collector instance reads the commands in a group of its own, named after host and port", async () => {
  const { commandFeedGroup } = await import("./commandFeed.js");
  assert.equal(commandFeedGroup("manager-1.example", 1514), "collector-commands.manager-1.example-1514");
  assert.equal(commandFeedGroup("we ird/host", 1524), "collector-commands.we_ird_host-1524");
});
