import { test } from "node:test";
import assert from "node:assert/strict";
import { BulkGate, pipelineQueueDelay, QueueDelayReporter, QUEUE_DELAY_KEY, REPORT_STALE_MS } from "./pace.js";

test("pipelineQueueDelay: worst instance per stage, summed along decoder, matcher and responder; stale and foreign reports left out", () => {
  const now = 1_000_000;
  const { totalMs, byStage, forgotten } = pipelineQueueDelay(
    {
      "decoder/a:1": `40:${now - 10}`,
      "decoder/b:2": `70:${now - 20}`,
      "matcher/a:3": `25:${now}`,
      "responder/a:4": `5:${now - 30}`,
      "dashboard/a:5": `900:${now}`, // not on the blocking path
      "matcher/old:6": `500:${now - REPORT_STALE_MS - 1}`, // stopped reporting: no delay
      "decoder/gone:7": `500:${now - 61_000}`, // to be removed
      "matcher/bad:8": "garbage",
    },
    now,
  );
  assert.deepEqual(byStage, { decoder: 70, matcher: 25, responder: 5 });
  assert.equal(totalMs, 100);
  assert.deepEqual(forgotten.sort(), ["decoder/gone:7", "matcher/bad:8"]);
});

test("QueueDelayReporter: reports the worst wait since the last report, and a chunk still running keeps growing", async () => {
  let now = 10_000;
  const writes: [string, string, string][] = [];
  const redis = { hset: async (key: string, field: string, value: string) => void writes.push([key, field, value]) } as never;
  const reporter = new QueueDelayReporter(redis, "matcher", 60_000, undefined, () => now);
  try {
    const done = reporter.chunkStarted(now - 30);
    now += 20;
    assert.equal(reporter.current(), 50, "30 ms in Kafka + 20 ms in progress");
    done();
    await reporter.report();
    assert.equal(writes[0][0], QUEUE_DELAY_KEY);
    assert.match(writes[0][1], /^matcher\//);
    assert.equal(writes[0][2], `50:${now}`, "the worst since the last report, though the chunk is done");
    await reporter.report();
    assert.equal(writes[1][2], `0:${now}`, "nothing waited since");
    reporter.chunkStarted(Number.NaN); // a record without a timestamp counts from now
    now += 5;
    assert.equal(reporter.current(), 5);
  } finally {
    reporter.close();
  }
});

function fakeReports(delayMs: () => number, now: () => number) {
  const calls = { hgetall: 0, hdel: [] as string[] };
  const redis = {
    hgetall: async () => {
      calls.hgetall++;
      const d = delayMs();
      if (d < 0) throw new Error("Redis away");
      return { "decoder/x:1": `${d}:${now()}`, "decoder/gone:2": `0:${now() - 120_000}` };
    },
    hdel: async (_key: string, ...fields: string[]) => {
      calls.hdel.push(...fields);
      return fields.length;
    },
  };
  return { redis, calls };
}

test("BulkGate: nothing let in while the pipeline is behind; under the target, batches in arrival order at a rate that climbs; 'busy' past the longest wait", async () => {
  let delay = 500;
  const { redis, calls } = fakeReports(() => delay, Date.now);
  const gate = new BulkGate(redis, { targetMs: 60, pollMs: 5, minLinesPerSecond: 1_000 });
  const order: string[] = [];
  const a = gate.admit(10, 30_000).then(() => order.push("a"));
  const b = gate.admit(10, 30_000).then(() => order.push("b"));
  // However slow the machine: wait for a few readings, not for a time.
  for (let i = 0; i < 2_000 && calls.hgetall < 3; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(calls.hgetall >= 3, "read again while batches wait");
  assert.deepEqual(order, [], "behind the target: nothing let in");
  assert.equal(gate.waiting, 2);
  assert.equal(gate.delayMs, 500);
  assert.equal(gate.linesPerSecond, 1_000, "over the target the rate stays at its floor");
  delay = 0;
  await Promise.all([a, b]);
  assert.deepEqual(order, ["a", "b"], "in arrival order");
  assert.ok(calls.hdel.includes("decoder/gone:2"), "reports of a stage gone for a minute are removed");
  // Far under the target the rate climbs reading after reading: a stream of batches gets in faster and faster.
  const before = gate.linesPerSecond;
  for (let i = 0; i < 20; i++) await gate.admit(50, 30_000);
  assert.ok(gate.linesPerSecond > before, `the rate climbed under the target (${before} -> ${gate.linesPerSecond} lines/s)`);
  const climbed = gate.linesPerSecond;
  delay = 500;
  await assert.rejects(gate.admit(10, 30), /pipeline busy/);
  assert.equal(gate.waiting, 0);
  assert.ok(gate.linesPerSecond < climbed, "over the target the rate comes down");
});

test("BulkGate: with Redis away nothing is paced (bulk still flows, only latency suffers)", async () => {
  const { redis } = fakeReports(() => -1, Date.now);
  const gate = new BulkGate(redis, { targetMs: 60, pollMs: 5 });
  await gate.admit(100, 1_000);
  assert.equal(gate.delayMs, 0);
});
