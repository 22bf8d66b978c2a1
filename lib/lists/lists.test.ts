import { test } from "node:test";
import assert from "node:assert/strict";
import { InMemoryListStore } from "./memory.js";
import { listName, ListNameError } from "./lookup.js";
import { parseListText } from "./parse.js";

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

test("in-memory lists: a rule's etc/lists/NAME and the bare NAME are one list; the matching entry is reported as written", () => {
  const store = new InMemoryListStore();
  store.replace("blacklist-alienvault", [{ key: "10.1.", value: "" }, { key: "198.18.0.0/22", value: "v" }]);
  assert.equal(store.has("etc/lists/blacklist-alienvault"), true);
  assert.deepEqual(store.names(), ["blacklist-alienvault"]);
  assert.deepEqual(store.match("etc/lists/blacklist-alienvault", "10.1.44.5", "address"), { entry: "10.1.", value: "" });
  assert.equal(store.match("./etc/lists/blacklist-alienvault", "10.10.4.5", "address"), undefined, "10.1. is not 10.10.");
  assert.deepEqual(store.match("blacklist-alienvault", "198.18.3.9", "address"), { entry: "198.18.0.0/22", value: "v" });
});

test("list names: both spellings resolve to one name; names that cannot be keys are refused", () => {
  assert.equal(listName("etc/lists/blacklist-alienvault"), "blacklist-alienvault");
  assert.equal(listName("./etc/lists/amazon/aws-eventnames"), "amazon/aws-eventnames");
  assert.equal(listName("bars-1m"), "bars-1m");
  for (const bad of ["", "etc/lists/", "a b", "x{y}", "../x", "a//b", "/abs", "x".repeat(201)]) {
    assert.throws(() => listName(bad), ListNameError, bad);
  }
});
