// Poison messages on tld.events.raw land whole in tld.dlq and the decoder keeps going.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessLine, config, readTopicWithKcat, runTag, tempFile, tld, waitFor } from "./harness/tools.js";
import { avroType } from "../lib/schemas.js";
import type { DeadLetter } from "../lib/records.js";

function produceRaw(topic: string, key: string, value: Buffer): void {
  const r = spawnSync("kcat", ["-P", "-b", config().kafka.brokers.join(","), "-t", topic, "-K", "\t"], { input: Buffer.concat([Buffer.from(key + "\t"), value]) });
  assert.equal(r.status, 0, r.stderr?.toString());
}

test("poison messages go to tld.dlq with their bytes and source; good events behind them still flow", async () => {
  const tag = `${runTag()}-${Date.now()}`;
  const poisons: Record<string, Buffer> = {
    [`poison-notavro-${tag}`]: Buffer.from("this is not avro"),
    [`poison-unknownid-${tag}`]: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]),
    [`poison-truncated-${tag}`]: Buffer.from([0, 0, 0, 0, 1, 0x80]),
  };
  for (const [key, value] of Object.entries(poisons)) produceRaw("tld.events.raw", key, value);
  const ipTag = runTag();
  const file = tempFile("after-poison.log", accessLine(`198.19.${ipTag}.77`, 1) + "\n");
  await tld("replay", file, "--agent", `it-dlq-${tag}`);

  const dead = await waitFor("three dead letters", () => {
    const found = readTopicWithKcat("tld.dlq").filter((r) => r.key.endsWith(tag));
    return found.length >= 3 ? found : undefined;
  });
  const type = avroType("DeadLetter");
  for (const record of dead) {
    assert.equal(record.value[0], 0, "dead letters are in the wire format too");
    const letter = type.fromBuffer(record.value.subarray(5)) as DeadLetter;
    assert.equal(letter.sourceTopic, "tld.events.raw");
    assert.equal(letter.stage, "decoder");
    assert.ok(letter.error.length > 0);
    assert.deepEqual(letter.value, poisons[record.key], "the original bytes are kept whole");
  }
  await waitFor("the good event after the poison", () =>
    readTopicWithKcat("tld.events.decoded").some((r) => r.key === `198.19.${ipTag}.77`) ? true : undefined,
  );
});
