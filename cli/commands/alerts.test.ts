import { test } from "node:test";
import assert from "node:assert/strict";
import { alertsTable, caretUnder } from "./alerts.js";

test("a bad query is shown with a caret under the position the API named", () => {
  assert.equal(caretUnder("rule.id:(651 OR", 15), "  rule.id:(651 OR\n                 ^");
  assert.equal(caretUnder("x", 99), "  x\n   ^", "a position past the end points at the end");
});

test("the table has one line per alert and cuts long descriptions to the terminal", () => {
  const alert = { id: "1", timestamp: "2026-12-04T10:00:00.000Z", rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database." }, agent: { name: "ubuntu" }, data: { srcip: "203.0.113.77" } };
  const lines = alertsTable([alert, { ...alert, data: {} }], 80).split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^TIME\s+AGENT\s+RULE\s+LEVEL\s+SRCIP\s+DESCRIPTION$/);
  assert.match(lines[1], /^2026-12-04 10:00:00\.000\s+ubuntu\s+100100\s+10\s+203\.0\.113\.77\s+IP address/);
  assert.ok(lines.every((l) => l.length <= 80), "fits 80 columns");
});
