import { test } from "node:test";
import assert from "node:assert/strict";
import { ceilingWithout, designCeiling } from "./ceiling.js";

const kafka = { produceUs: 6, consumeUs: 5, brokerProduceUs: 2, brokerConsumeUs: 0.5 };

test("the floor adds every hop, the alert share read by each reader, parsing, rules and indexing", () => {
  const ceiling = designCeiling({ cores: 2, alertsPerLine: 0.5, alertReaders: 2, kafka, decodeUs: 5, rulesUs: 8, indexUs: 30 });
  // A hop read once: 6 + 2 + 5.5 = 13.5. Alerts: half a line's worth of 6 + 2 + 2 x 5.5 = 19.
  assert.deepEqual(ceiling.parts, { raw_hop: 13.5, decoded_hop: 13.5, alerts_hop: 9.5, decode: 5, rules: 8, alert_index: 15 });
  assert.equal(ceiling.floorUsPerLine, 64.5);
  assert.equal(ceiling.eventsPerSecond, Math.round(2e6 / 64.5));
});

test("lifting one part gives the ceiling of the rest", () => {
  const ceiling = designCeiling({ cores: 2, alertsPerLine: 0, alertReaders: 2, kafka, decodeUs: 5, rulesUs: 8, indexUs: 30 });
  assert.equal(ceiling.floorUsPerLine, 40);
  assert.equal(ceiling.eventsPerSecond, 50_000);
  assert.equal(ceilingWithout(ceiling, 2, ["raw_hop"]), Math.round(2e6 / 26.5));
  assert.equal(ceilingWithout(ceiling, 4, ["rules"]), Math.round(4e6 / 32));
  assert.equal(ceilingWithout(ceiling, 2, ["raw_hop", "rules"]), Math.round(2e6 / 18.5));
});
