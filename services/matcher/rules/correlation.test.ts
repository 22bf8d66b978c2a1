import { test } from "node:test";
import assert from "node:assert/strict";
import { InMemoryCorrelationStore } from "./correlation.js";

test("in-memory correlation: keys whose window has passed are swept, live ones kept and still counted", () => {
  const store = new InMemoryCorrelationStore();
  store.add("live", 0, "", 1_000_000); // a long window: must survive
  for (let i = 0; i < 100_000; i++) store.add(`once-${i}`, i * 10, "", 60_000); // 1000 s of one-off sources
  // Only keys seen within the last 60 s of event time (6000 of them) and the long-lived one remain.
  assert.ok(store.size <= 6_000 + 10_000 + 1, `held ${store.size} keys`);
  assert.ok(store.size > 6_000, "keys inside their window are kept");
  assert.equal(store.count("live", 0, false), 1);
  store.add("live", 999_000, "x", 1_000_000);
  assert.equal(store.count("live", 0, true), 2);
});
