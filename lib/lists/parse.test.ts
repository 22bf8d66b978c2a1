import { test } from "node:test";
import assert from "node:assert/strict";
import { guessListFormat, LineSplitter, parseListLine, parseListText } from "./parse.js";

test("lines are numbered from 1 however the chunks fall, LF or CRLF, with or without a final newline", () => {
  const text = "a\r\nbb\n\nccc\r\nlast";
  for (let size = 1; size <= text.length; size++) {
    const lines: [string, number][] = [];
    const splitter = new LineSplitter();
    const onLine = (line: string, n: number) => lines.push([line, n]);
    for (let i = 0; i < text.length; i += size) splitter.push(text.slice(i, i + size), onLine);
    splitter.end(onLine);
    assert.deepEqual(lines, [["a", 1], ["bb", 2], ["", 3], ["ccc", 4], ["last", 5]], `chunks of ${size}`);
  }
});

test("a parsed line carries its network: CIDR, prefix key, IPv6; none for a plain key", () => {
  assert.deepEqual(parseListLine("198.18.0.0/22 # feed", "ipset"), { key: "198.18.0.0/22", value: "", network: { version: 4, base: 0xc6120000, prefix: 22 } });
  assert.deepEqual(parseListLine("10.1.:scanner", "cdb"), { key: "10.1.", value: "scanner", network: { version: 4, base: 0x0a010000, prefix: 16 } });
  assert.equal((parseListLine('"2001:db8::/32":x', "cdb") as { network: { prefix: number } }).network.prefix, 32);
  assert.equal((parseListLine("2001:db8::1", "cdb") as { key: string }).key, "2001:db8::1", "unquoted IPv6 with no value");
  assert.deepEqual(parseListLine("admin:root", "cdb"), { key: "admin", value: "root", network: null });
  assert.deepEqual(parseListLine("10.1.", "ipset"), { error: "not an IP address or CIDR" }, "prefix keys are CDB syntax");
  assert.equal(parseListLine("   # comment", "cdb"), null);
  assert.equal(parseListLine("", "plain"), null);
});

test("malformed lines are reported with their line numbers and nothing else is lost", () => {
  const parsed = parseListText("1.1.1.1\n999.1.1.1\n2.2.2.0/24\n1.2.3.4/33\n\n# c\n3.3.3.3", "ipset");
  assert.deepEqual(parsed.entries.map((e) => e.key), ["1.1.1.1", "2.2.2.0/24", "3.3.3.3"]);
  assert.deepEqual(parsed.errors.map((e) => [e.line, e.text]), [[2, "999.1.1.1"], [4, "1.2.3.4/33"]]);
});

test("the format is guessed from the name and the first lines", () => {
  assert.equal(guessListFormat("firehol_level1.netset", "whatever\n"), "ipset");
  assert.equal(guessListFormat("alienvault.ipset", ""), "ipset");
  assert.equal(guessListFormat("blacklist-alienvault", '203.0.113.66:\n10.1.:\n198.18.0.0/22:\n"2001:db8::/32":'), "cdb");
  assert.equal(guessListFormat("feed.txt", "# c\n1.2.3.4\n2001:db8::/32\n5.6.7.0/24\n"), "ipset");
  assert.equal(guessListFormat("users", "admin\nroot\n"), "plain");
  assert.equal(guessListFormat("prefixes", "10.1.\n192.168.\n"), "plain", "prefix keys alone: plain still parses them as networks");
  assert.throws(() => guessListFormat("list.cdb", "cdb\0\0\x01"), /binary/);
});
