import assert from "node:assert/strict";
import test from "node:test";
import { arEvent, arTimestamp, formatArLine, formatInactiveLine } from "./report.js";

const at = new Date(2026, 11, 4, 14, 35, 2);

test("a block is written in Wazuh's active-response layout, as the contract shows it", () => {
  const line = formatArLine({ command: "add", program: "firewall-drop", ip: "203.0.113.9", commandId: "c1", alertId: "a1", ruleId: "100100", enforcer: "nftables", ttlSeconds: 60 }, "ubuntu", at);
  assert.equal(
    line,
    '2026/12/04 14:35:02 active-response/bin/firewall-drop: {"version":1,"origin":{"name":"ubuntu","module":"tld-agent"},"command":"add","parameters":{"program":"active-response/bin/firewall-drop","alert":{"id":"a1","rule":{"id":"100100"},"data":{"srcip":"203.0.113.9"}},"extra_args":[],"command_id":"c1","enforcer":"nftables","ttl_seconds":60}}',
  );
});

test("unblock, failure and manual (no alert) lines", () => {
  const unblock = formatArLine({ command: "delete", program: "netsh", ip: "2001:db8::9", commandId: "c2", alertId: null, ruleId: null, enforcer: "netsh", reason: "expired" }, "win", at);
  assert.match(unblock, /^2026\/12\/04 14:35:02 active-response\/bin\/netsh: \{/);
  const body = JSON.parse(unblock.slice(unblock.indexOf("{")));
  assert.deepEqual(body.parameters, { program: "active-response/bin/netsh", alert: { data: { srcip: "2001:db8::9" } }, extra_args: [], command_id: "c2", enforcer: "netsh", reason: "expired" });
  const failed = formatArLine({ command: "add", program: null, ip: null, commandId: null, alertId: null, ruleId: null, enforcer: null, error: 'invalid IP address "$(id)"' }, "ubuntu", at);
  assert.match(failed, /^\S+ \S+ active-response\/bin\/tld-agent: /);
  assert.equal(JSON.parse(failed.slice(failed.indexOf("{"))).parameters.error, 'invalid IP address "$(id)"');
  assert.doesNotMatch(failed, /"srcip"/, "a refused value is never given as srcip");
});

test("inactive firewall: the text rule 658 matches, one line, with the command's details as a JSON tail", () => {
  const line = formatInactiveLine({ command: "add", program: "firewall-drop", ip: "203.0.113.9", commandId: "c1", alertId: "a1", ruleId: "100100", enforcer: "nftables" }, "nft not found (install nftables)\nsecond line", at);
  assert.equal(line, '2026/12/04 14:35:02 active-response/bin/firewall-drop: firewall is inactive: nft not found (install nftables) second line {"command":"add","srcip":"203.0.113.9","command_id":"c1","alert_id":"a1","rule_id":"100100","enforcer":"nftables"}');
});

test("event ids are stable per outcome and bounded; timestamps are zero-padded local time", () => {
  const a = arEvent("001", "add:c1:123", "line", 5);
  assert.deepEqual(a, { id: a.id, location: "active-response", logFormat: "ar", message: "line", collectedAt: 5 });
  assert.equal(arEvent("001", "add:c1:123", "other", 6).id, a.id);
  assert.notEqual(arEvent("001", "expired:c1:123", "line", 5).id, a.id);
  assert.ok(arEvent("001", "x".repeat(10_000), "m", 1).id.length < 80);
  assert.equal(arTimestamp(new Date(2027, 0, 2, 3, 4, 5)), "2027/01/02 03:04:05");
});
