import assert from "node:assert/strict";
import test from "node:test";
import { blockEnd, parseCommand } from "./command.js";

const wire = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ id: "c0ffee01", action: "add", program: "firewall-drop", ip: "203.0.113.9", ttlSeconds: 60, expiresAt: 1_796_400_060_000, alertId: "a1", ruleId: "100100", createdAt: 1_796_400_000_000, ...over });

test("a well-formed command is read with its IP made a canonical firewall address", () => {
  const parsed = parseCommand(wire({ ip: "2001:DB8::0:9" }));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.command, { id: "c0ffee01", action: "add", program: "firewall-drop", address: { ip: "2001:db8::9", version: 6 }, ttlSeconds: 60, expiresAt: 1_796_400_060_000, alertId: "a1", ruleId: "100100" });
  const manual = parseCommand(wire({ alertId: null, ruleId: null }));
  assert.ok(manual.ok && manual.command.alertId === null && manual.command.ruleId === null);
});

test("hostile IP values are refused with the reason, keeping what is needed to ack and report", () => {
  for (const ip of ["1.2.3.4;reboot", "$(id)", "--flush", "9".repeat(5000), "fe80::1%eth0", "::ffff:1.2.3.999", "010.0.0.1", "1.2.3.4 5.6.7.8", "0.0.0.0/0", "0.0.0.0", "::", "255.255.255.255", "ff02::1"]) {
    const parsed = parseCommand(wire({ ip }));
    assert.ok(!parsed.ok, ip);
    assert.equal(parsed.refused.id, "c0ffee01");
    assert.equal(parsed.refused.program, "firewall-drop");
    assert.equal(parsed.refused.ruleId, "100100");
    assert.ok(parsed.refused.reason.length < 400, "a long value is cut in the reason");
  }
  const p = parseCommand(wire({ ip: "1.2.3.4;reboot" }));
  assert.ok(!p.ok && p.refused.reason === 'invalid IP address "1.2.3.4;reboot": not a single IPv4 or IPv6 address');
});

test("bad fields, bad JSON and hostile program names are refused", () => {
  const cases: [string, RegExp][] = [
    [wire({ action: "flush" }), /action/],
    [wire({ program: "../../bin/sh" }), /program/],
    [wire({ program: "firewall-drop;id" }), /program/],
    [wire({ ttlSeconds: -1 }), /ttlSeconds/],
    [wire({ id: "a b" }), /id may hold/],
    [wire({ ip: 42 }), /ip/],
    ["not json", /not JSON/],
    ["[1,2]", /invalid command/],
  ];
  for (const [data, reason] of cases) {
    const parsed = parseCommand(data);
    assert.ok(!parsed.ok, data);
    assert.match(parsed.refused.reason, reason);
  }
  const badProgram = parseCommand(wire({ program: "../../bin/sh" }));
  assert.ok(!badProgram.ok && badProgram.refused.program === null, "a hostile program name is not echoed as a program");
  const badId = parseCommand(wire({ id: "a b" }));
  assert.ok(!badId.ok && badId.refused.id === "a b", "an odd but bounded id is still acked");
});

test("blockEnd trusts expiresAt when the clocks agree, else counts ttlSeconds from arrival", () => {
  const sentAt = 1_000_000;
  // ttlSeconds is the time left at send time, rounded up: 57.3 s left -> 58.
  assert.deepEqual(blockEnd({ expiresAt: sentAt + 57_300, ttlSeconds: 58 }, sentAt + 20), { endsAt: sentAt + 57_300, clockAgrees: true });
  // Our clock runs 30 s ahead: expiresAt would end the block 30 s early.
  assert.deepEqual(blockEnd({ expiresAt: sentAt + 60_000, ttlSeconds: 60 }, sentAt + 30_000), { endsAt: sentAt + 90_000, clockAgrees: false });
  // ... or 30 s behind.
  assert.deepEqual(blockEnd({ expiresAt: sentAt + 60_000, ttlSeconds: 60 }, sentAt - 30_000), { endsAt: sentAt + 30_000, clockAgrees: false });
  // A late add: its end has passed and the clocks agree.
  assert.ok(blockEnd({ expiresAt: sentAt - 10, ttlSeconds: 1 }, sentAt + 1).endsAt <= sentAt + 1);
  assert.ok(blockEnd({ expiresAt: sentAt - 10, ttlSeconds: 0 }, sentAt).endsAt <= sentAt);
  // ttlSeconds 0 (one-shot): only expiresAt tells.
  assert.deepEqual(blockEnd({ expiresAt: sentAt + 600_000, ttlSeconds: 0 }, sentAt), { endsAt: sentAt + 600_000, clockAgrees: true });
});
