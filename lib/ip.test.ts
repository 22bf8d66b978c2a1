import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalIp, formatIpv6, formatNetwork, isHostAddress, networkContains, parseIp, parseNetwork } from "./ip.js";

test("IPv4 addresses are kept in dotted-quad form", () => {
  assert.equal(canonicalIp("203.0.113.7"), "203.0.113.7");
  assert.equal(canonicalIp(" 198.51.100.1 "), "198.51.100.1");
});

test("IPv6 addresses are compressed and lower-cased; v4-mapped become IPv4", () => {
  assert.equal(canonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalIp("::ffff:192.0.2.5"), "192.0.2.5");
});

test("anything that is not an IP is refused", () => {
  for (const bad of ["", "-", "7", "10.1", "[::1]", "010.0.0.1", "1.2.3.4; rm -rf /", "$(reboot)", "256.1.1.1", "fe80::1%eth0", "a".repeat(500), null, undefined]) {
    assert.equal(canonicalIp(bad), null, String(bad));
  }
});

test("IP parsing: IPv4, IPv6 forms, IPv4-mapped IPv6 is the IPv4 address, junk is null", () => {
  assert.deepEqual(parseIp("10.0.0.1"), { version: 4, value: 0x0a000001 });
  assert.deepEqual(parseIp("::ffff:10.0.0.1"), { version: 4, value: 0x0a000001 });
  assert.equal(parseIp("2001:db8::1")?.version, 6);
  assert.equal(parseIp("2001:0db8:0000:0000:0000:0000:0000:0001")?.value, parseIp("2001:db8::1")?.value);
  assert.equal(parseIp("::1")?.value, 1n);
  assert.equal(parseIp("fe80::1%eth0")?.version, 6);
  for (const bad of ["256.1.1.1", "1.2.3", "01.2.3.4", "abc", "1:2:3", "1::2::3", ""]) assert.equal(parseIp(bad), null, bad);
});

test("networks: CIDR of any length, Wazuh prefix keys, host bits cleared", () => {
  const net = parseNetwork("192.168.10.77/20");
  assert.ok(net);
  assert.equal(networkContains(net, parseIp("192.168.15.255")!), true);
  assert.equal(networkContains(net, parseIp("192.168.16.0")!), false);
  assert.deepEqual(parseNetwork("10.1."), { version: 4, base: 0x0a010000, prefix: 16 });
  assert.deepEqual(parseNetwork("10."), { version: 4, base: 0x0a000000, prefix: 8 });
  assert.equal(parseNetwork("1.2.3.4/33"), null);
  const v6 = parseNetwork("2001:db8::/32");
  assert.ok(v6);
  assert.equal(networkContains(v6, parseIp("2001:db8:ffff::9")!), true);
  assert.equal(networkContains(v6, parseIp("2001:db9::9")!), false);
  assert.equal(networkContains(v6, parseIp("10.0.0.1")!), false);
});

test("IPv6 text is RFC 5952: lower case, longest zero run compressed, a lone zero group kept", () => {
  const v6 = (s: string) => formatIpv6(parseIp(s)!.value as bigint);
  assert.equal(v6("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  assert.equal(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assert.equal(v6("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1", "the longer run is compressed");
  assert.equal(v6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4", "on a tie, the first run");
  assert.equal(v6("::"), "::");
  assert.equal(v6("::1"), "::1");
  assert.equal(v6("1::"), "1::");
  assert.equal(formatNetwork(parseNetwork("2001:db8::/32")!), "2001:db8::/32");
  assert.equal(formatNetwork(parseNetwork("10.1.")!), "10.1.0.0/16");
  assert.equal(formatNetwork(parseNetwork("1.2.3.4/32")!), "1.2.3.4");
  assert.equal(formatNetwork(parseNetwork("192.168.10.77/20")!), "192.168.0.0/20");
});

test("host addresses: unspecified, broadcast and multicast are no single host's; everything else is", () => {
  for (const ip of ["0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250", "::", "ff02::1", "ff05::1:3", "::ffff:0.0.0.0", "::ffff:224.0.0.251"]) assert.equal(isHostAddress(parseIp(ip)!), false, ip);
  for (const ip of ["203.0.113.9", "0.0.0.1", "255.255.255.254", "223.255.255.255", "240.0.0.1", "::1", "127.0.0.1", "2001:db8::1", "fe80::1", "feff::1"]) assert.equal(isHostAddress(parseIp(ip)!), true, ip);
});

test("hostile and odd texts are no canonical IP, however long", () => {
  const hostile = [
    "1.2.3.4;reboot", "$(id)", "`id`", "--flush", "-j ACCEPT", "1.2.3.4 -j ACCEPT", "1.2.3.4\nflush ruleset", "0.0.0.0/0", "::/0",
    "010.1.1.1", "1.2.3.04", "0x7f.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", "[::1]", "[::1]:80",
    "2001:db8:::1", "2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.256", "::ffff:01.2.3.4", "١٢٣.1.1.1", "1.2.3.4\u0000",
    "1".repeat(100_000) + ".2.3.4", "::" + "0:".repeat(50_000) + "1", "ffff:".repeat(50_000), "1.2.3.4" + "0".repeat(100_000),
  ];
  for (const text of hostile) assert.equal(canonicalIp(text), null, JSON.stringify(text.slice(0, 40)));
});
