import { test } from "node:test";
import assert from "node:assert/strict";
import { isWholeDay, parseTime } from "./time.js";

const NOW = Date.parse("2026-12-04T12:00:00Z");

test("times analysts type: ISO 8601 (UTC unless an offset says), epoch ms, now with an offset", () => {
  assert.equal(parseTime("2026-12-04", NOW), Date.parse("2026-12-04T00:00:00Z"));
  assert.equal(parseTime("2026-12-04T10:00:00Z", NOW), Date.parse("2026-12-04T10:00:00Z"));
  assert.equal(parseTime("2026-12-04T10:00", NOW), Date.parse("2026-12-04T10:00:00Z"));
  assert.equal(parseTime("2026-12-04 10:00:00.5", NOW), Date.parse("2026-12-04T10:00:00.500Z"));
  assert.equal(parseTime("2026-12-04T10:00:00+0200", NOW), Date.parse("2026-12-04T08:00:00Z"));
  assert.equal(parseTime("1796400000000", NOW), 1796400000000);
  assert.equal(parseTime("now", NOW), NOW);
  assert.equal(parseTime("now-24h", NOW), NOW - 86_400_000);
  assert.equal(parseTime("NOW - 15m", NOW), NOW - 900_000);
  assert.equal(parseTime("now+1d", NOW), NOW + 86_400_000);
  for (const bad of ["yesterday", "12/04/2026", "now-5y", "2026-13-45", "", "Tue, 04 Dec 2026"]) assert.equal(parseTime(bad, NOW), null, bad);
  assert.ok(isWholeDay("2026-12-04"));
  assert.ok(!isWholeDay("2026-12-04T00:00"));
});
