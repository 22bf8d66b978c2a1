import assert from "node:assert/strict";
import test from "node:test";
import { assertFirewallAddress, firewallAddress, type FirewallAddress } from "./enforcer.js";

test("firewallAddress keeps exactly one IP, in canonical form", () => {
  assert.deepEqual(firewallAddress("203.0.113.9"), { ip: "203.0.113.9", version: 4 });
  assert.deepEqual(firewallAddress("2001:DB8:0:0::1"), { ip: "2001:db8::1", version: 6 });
  assert.deepEqual(firewallAddress("::ffff:198.51.100.7"), { ip: "198.51.100.7", version: 4 }, "v4-mapped is the IPv4 address");
  assert.deepEqual(firewallAddress("2001:db8::192.0.2.1"), { ip: "2001:db8::c000:201", version: 6 });
  assert.deepEqual(firewallAddress("192.0.2.1\n"), { ip: "192.0.2.1", version: 4 }, "surrounding blanks are dropped, never passed on");
});

test("hostile and malformed values are refused", () => {
  const hostile = [
    "1.2.3.4;reboot",
    "$(id)",
    "`id`",
    "--flush",
    "-F",
    "1.2.3.4 -j ACCEPT",
    "1.2.3.4\nflush ruleset",
    "1.2.3.4/0",
    "010.1.1.1",
    "1.2.3.04",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "fe80::1%eth0",
    "[2001:db8::1]",
    "2001:db8:::1",
    "2001:db8::1::2",
    "1:2:3:4:5:6:7:8:9",
    "::ffff:1.2.3.256",
    "1".repeat(200),
    "2001:db8::" + "0:".repeat(40) + "1",
    "",
    " ",
    "{ 1.2.3.4 }",
    "0x7f.1.1.1",
    "١٢٣.1.1.1",
    // Addresses of no single host: blocking them matches no attacker and can cut the host off.
    "0.0.0.0",
    "::",
    "0:0:0:0:0:0:0:0",
    "::ffff:0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "FF05::2",
    "0.0.0.0/0",
    "::/0",
  ];
  for (const value of hostile) assert.equal(firewallAddress(value), null, JSON.stringify(value));
  for (const value of [null, undefined, 42, {}, ["1.2.3.4"]]) assert.equal(firewallAddress(value), null);
});

test("assertFirewallAddress refuses an address that did not come from firewallAddress", () => {
  assert.equal(assertFirewallAddress(firewallAddress("192.0.2.1")!), "192.0.2.1");
  assert.throws(() => assertFirewallAddress({ ip: "1.2.3.4;reboot", version: 4 } as unknown as FirewallAddress), /non-canonical/);
  assert.throws(() => assertFirewallAddress({ ip: "2001:DB8::1", version: 6 } as unknown as FirewallAddress), /non-canonical/);
});
