// The infrastructure going away under load, on a stack of its own: the Kafka broker stopped and started again,
// and Redis killed -9 and started again. The services ride it out without a restart (same pids), every event
// comes out at every stage (in = distinct out, duplicates printed, nothing lost), and blocks made before and
// asked for during the outage end on time in Redis and in the victim's kernel.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blockInRedis, faultSuiteSkip, kill9, runFaultScenario, servicePids, useFaultBench } from "./fixture.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const skip = await faultSuiteSkip();

describe("Kafka and Redis restarted mid-stream, on an isolated stack", { skip }, () => {
  const bench = useFaultBench("infra");

  test("the Kafka broker stopped and started again mid-stream: services resume by themselves, nothing lost", { timeout: 300_000 }, async () => {
    const { stack } = bench();
    const pids = await servicePids(stack);
    await runFaultScenario(bench(), {
      what: "Kafka restart",
      midStreamOf: "decoder",
      async fault() {
        const t0 = Date.now();
        await stack.tld(["down", "--only", "kafka"]);
        console.log(`# Kafka stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s; producers and consumers retry meanwhile`);
        await sleep(5_000);
      },
      async recover() {
        const t0 = Date.now();
        await stack.tld(["up", "--only", "kafka"]);
        console.log(`# Kafka back in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      },
    });
    assert.deepEqual(await servicePids(stack), pids, "every service rode out the broker's restart without being restarted");
  });

  test("Redis killed -9 and started again mid-stream: lists, agents and blocks survive, nothing lost", { timeout: 300_000 }, async () => {
    const { stack } = bench();
    const pids = await servicePids(stack);
    const listsBefore = await stack.tld(["lists", "ls", "--json"]);
    await runFaultScenario(bench(), {
      what: "Redis kill -9",
      midStreamOf: "matcher",
      async fault() {
        const pid = await kill9(stack, "redis");
        console.log(`# Redis (pid ${pid}) killed -9; lookups, agent keys and block state unavailable meanwhile`);
        await sleep(3_000);
      },
      async recover() {
        await stack.tld(["up", "--only", "redis"]);
      },
      async afterRecover({ before }) {
        assert.equal(await blockInRedis(bench(), before), true, "the block made before the crash is still in Redis, to end at its time");
      },
    });
    assert.deepEqual(await servicePids(stack), pids, "every service rode out Redis's restart without being restarted");
    assert.equal((await stack.tld(["lists", "ls", "--json"])).stdout, listsBefore.stdout, "the reputation lists survived the crash");
  });
});
