// kill -9 of each service while events flow through it, then `tld up` again, on a stack of its own: afterwards
// every event is at every stage (in = distinct out, duplicates counted and printed, nothing lost), and a block
// placed before the kill and one asked for while the service was down each end on time, in Redis and in the
// kernel of the victim namespace whose agent enforces them. Then the collector down for longer than a block
// while the agent ships a steady stream: it buffers on disk, the kernel lifts the block with the manager out of
// reach, and once the collector is back every line arrives.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../harness/tools.js";
import { steadyWriter } from "../harness/agent.js";
import {
  accountAgentLines,
  assertAllAccounted,
  assertBlockEndedOnTime,
  attack,
  blockCommands,
  faultSuiteSkip,
  kill9,
  runFaultScenario,
  stageProgress,
  untilBlocked,
  useFaultBench,
} from "./fixture.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SERVICES = ["collector", "decoder", "matcher", "responder", "dashboard"] as const;
const skip = await faultSuiteSkip();

describe("kill -9 of each service mid-stream, on an isolated stack", { skip }, () => {
  const bench = useFaultBench("svc");

  for (const service of SERVICES) {
    test(`kill -9 of the ${service} mid-stream: every event accounted for, blocks end on time`, { timeout: 240_000 }, async () => {
      const { stack } = bench();
      let pid = 0;
      let killedAt = 0;
      await runFaultScenario(bench(), {
        what: `kill -9 ${service}`,
        midStreamOf: service,
        async fault() {
          pid = await kill9(stack, service);
          killedAt = Date.now();
          console.log(`# kill -9 of the ${service} (pid ${pid})`);
        },
        async recover() {
          await stack.tld(["up"]);
          assert.notEqual(await stack.pid(service), pid, `a new ${service} took over`);
          const upAt = Date.now();
          await waitFor(`the new ${service} to take events`, async () => ((await stageProgress(stack, service)) > 0 ? true : undefined), 120_000, 100);
          console.log(`# the new ${service} was ready ${((upAt - killedAt) / 1000).toFixed(1)} s after the kill and took events ${((Date.now() - killedAt) / 1000).toFixed(1)} s after it`);
        },
      });
    });
  }

  test("the collector down while the agent ships a steady stream: it buffers on disk, the kernel lifts its block on time, nothing lost", { timeout: 240_000 }, async () => {
    const b = bench();
    const { stack } = b;
    const since = Date.now() - 1_000;
    const tag = `outage${Date.now() % 100_000}`;
    const blockedBefore = b.nextAttacker();
    b.watch.watch(blockedBefore);
    attack(b, blockedBefore, tag);
    await untilBlocked(b, blockedBefore);
    const [block] = (await blockCommands(b, blockedBefore, since)).filter((c) => c.action === "add");
    assert.ok(block, "the responder's command for the block in force");

    const writer = steadyWriter(b.agent.logFile, tag, 1, 1_000);
    let last = 0;
    let blockedDuring = "";
    let recovered = false;
    try {
      await sleep(2_000);
      const from = b.victim.output().length;
      await stack.tld(["down", "--only", "collector"]);
      const downAt = Date.now();
      blockedDuring = b.nextAttacker();
      b.watch.watch(blockedDuring);
      attack(b, blockedDuring, tag);
      // Down until the block in force has ended: the agent's kernel must lift it with the manager out of reach.
      await sleep(Math.max(3_000, block.expiresAt - Date.now() + 1_500));
      await b.victim.logged(/buffering on disk/, 10_000, from);
      console.log(`# collector down for ${((Date.now() - downAt) / 1000).toFixed(1)} s while the agent wrote ${writer.written} lines so far`);
      await stack.tld(["up"]);
      recovered = true;
      await b.victim.logged(/disk buffer sent/, 90_000, from);
      await sleep(1_000); // lines written after the buffer drained go out directly
    } finally {
      last = writer.stop();
      if (!recovered) await stack.tld(["up"]).catch(() => undefined); // the next test gets a whole stack
    }
    await assertAllAccounted(() => accountAgentLines(b, tag, last, since), "collector down while the agent ships");
    await assertBlockEndedOnTime(b, blockedBefore, since, "collector down, block made before");
    await assertBlockEndedOnTime(b, blockedDuring, since, "collector down, block asked for during the outage");
  });
});
