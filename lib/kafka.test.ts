import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

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
