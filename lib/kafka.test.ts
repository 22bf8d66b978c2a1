import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { EventEmitter } from "node:events";
import type { Consumer, Kafka } from "kafkajs";
import pino from "pino";
import { Publisher, runLastingConsumer } from "./kafka.js";

const require = createRequire(import.meta.url);

test("kafkajs carries our linear per-partition grouping patch (patches/kafkajs+2.2.4.patch), with order kept", () => {
  const group = require("kafkajs/src/producer/groupMessagesPerPartition.js") as (a: object) => Record<string, { n: number }[]>;
  const source = require("node:fs").readFileSync(require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js"), "utf8") as string;
  assert.match(source, /Patched by ThreatLockDown/, "npm ci applies the patch through postinstall");
  const messages = Array.from({ length: 10 }, (_, n) => ({ n }));
  const grouped = group({ topic: "t", partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }], messages, partitioner: ({ message }: { message: { n: number } }) => message.n % 2 });
  assert.deepEqual(grouped["0"].map((m) => m.n), [0, 2, 4, 6, 8]);
  assert.deepEqual(grouped["1"].map((m) => m.n), [1, 3, 5, 7, 9]);
});

test("kafkajs's partitioner after our patch: Kafka's own murmur2 test vectors, so keys land where Java clients put them", () => {
  const murmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: string) => number;
  // From Kafka's UtilsTest.testMurmur2.
  const vectors: [string, number][] = [["21", -973932308], ["foobar", -790332482], ["a-little-bit-long-string", -985981536], ["a-little-bit-longer-string", -1486304829], ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971], ["abc", 479470107]];
  for (const [key, hash] of vectors) assert.equal(murmur2(key), hash, key);
});

/** Stand-ins for kafkajs consumers: each records whether it was disconnected and emits what a test makes it. */
function fakeConsumers() {
  const made: { emitter: EventEmitter; disconnected: boolean }[] = [];
  const create = () => {
    const emitter = new EventEmitter();
    const entry = { emitter, disconnected: false };
    made.push(entry);
    return {
      events: { GROUP_JOIN: "join", CRASH: "crash", FETCH_START: "fetch", START_BATCH_PROCESS: "batch" },
      on: (event: string, fn: (e: unknown) => void) => emitter.on(event, fn),
      connect: async () => undefined,
      disconnect: async () => {
        entry.disconnected = true;
      },
    } as unknown as Consumer;
  };
  return { made, create };
}

test("a consumer kafkajs gives up on after a crash is replaced by a new one, started again", async () => {
  const { made, create } = fakeConsumers();
  const started: number[] = [];
  const crashes: boolean[] = [];
  const lasting = await runLastingConsumer(create, async () => void started.push(made.length), pino({ level: "silent" }), { onCrash: (_e, rebuilding) => crashes.push(rebuilding) });
  made[0].emitter.emit("crash", { payload: { error: new Error("Failed to find group coordinator"), restart: false } });
  await new Promise((r) => setTimeout(r, 700)); // the first backoff is 500 ms
  assert.deepEqual(started, [1, 2], "a second consumer was made and started");
  assert.equal(made[0].disconnected, true);
  assert.deepEqual(crashes, [true]);
  // A crash kafkajs restarts itself is left to it.
  made[1].emitter.emit("crash", { payload: { error: new Error("retriable"), restart: true } });
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(made.length, 2);
  await lasting.disconnect();
  assert.equal(made[1].disconnected, true);
});

test("runLastingConsumer replaces a consumer that has started no fetch for the stall time", async () => {
  const { made, create } = fakeConsumers();
  const lasting = await runLastingConsumer(create, async () => undefined, pino({ level: "silent" }), {}, 400);
  // The first consumer keeps fetching: it is left alone.
  for (let i = 0; i < 8; i++) {
    made[0].emitter.emit("fetch");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(made.length, 1, "a consumer that fetches is not replaced");
  // Then it goes silent: after the stall time and the first backoff (500 ms), a new one runs.
  await new Promise((r) => setTimeout(r, 1_300));
  assert.equal(made.length, 2, "the silent consumer was replaced");
  assert.equal(made[0].disconnected, true);
  made[1].emitter.emit("fetch");
  await lasting.disconnect();
  assert.equal(made[1].disconnected, true);
});

test("Publisher: publishes arriving while a send is in flight leave together in the next send, in order; a failed send fails each of its callers", async () => {
  const sends: { topic: string; values: string[] }[][] = [];
  let release: () => void = () => undefined;
  let failNext = false;
  const producer = {
    sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
      sends.push(topicMessages.map((t) => ({ topic: t.topic, values: t.messages.map((m) => m.value.toString()) })));
      await new Promise<void>((r) => (release = r));
      if (failNext) throw new Error("broker away");
    },
  };
  const publisher = new Publisher({ producer: () => producer } as unknown as Kafka);
  const rec = (topic: string, v: string) => ({ topic, key: null, value: Buffer.from(v) });
  const first = publisher.publish([rec("t", "a1")]);
  const second = publisher.publish([rec("t", "b1"), rec("u", "b2")]);
  const third = publisher.publish([rec("t", "c1")]);
  await new Promise((r) => setImmediate(r));
  assert.equal(sends.length, 1, "one request in flight");
  release();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sends[1], [{ topic: "t", values: ["b1", "c1"] }, { topic: "u", values: ["b2"] }], "b and c merged, each caller's order kept");
  failNext = true;
  release();
  await assert.rejects(second, /broker away/);
  await assert.rejects(third, /broker away/);

  failNext = false;
  const big = "x".repeat(500 * 1024);
  const p1 = publisher.publish([rec("t", "lead")]);
  const p2 = publisher.publish([rec("t", big)]);
  const p3 = publisher.publish([rec("t", big)]);
  await new Promise((r) => setImmediate(r));
  release();
  await p1;
  await new Promise((r) => setImmediate(r));
  assert.equal(sends.at(-1)?.[0].values.length, 1, "two 500 KB publishes do not share a request");
  release();
  await p2;
  await new Promise((r) => setImmediate(r));
  release();
  await p3;
  assert.equal(sends.length, 5);
  assert.deepEqual(await publisher.publish([]), undefined, "nothing to send: no request");
  assert.equal(sends.length, 5);
});
