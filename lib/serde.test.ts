import { test } from "node:test";
import assert from "node:assert/strict";
import type { SchemaRegistryClient } from "@confluentinc/schemaregistry/dist/schemaregistry-client.js";
import { frame, schemaIdOf, SerdeError, TopicSerde } from "./serde.js";
import type { RawEvent } from "./records.js";

// The registry is only asked for our schema's id here; the integration tests use the real one.
const registry = { getId: async () => 4242 } as unknown as SchemaRegistryClient;
const event = (message: string): RawEvent => ({ id: "e", agent: { id: "1", name: "n", ip: null, os: null }, location: "l", logFormat: "apache", message, collectedAt: 1, receivedAt: 2 });
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

test("values are framed as byte 0, a big-endian schema id, then the Avro body", () => {
  const framed = frame(0x01020304, Buffer.from([9, 8]));
  assert.deepEqual([...framed], [0, 1, 2, 3, 4, 9, 8]);
  assert.equal(schemaIdOf(framed), 0x01020304);
});

test("anything else is a SerdeError, never a crash", () => {
  assert.throws(() => schemaIdOf(null), SerdeError);
  assert.throws(() => schemaIdOf(Buffer.from([0, 1])), SerdeError);
  assert.throws(() => schemaIdOf(Buffer.from([1, 0, 0, 0, 1, 2])), /magic byte 1/);
});

test("encode then decode gives the value back, for small values and ones larger than the scratch buffer", async () => {
  const serde = await new TopicSerde<RawEvent>(registry, "tld.events.raw").init();
  for (const message of ["short", "x".repeat(200_000)]) {
    const bytes = serde.encode(event(message));
    assert.equal(schemaIdOf(bytes), 4242);
    assert.deepEqual(plain(await serde.decode(bytes)), event(message));
  }
  const a = serde.encode(event("first"));
  serde.encode(event("second"));
  assert.deepEqual(plain(await serde.decode(a)), event("first"), "an encoded value does not share the scratch buffer");
});

test("a truncated body is a SerdeError naming the schema id", async () => {
  const serde = await new TopicSerde<RawEvent>(registry, "tld.events.raw").init();
  const bytes = serde.encode(event("hello"));
  await assert.rejects(serde.decode(bytes.subarray(0, bytes.length - 3)), /schema id 4242/);
});

test("an unknown writer schema id: the registry's 404 condemns the value, an unreachable registry only delays it", async () => {
  const asking = (failure: Error) => ({ getId: async () => 4242, getBySubjectAndId: async () => { throw failure; } }) as unknown as SchemaRegistryClient;
  const unknown = Object.assign(new Error("Subject not found"), { status: 404 });
  const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8081"), { code: "ECONNREFUSED" });
  const value = frame(777, Buffer.from([2, 0x61]));
  await assert.rejects(new TopicSerde<RawEvent>(asking(unknown), "tld.events.raw").decode(value), SerdeError);
  await assert.rejects(new TopicSerde<RawEvent>(asking(down), "tld.events.raw").decode(value), (err: Error) => err.name === "TransientError");
});
