// A replayed access log reaches tld.events.decoded through the real collector, Kafka, registry and decoder;
// an outside client (kcat) sees Confluent wire-format values whose schema id the registry resolves, keyed by srcip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { accessLine, config, readTopicWithKcat, runTag, tempFile, tld, waitFor } from "./harness/tools.js";
import { avroType } from "../lib/schemas.js";
import type { DecodedEvent } from "../lib/records.js";

test("tld replay → collector → tld.events.raw → decoder → tld.events.decoded, keyed by srcip, wire format", async () => {
  const tag = runTag();
  const lines = Array.from({ length: 300 }, (_, i) => accessLine(`198.18.${tag}.${(i % 30) + 1}`, i));
  const file = tempFile("access.log", lines.join("\n") + "\n");
  const replay = JSON.parse((await tld("replay", file, "--format", "apache", "--agent", `it-pipeline-${tag}`, "--json")).stdout) as { lines: number };
  assert.equal(replay.lines, 300);

  const mine = await waitFor("300 decoded events from this run", () => {
    const records = readTopicWithKcat("tld.events.decoded").filter((r) => r.key.startsWith(`198.18.${tag}.`));
    return records.length >= 300 ? records : undefined;
  });

  const registry = config().registry.url;
  const decodedType = avroType("DecodedEvent");
  const schemaIds = new Set<number>();
  const seenUrls = new Set<string>();
  for (const record of mine) {
    assert.equal(record.value[0], 0, "magic byte");
    const id = record.value.readUInt32BE(1);
    schemaIds.add(id);
    const event = decodedType.fromBuffer(record.value.subarray(5)) as DecodedEvent;
    assert.equal(record.key, event.srcip, "key is the srcip");
    assert.equal(event.decoder, "web-accesslog");
    assert.equal(event.agent.name, `it-pipeline-${tag}`);
    assert.equal(event.fields.protocol, "GET");
    seenUrls.add(event.fields.url);
  }
  assert.equal(seenUrls.size, 300, "every line arrived");
  for (const id of schemaIds) {
    const res = await fetch(`${registry}/schemas/ids/${id}`);
    assert.equal(res.status, 200, `registry resolves schema id ${id}`);
    const body = (await res.json()) as { schema: string };
    assert.equal(JSON.parse(body.schema).name, "DecodedEvent");
  }
});
