import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTimeLeft } from "./blocks.js";

test("time left reads as a person says it, rounded up to the second", () => {
  assert.deepEqual([1, 999, 45_000, 59_001].map(formatTimeLeft), ["1s", "1s", "45s", "1m 00s"]);
  assert.deepEqual([570_000, 3_600_000, 7_500_000, 90_000_000].map(formatTimeLeft), ["9m 30s", "1h 00m", "2h 05m", "1d 01h"]);
});
