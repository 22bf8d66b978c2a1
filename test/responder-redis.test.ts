// The responder's per-alert step (services/responder/respond.ts) against the real Redis: repeated offenders
// across real key expiry, replays after a "crash", and several responder instances hitting one block at once
// (the compare-and-set must neither lose a hit nor stack a second block).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { AllowList } from "../lib/allowList.js";
import { activeResponseSchema } from "../lib/arConfig.js";
import { BlockStore } from "../lib/blocks.js";
import { createResponder } from "../services/responder/respond.js";
import { testAlert } from "./harness/responder.js";
import { config, runTag } from "./harness/tools.js";

const redis = new Redis(config().redis.url);
after(() => redis.quit());

const arConfig = activeResponseSchema.parse({
  responses: [{ command: "firewall-drop", location: "local", rulesId: ["190601"], timeout: 2, repeatedOffenders: [4, 8] }],
});
const responder = () => createResponder({ config: arConfig, store: new BlockStore(redis), allowList: new AllowList(arConfig, () => ({})), agents: async () => [] });
// Agent ids no enrolled agent has (the registry counts up from 001), so the shared Redis holds nothing of theirs.
const agent = (n: number) => ({ id: `9${String(runTag()).padStart(3, "0")}${n}${Date.now() % 100_000}`, name: `it-responder-${n}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("repeated offenders: the next block after one expired lasts the next timeout; a replay republishes, never re-blocks", async () => {
  const respond = responder();
  const a = agent(1);
  const ip = `198.18.${runTag()}.1`;
  const first = await respond(testAlert("ro-1:190601", a, ip, "190601"), Date.now());
  assert.deepEqual(first.outcomes.map((o) => o.outcome), ["new"]);
  assert.equal(first.commands[0].ttlSeconds, 2);
  // The same alert again (the consume loop retried the chunk): the very same command, and no second block.
  const replay = await respond(testAlert("ro-1:190601", a, ip, "190601"), Date.now());
  assert.deepEqual(replay.outcomes.map((o) => o.outcome), ["replay"]);
  assert.deepEqual(replay.commands, first.commands);
  const store = new BlockStore(redis);
  assert.equal((await store.list({ agentId: a.id })).length, 1);
  await sleep(2_300); // the block's key expires in Redis
  assert.equal((await store.list({ agentId: a.id })).length, 0, "the block ended with its TTL");
  const again = await respond(testAlert("ro-2:190601", a, ip, "190601"), Date.now());
  assert.deepEqual([again.outcomes[0].outcome, again.commands[0].ttlSeconds], ["new", 4], "second offence: the first repeatedOffenders timeout");
  // Replaying the first alert now: seen, superseded, nothing.
  const old = await respond(testAlert("ro-1:190601", a, ip, "190601"), Date.now());
  assert.deepEqual([old.outcomes[0].outcome, old.commands.length], ["duplicate", 0]);
});

test("several responder instances hitting one block at once: one block, every hit counted, no stacking", async () => {
  const instances = [responder(), responder(), responder(), responder()];
  const a = agent(2);
  const ip = `198.18.${runTag()}.2`;
  const now = Date.now();
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) => instances[i % instances.length](testAlert(`cc-${i}:190601`, a, ip, "190601"), now)),
  );
  const outcomes = results.flatMap((r) => r.outcomes.map((o) => o.outcome));
  assert.equal(outcomes.filter((o) => o === "new").length, 1, `exactly one new block: ${outcomes.join(",")}`);
  assert.equal(outcomes.length, 24);
  const blocks = await new BlockStore(redis).list({ agentId: a.id });
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0].hits, 24, "no hit lost to a race");
  // Every published add is for the one block, and the block carries the last of them.
  const adds = results.flatMap((r) => r.commands);
  assert.ok(adds.some((c) => c.id === blocks[0].commandId));
  assert.ok(adds.every((c) => c.ip === ip && c.agentId === a.id && c.action === "add"));
});

test("an instance writes repeat hits against the block it last wrote; a block removed and made again elsewhere is never overwritten by that copy", async () => {
  const mine = responder();
  const other = responder();
  const store = new BlockStore(redis);
  const a = agent(3);
  const ip = `198.18.${runTag()}.3`;
  const now = Date.now();
  assert.deepEqual((await mine(testAlert("lw-1:190601", a, ip, "190601"), now)).outcomes.map((o) => o.outcome), ["new"]);
  for (let i = 2; i <= 4; i++) assert.deepEqual((await mine(testAlert(`lw-${i}:190601`, a, ip, "190601"), Date.now())).outcomes.map((o) => o.outcome), ["count"]);
  let [block] = await store.list({ agentId: a.id });
  assert.equal(block.hits, 4, "every hit counted through the remembered copy");

  // By hand: lifted, then blocked anew by another instance. The first instance's copy is now stale.
  assert.equal(await store.remove(block, { clearOffences: true }), true);
  const remade = await other(testAlert("lw-5:190601", a, ip, "190601"), Date.now());
  assert.deepEqual(remade.outcomes.map((o) => o.outcome), ["new"]);
  const again = await mine(testAlert("lw-6:190601", a, ip, "190601"), Date.now());
  assert.deepEqual(again.outcomes.map((o) => o.outcome), ["count"], "the stale copy lost its compare-and-set; the hit counted on the new block");
  [block] = await store.list({ agentId: a.id });
  assert.equal(block.commandId, remade.commands[0].id, "the new block is intact");
  assert.equal(block.hits, 2);
  // A replay of an alert this instance applied: the write finds it seen, the state is read, it is republished.
  const replay = await other(testAlert("lw-5:190601", a, ip, "190601"), Date.now());
  assert.deepEqual(replay.outcomes.map((o) => o.outcome), ["replay"]);
});
