import { test } from "node:test";
import assert from "node:assert/strict";
import type { KafkaMessage } from "kafkajs";
import pino from "pino";
import { processChunk, TransientError } from "./consume.js";
import type { TopicSerde } from "./serde.js";
import type { DeadLetter } from "./records.js";

// Stand-ins for the registry-backed serdes: the input "decodes" JSON, the DLQ "encodes" to JSON.
const input = { topic: "tld.events.raw", decode: async (b: Buffer | null) => JSON.parse(String(b)) as { n: number } } as unknown as TopicSerde<{ n: number }>;
const dlq = { encode: (d: DeadLetter) => Buffer.from(JSON.stringify(d)) } as unknown as TopicSerde<DeadLetter>;
const msg = (offset: string, value: string): KafkaMessage => ({ offset, key: Buffer.from("k" + offset), value: Buffer.from(value), timestamp: "0", attributes: 0, headers: {} }) as KafkaMessage;

test("outputs keep input order; undecodable and failing inputs become dead letters with their bytes", async () => {
  const { out, dead } = await processChunk(
    {
      stage: "decoder",
      input,
      dlq,
      log: pino({ level: "silent" }),
      handle: (v) => {
        if (v.n === 3) throw new Error("three is not allowed");
        return [{ topic: "out", key: String(v.n), value: Buffer.from(String(v.n * 10)) }];
      },
    },
    "tld.events.raw",
    4,
    [msg("10", '{"n":1}'), msg("11", "{garbage"), msg("12", '{"n":3}'), msg("13", '{"n":2}')],
  );
  assert.equal(dead, 2);
  assert.deepEqual(out.map((r) => r.topic), ["out", "tld.dlq", "tld.dlq", "out"]);
  assert.deepEqual(out.filter((r) => r.topic === "out").map((r) => String(r.value)), ["10", "20"]);
  const letters = out.filter((r) => r.topic === "tld.dlq").map((r) => JSON.parse(String(r.value)) as DeadLetter & { value: { data: number[] } });
  assert.equal(letters[0].sourceOffset, "11");
  assert.equal(letters[0].sourcePartition, 4);
  assert.equal(Buffer.from(letters[0].value.data).toString(), "{garbage");
  assert.match(letters[1].error, /three is not allowed/);
  assert.equal(String(out[1].key), "k11", "dead letters keep the original key");
});

test("prefetch sees the chunk's decodable inputs before any is handled; a failing prefetch fails the chunk", async () => {
  const seen: string[] = [];
  const options = {
    stage: "matcher",
    input,
    dlq,
    log: pino({ level: "silent" }),
    prefetch: async (inputs: { n: number }[]) => {
      seen.push(`prefetch ${inputs.map((i) => i.n).join(",")}`);
    },
    handle: (v: { n: number }) => {
      seen.push(`handle ${v.n}`);
      return [];
    },
  };
  await processChunk(options, "t", 0, [msg("1", '{"n":1}'), msg("2", "{bad"), msg("3", '{"n":3}')]);
  assert.deepEqual(seen, ["prefetch 1,3", "handle 1", "handle 3"]);
  const failing = { ...options, prefetch: async () => { throw new Error("redis away"); } };
  await assert.rejects(processChunk(failing, "t", 0, [msg("1", '{"n":1}')]), /redis away/);
});

test("a TransientError from the handler fails the chunk (retried) instead of dead-lettering the input", async () => {
  const options = {
    stage: "matcher",
    input,
    dlq,
    log: pino({ level: "silent" }),
    handle: () => {
      throw new TransientError("correlation store unavailable");
    },
  };
  await assert.rejects(processChunk(options, "t", 0, [msg("1", '{"n":1}')]), TransientError);
});

test("a sink gets the chunk's accepted inputs after the handler ran; a failing sink fails the chunk", async () => {
  const seen: string[] = [];
  const options = {
    stage: "dashboard",
    input,
    dlq,
    log: pino({ level: "silent" }),
    handle: (v: { n: number }) => {
      if (v.n === 2) throw new Error("two is refused");
      seen.push(`handle ${v.n}`);
      return [];
    },
    sink: async (accepted: { n: number }[]) => {
      seen.push(`sink ${accepted.map((a) => a.n).join(",")}`);
    },
  };
  const { out, dead } = await processChunk(options, "t", 0, [msg("1", '{"n":1}'), msg("2", '{"n":2}'), msg("3", "{bad"), msg("4", '{"n":4}')]);
  assert.deepEqual(seen, ["handle 1", "handle 4", "sink 1,4"]);
  assert.equal(dead, 2);
  assert.equal(out.length, 2, "only the dead letters are published");
  const failing = { ...options, sink: async () => { throw new Error("postgres away"); } };
  await assert.rejects(processChunk(failing, "t", 0, [msg("1", '{"n":1}')]), /postgres away/);
});

