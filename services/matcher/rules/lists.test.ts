import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIp, parseNetwork, networkContains } from "./ip.js";
import { InMemoryListStore, parseListText } from "./lists.js";

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

test("list text: cdb with quoted keys and values, ipset with comments and CIDRs, plain; bad lines reported and skipped", () => {
  const cdb = parseListText('203.0.113.9:bad\n"2001:db8::1":v6\n10.1.:prefix\njustakey\n:novalue\n"open:x\n', "cdb");
  assert.deepEqual(cdb.entries, [
    { key: "203.0.113.9", value: "bad" },
    { key: "2001:db8::1", value: "v6" },
    { key: "10.1.", value: "prefix" },
    { key: "justakey", value: "" },
  ]);
  assert.deepEqual(cdb.errors.map((e) => e.line), [5, 6]);
  const ipset = parseListText("# FireHOL style\n\n1.2.3.4\n5.6.7.0/24 # trailing comment\nnot-an-ip\n2001:db8::/48\n", "ipset");
  assert.deepEqual(ipset.entries.map((e) => e.key), ["1.2.3.4", "5.6.7.0/24", "2001:db8::/48"]);
  assert.deepEqual(ipset.errors, [{ line: 5, text: "not-an-ip", reason: "not an IP address or CIDR" }]);
  assert.deepEqual(parseListText("a\r\n# c\nb\n", "plain").entries.map((e) => e.key), ["a", "b"]);
});

test("in-memory lists: exact and address lookups, most specific entry wins, replace swaps the whole list", () => {
  const store = new InMemoryListStore();
  store.replace("etc/lists/x", [
    { key: "203.0.113.9", value: "host" },
    { key: "198.51.100.0/24", value: "net24" },
    { key: "198.51.100.128/25", value: "net25" },
    { key: "10.1.", value: "prefix16" },
    { key: "2001:db8::/32", value: "v6net" },
    { key: "admin", value: "" },
  ]);
  assert.equal(store.lookup("etc/lists/x", "203.0.113.9", "address"), "host");
  assert.equal(store.lookup("etc/lists/x", "198.51.100.200", "address"), "net25");
  assert.equal(store.lookup("etc/lists/x", "198.51.100.20", "address"), "net24");
  assert.equal(store.lookup("etc/lists/x", "10.1.200.3", "address"), "prefix16");
  assert.equal(store.lookup("etc/lists/x", "::ffff:10.1.0.1", "address"), "prefix16");
  assert.equal(store.lookup("etc/lists/x", "2001:db8:1::2", "address"), "v6net");
  assert.equal(store.lookup("etc/lists/x", "10.2.0.1", "address"), undefined);
  assert.equal(store.lookup("etc/lists/x", "admin", "exact"), "");
  assert.equal(store.lookup("etc/lists/x", "Admin", "exact"), undefined);
  assert.equal(store.lookup("etc/lists/x", "198.51.100.20", "exact"), undefined, "exact lookups do not use CIDR");
  assert.equal(store.lookup("etc/lists/missing", "admin", "exact"), undefined);
  store.replace("etc/lists/x", [{ key: "1.1.1.1", value: "" }]);
  assert.equal(store.lookup("etc/lists/x", "203.0.113.9", "address"), undefined);
  store.add("etc/lists/x", [{ key: "2.2.2.0/24", value: "" }]);
  assert.equal(store.lookup("etc/lists/x", "2.2.2.2", "address"), "");
  store.remove("etc/lists/x", ["2.2.2.0/24"]);
  assert.equal(store.lookup("etc/lists/x", "2.2.2.2", "address"), undefined);
});
