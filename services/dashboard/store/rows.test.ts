import { test } from "node:test";
import assert from "node:assert/strict";
import type { Alert } from "../../../lib/records.js";
import { alertItem, alertRow, InvalidAlertError, MAX_LOG_CHARS } from "./rows.js";
import { autoInterval, decodeCursor, encodeCursor, fillBuckets, formatInterval, parseInterval, RequestError } from "./paging.js";

const alert: Alert = {
  id: "e1:100100",
  timestamp: Date.parse("2026-12-04T10:00:00.123Z"),
  rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"], firedtimes: 2 },
  agent: { id: "001", name: "ubuntu", ip: "192.0.2.10", os: "linux" },
  decoder: "web-accesslog",
  fields: { srcip: "203.0.113.77" },
  fullLog: "203.0.113.77 - - GET /",
  location: "/var/log/apache2/access.log",
  eventId: "e1",
};

test("an alert becomes a row and comes back as a Wazuh-shaped item", () => {
  const row = alertRow(alert);
  assert.equal(row.ts, "2026-12-04T10:00:00.123Z");
  const item = alertItem({ ...row, ts: new Date(row.ts), rule_firedtimes: "2" });
  assert.deepEqual(item, {
    id: "e1:100100",
    timestamp: "2026-12-04T10:00:00.123Z",
    rule: { id: "100100", level: 10, description: alert.rule.description, groups: ["attack"], firedtimes: 2 },
    agent: { id: "001", name: "ubuntu", ip: "192.0.2.10" },
    decoder: { name: "web-accesslog" },
    data: { srcip: "203.0.113.77" },
    location: "/var/log/apache2/access.log",
    full_log: "203.0.113.77 - - GET /",
  });
});

test("what PostgreSQL cannot hold is made storable; what makes no sense is refused", () => {
  const row = alertRow({ ...alert, fullLog: "a\u0000b\ud800c" + "x".repeat(MAX_LOG_CHARS), fields: { "k\u0000": "v\udc00" } });
  assert.ok(row.full_log.startsWith("a\ufffdb\ufffdc"));
  assert.match(row.full_log, /cut at 65536 characters\]$/);
  assert.deepEqual(row.data, { "k\ufffd": "v\ufffd" });
  assert.equal(alertRow({ ...alert, fullLog: "pair \ud83d\ude00 kept" }).full_log, "pair \ud83d\ude00 kept");
  assert.throws(() => alertRow({ ...alert, rule: { ...alert.rule, level: 17 } }), InvalidAlertError);
  assert.throws(() => alertRow({ ...alert, timestamp: Number.NaN }), InvalidAlertError);
  assert.throws(() => alertRow({ ...alert, id: "" }), InvalidAlertError);
});

test("cursors round-trip and refuse anything else, or another sort order", () => {
  const cursor = { ts: "2026-12-04T10:00:00.123000Z", id: "a'b", order: "desc" as const };
  assert.deepEqual(decodeCursor(encodeCursor(cursor), "desc"), cursor);
  assert.throws(() => decodeCursor(encodeCursor(cursor), "asc"), /sort order/);
  for (const bad of ["", "%%%", Buffer.from('["x","y","desc"]').toString("base64url"), Buffer.from("[1,2]").toString("base64url")]) {
    assert.throws(() => decodeCursor(bad, "desc"), RequestError);
  }
});

test("histogram intervals: about 60 round buckets, every bucket filled", () => {
  assert.equal(autoInterval(0, 86_400_000), 30 * 60_000, "24 h in 30-minute buckets");
  assert.equal(autoInterval(0, 3_600_000), 60_000);
  assert.equal(autoInterval(0, 10), 1_000);
  assert.equal(parseInterval("5m"), 300_000);
  assert.equal(parseInterval("1d"), 86_400_000);
  assert.equal(parseInterval("soon"), null);
  assert.equal(formatInterval(1_800_000), "30m");
  const buckets = fillBuckets(90_000, 300_000, 60_000, new Map([[120_000, 4]]));
  assert.deepEqual(buckets, [{ key: 60_000, count: 0 }, { key: 120_000, count: 4 }, { key: 180_000, count: 0 }, { key: 240_000, count: 0 }]);
});
