import { test } from "node:test";
import assert from "node:assert/strict";
import { AllowList } from "./allowList.js";
import { addCommandOf, blockableIp, commandId, deleteCommandOf, toView, type StoredBlock } from "./blocks.js";

const block: StoredBlock = {
  agentId: "001", ip: "203.0.113.9", program: "firewall-drop", ruleId: "100100", alertId: "ev-1:100100", commandId: "c1",
  createdAt: 1_000, expiresAt: 61_000, hits: 1, manual: false, step: 0, ttlSeconds: 60, commandCreatedAt: 1_000, rev: 3,
};

test("blockableIp: canonical single hosts only; hostile text is refused with a bounded echo", () => {
  assert.deepEqual(blockableIp("203.0.113.9"), { ip: "203.0.113.9" });
  assert.deepEqual(blockableIp("2001:DB8::0:1"), { ip: "2001:db8::1" });
  assert.deepEqual(blockableIp("::ffff:198.51.100.7"), { ip: "198.51.100.7" });
  for (const bad of ["", null, undefined, "1.2.3.4;reboot", "$(id)", "--flush", "01.02.03.04", "fe80::1%eth0", "y".repeat(10_000), "0.0.0.0", "::", "255.255.255.255", "239.1.1.1", "ff05::2"]) {
    const result = blockableIp(bad);
    assert.ok("error" in result, String(bad));
    assert.ok(result.error.length < 160, "bounded");
  }
});

test("commandId is a stable function of its parts", () => {
  assert.equal(commandId("001", "1.2.3.4", "add", "a"), commandId("001", "1.2.3.4", "add", "a"));
  assert.notEqual(commandId("001", "1.2.3.4", "add", "a"), commandId("001", "1.2.3.4", "add", "b"));
  // Parts are separated, so ("ab", "c") and ("a", "bc") differ.
  assert.notEqual(commandId("ab", "c"), commandId("a", "bc"));
});

test("the add rebuilt from a block is the command that set its expiry; its delete lasts as long as the block", () => {
  assert.deepEqual(addCommandOf(block), { id: "c1", agentId: "001", action: "add", program: "firewall-drop", ip: "203.0.113.9", ttlSeconds: 60, expiresAt: 61_000, alertId: "ev-1:100100", ruleId: "100100", createdAt: 1_000 });
  const del = deleteCommandOf(block, 5_000);
  assert.deepEqual([del.action, del.ttlSeconds, del.expiresAt, del.createdAt, del.program], ["delete", 0, 61_000, 5_000, "firewall-drop"]);
  assert.equal(del.id, deleteCommandOf(block, 9_999).id, "the unblock of one block has one id");
  assert.deepEqual(toView(block, 31_000).timeLeftMs, 30_000);
});

test("allow-list: interfaces are read again after a minute, configured entries always hold", () => {
  let clock = 0;
  let address = "198.51.100.1";
  const interfaces = () => ({ eth0: [{ address, netmask: "255.255.255.0", family: "IPv4" as const, mac: "", internal: false, cidr: null }] });
  const list = new AllowList({ allowList: ["10.0.0.0/8"], managerAddresses: [] }, interfaces, () => clock);
  assert.equal(list.covering("198.51.100.1")?.reason, "manager address");
  address = "198.51.100.2";
  assert.equal(list.covering("198.51.100.2"), null, "cached for a minute");
  clock = 61_000;
  assert.equal(list.covering("198.51.100.2")?.reason, "manager address");
  assert.equal(list.covering("10.9.8.7")?.entry, "10.0.0.0/8");
  assert.equal(list.covering("11.0.0.1"), null);
  assert.throws(() => new AllowList({ allowList: ["nope"], managerAddresses: [] }), /not an IP address or CIDR/);
});
