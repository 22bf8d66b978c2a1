// The agent's reports are read by the stock ruleset as the contract promises: through the stock decoder
// (ar_log_json) and rules, a block raises 651, an unblock 652, another program 657, an inactive firewall 658 and a
// refused or failed command 659, each carrying the blocked address. (The live path adds only Kafka around this.)
import assert from "node:assert/strict";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { createDecoderEngineFromDirs } from "../../services/decoder/wazuh/index.js";
import { InMemoryCorrelationStore } from "../../services/matcher/rules/correlation.js";
import { RuleEngine } from "../../services/matcher/rules/engine.js";
import { InMemoryListStore } from "../../services/matcher/rules/lists.js";
import { loadRuleDirs } from "../../services/matcher/rules/load.js";
import { formatArLine, formatInactiveLine, type ArResult } from "./report.js";

const ROOT = new URL("../../../", import.meta.url);
const decoders = createDecoderEngineFromDirs([fileURLToPath(new URL("ruleset/decoders", ROOT))]);
const rules = new RuleEngine(loadRuleDirs([fileURLToPath(new URL("ruleset/rules", ROOT))]), { lists: new InMemoryListStore(), correlation: new InMemoryCorrelationStore() });

function alertOf(line: string) {
  const d = decoders.decode(line);
  assert.equal(d.decoder, "ar_log_json", line);
  const match = rules.evaluate({ log: d.preDecoded.log, fullLog: d.preDecoded.fullLog, decoder: d.decoder, category: d.category, location: "active-response", fields: d.fields, timeMs: Date.now() });
  assert.ok(match && !(match instanceof Promise), line);
  return { id: match.id, description: match.description, fields: d.fields };
}

const at = new Date(2026, 11, 4, 14, 35, 2);
const base: Omit<ArResult, "command"> = { program: "firewall-drop", ip: "203.0.113.9", commandId: "c1", alertId: "a1", ruleId: "100100", enforcer: "nftables" };

test("block 651 and unblock 652 by firewall-drop, with address, alert and rule", () => {
  const block = alertOf(formatArLine({ command: "add", ...base, ttlSeconds: 60 }, "ubuntu", at));
  assert.deepEqual([block.id, block.description], ["651", "Host 203.0.113.9 blocked by firewall-drop active response."]);
  assert.equal(block.fields.srcip, "203.0.113.9");
  assert.equal(block.fields["parameters.alert.id"], "a1");
  assert.equal(block.fields["parameters.alert.rule.id"], "100100");
  assert.equal(block.fields["origin.name"], "ubuntu");
  const unblock = alertOf(formatArLine({ command: "delete", ...base, reason: "expired" }, "ubuntu", at));
  assert.deepEqual([unblock.id, unblock.fields.srcip], ["652", "203.0.113.9"]);
  const v6 = alertOf(formatArLine({ command: "add", ...base, ip: "2001:db8::9", ttlSeconds: 60 }, "ubuntu", at));
  assert.deepEqual([v6.id, v6.fields.srcip], ["651", "2001:db8::9"]);
});

test("netsh (or any other program) 657", () => {
  assert.equal(alertOf(formatArLine({ command: "add", ...base, program: "netsh", enforcer: "netsh", ttlSeconds: 60 }, "win", at)).description, "Active response: netsh - add 203.0.113.9");
  assert.equal(alertOf(formatArLine({ command: "delete", ...base, program: "netsh", enforcer: "netsh", reason: "expired" }, "win", at)).id, "657");
});

test("inactive firewall 658, still carrying the address", () => {
  const inactive = alertOf(formatInactiveLine({ command: "add", ...base }, "nft not found (install nftables)", at));
  assert.deepEqual([inactive.id, inactive.fields.srcip], ["658", "203.0.113.9"]);
  assert.equal(alertOf(formatInactiveLine({ ...base, ip: null, commandId: null, alertId: null, ruleId: null }, "netsh needs an elevated agent", at)).id, "658");
});

test("a refused or failed command is 659, never a block; a hostile value never becomes srcip", () => {
  const hostile = alertOf(formatArLine({ command: "add", ...base, ip: null, error: 'invalid IP address "1.2.3.4;reboot": not a single IPv4 or IPv6 address' }, "ubuntu", at));
  assert.deepEqual([hostile.id, hostile.fields.srcip], ["659", undefined]);
  assert.match(hostile.description, /^Active response firewall-drop failed: invalid IP address/);
  const failed = alertOf(formatArLine({ command: "delete", ...base, error: "nft could not unblock 203.0.113.9: Error: ..." }, "ubuntu", at));
  assert.deepEqual([failed.id, failed.fields.srcip], ["659", "203.0.113.9"]);
  assert.equal(alertOf(formatArLine({ command: "add", program: null, ip: null, commandId: null, alertId: null, ruleId: null, enforcer: null, error: "command is not JSON" }, "ubuntu", at)).id, "659");
});