test("a decode that fails for an outage (TransientError) retries the chunk instead of dead-lettering it", async () => {
  const flaky = { topic: "tld.events.raw", decode: async () => { throw new TransientError("the registry could not be asked"); } } as unknown as TopicSerde<{ n: number }>;
  await assert.rejects(
    processChunk({ stage: "decoder", input: flaky, dlq, log: pino({ level: "silent" }), handle: () => [] }, "tld.events.raw", 0, [msg("1", '{"n":1}')]),
    TransientError,
  );
});

test("with a concurrency key, different keys are handled at once, one key in input order, outputs in input order", async () => {
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const release: (() => void)[] = [];
  const chunk = processChunk(
    {
      stage: "responder",
      input,
      dlq,
      log: pino({ level: "silent" }),
      concurrencyKey: (v) => String(v.n % 2), // two lanes: odd and even
      handle: async (v) => {
        started.push(v.n);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        if (v.n === 4) throw new Error("four is not allowed");
        return [{ topic: "out", key: null, value: Buffer.from(String(v.n)) }];
      },
    },
    "tld.alerts",
    0,
    [1, 2, 3, 4, 5].map((n, i) => msg(String(i), JSON.stringify({ n }))),
  );
  // Let each handler that is waiting finish, one at a time, until the chunk is done.
  let done = false;
  void chunk.finally(() => (done = true));
  while (!done) {
    await new Promise((r) => setImmediate(r));
    release.shift()?.();
  }
  const { out, dead } = await chunk;
  assert.equal(maxInFlight, 2, "one input per lane at a time, both lanes at once");
  assert.deepEqual(started.filter((n) => n % 2 === 1), [1, 3, 5], "one key's inputs in order");
  assert.deepEqual(started.filter((n) => n % 2 === 0), [2, 4]);
  assert.equal(dead, 1);
  assert.deepEqual(out.map((r) => (r.topic === "out" ? String(r.value) : r.topic)), ["1", "2", "3", "tld.dlq", "5"]);
});

test("with a concurrency key, a TransientError fails the chunk only after the handlers already running finished", async () => {
  let finished = 0;
  const options = {
    stage: "responder",
    input,
    dlq,
    log: pino({ level: "silent" }),
    concurrencyKey: (v: { n: number }) => String(v.n),
    handle: async (v: { n: number }) => {
      if (v.n === 1) throw new TransientError("redis away");
      await new Promise((r) => setTimeout(r, 20));
      finished++;
      return [];
    },
  };
  await assert.rejects(processChunk(options, "t", 0, [msg("1", '{"n":1}'), msg("2", '{"n":2}'), msg("3", '{"n":3}')]), TransientError);
  assert.equal(finished, 2, "the other lanes' handlers had completed when the chunk failed");
});

test("given a publish step, the sink and the publish run at once; a failure of either fails the chunk only after both settled", async () => {
  const events: string[] = [];
  const gate = () => {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  };
  const sinkGate = gate();
  const options = {
    stage: "matcher",
    input,
    dlq,
    log: pino({ level: "silent" }),
    handle: (v: { n: number }) => [{ topic: "out", key: null, value: Buffer.from(String(v.n)) }],
    sink: async () => {
      events.push("sink started");
      await sinkGate.opened;
      events.push("sink done");
    },
  };
  const publishing = processChunk(options, "t", 0, [msg("1", '{"n":1}')], async (out) => {
    events.push(`publish ${out.length}`);
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ["sink started", "publish 1"], "the publish did not wait for the sink");
  sinkGate.open();
  await publishing;
  assert.deepEqual(events.at(-1), "sink done");

  const slowSink = gate();
  let sinkFinished = false;
  const failing = processChunk({ ...options, sink: async () => { await slowSink.opened; sinkFinished = true; } }, "t", 0, [msg("1", '{"n":1}')], async () => {
    throw new Error("broker away");
  });
  let settled = false;
  failing.catch(() => undefined).finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(settled, false, "still waiting for the sink");
  slowSink.open();
  await assert.rejects(failing, /broker away/);
  assert.equal(sinkFinished, true);
});
