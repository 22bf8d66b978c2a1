// kill -9 of each service while events flow through it, then `tld up` again, on a stack of its own: afterwards
// every event is at every stage (in = distinct out, duplicates counted and printed, nothing lost), and a block
// placed before the kill and one asked for while the service was down each end on time, in Redis and in the
// kernel of the victim namespace whose agent enforces them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  assertAllAccounted,
  assertBlockEndedOnTime,
  attack,
  faultSuiteSkip,
  KernelWatch,
  kill9,
  makeLoad,
  openFaultBench,
  replay,
  stageProgress,
  untilBlocked,
  untilMidStream,
  type FaultBench,
} from "./fixture.js";
import { waitFor } from "../harness/tools.js";

const LINES = 20_000;
const SERVICES = ["collector", "decoder", "matcher", "responder", "dashboard"] as const;
const skip = await faultSuiteSkip();

describe("kill -9 of each service mid-stream, on an isolated stack", { skip }, () => {
  let bench: FaultBench;
  let watch: KernelWatch;

  before(async () => {
    bench = await openFaultBench("svc");
    watch = new KernelWatch(bench.lab);
  }, { timeout: 300_000 });

  after(async () => {
    watch?.stop();
    await bench?.close();
  }, { timeout: 300_000 });

  for (const service of SERVICES) {
    test(`kill -9 of the ${service} mid-stream: every event accounted for, blocks end on time`, { timeout: 240_000 }, async () => {
      const { stack } = bench;
      const since = Date.now() - 1_000;
      const tag = `kill${service}${Date.now() % 100_000}`;
      const load = makeLoad(tag, LINES);

      const blockedBefore = bench.nextAttacker();
      watch.watch(blockedBefore);
      attack(bench, blockedBefore, tag);
      await untilBlocked(bench, blockedBefore);

      // The collector, decoder and matcher see every line; the responder and the dashboard only the alerts.
      const share = service === "responder" || service === "dashboard" ? load.alerts : load.lines;
      const baseline = await stageProgress(stack, service);
      const replaying = replay(stack, load);
      const done = await untilMidStream(stack, service, baseline, share, 0.3);
      const pid = await kill9(stack, service);
      const killedAt = Date.now();
      console.log(`# kill -9 of the ${service} (pid ${pid}) after it took ${done} of ${share}`);
      const blockedDuring = bench.nextAttacker();
      watch.watch(blockedDuring);
      attack(bench, blockedDuring, tag);
      await stack.tld(["up"]);
      assert.notEqual(await stack.pid(service), pid, `a new ${service} took over`);
      const upAt = Date.now();
      await waitFor(`the new ${service} to take events`, async () => ((await stageProgress(stack, service)) > 0 ? true : undefined), 120_000, 100);
      console.log(`# the new ${service} was up ${((upAt - killedAt) / 1000).toFixed(1)} s after the kill and took events ${((Date.now() - killedAt) / 1000).toFixed(1)} s after it`);
      await replaying;

      await assertAllAccounted(stack, load, since, `kill -9 ${service}`);
      await assertBlockEndedOnTime(bench, watch, blockedBefore, since, `kill -9 ${service}, block made before`);
      await assertBlockEndedOnTime(bench, watch, blockedDuring, since, `kill -9 ${service}, block asked for while it was down`);
    });
  }
});
