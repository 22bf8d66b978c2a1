// `tld logtest`, the rule author's contract: one JSON object per input line, the use case's rule 100100 against a
// home's etc/ (list file read from disk: Wazuh prefix keys, CIDR, IPv6), broken rule files reported with file and
// line and a non-zero exit, --no-default-ruleset, --rule-dir. No Kafka or Redis is involved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RULE_100100 } from "../demo/usecase.js";
import { TLD_BIN } from "./harness/stack.js";

function makeHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), "tld-logtest-"));
  for (const dir of ["etc/rules", "etc/lists", "etc/decoders"]) mkdirSync(path.join(home, dir), { recursive: true });
  writeFileSync(path.join(home, "etc/rules/local_rules.xml"), RULE_100100);
  // exactly as the acceptance check writes it: CDB keys, a prefix key, a CIDR, a quoted IPv6 key, no final newline
  writeFileSync(path.join(home, "etc/lists/blacklist-alienvault"), '203.0.113.66:\n10.1.:\n198.18.0.0/22:\n"2001:db8::/32":');
  return home;
}

function logtest(args: string[], input: string) {
  const result = spawnSync(process.execPath, [TLD_BIN, "logtest", ...args], { input, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const line = (ip: string, status = 200) => `${ip} - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" ${status} 10701 "-" "curl/7.81.0"`;

interface Result {
  decoder: { name: string; parent: string | null } | null;
  fields: Record<string, string>;
  rule: { id: string; level: number; description: string; groups: string[] } | null;
}

test("--json --home: one object per line; 100100 for listed addresses (exact, prefix, CIDR, IPv6) only", () => {
  const home = makeHome();
  const cases: [string, boolean][] = [
    ["203.0.113.66", true], ["203.0.113.67", false], ["10.1.44.5", true], ["10.10.4.5", false],
    ["198.18.3.9", true], ["198.18.4.1", false], ["2001:db8::7", true], ["2001:db9::7", false],
  ];
  const input = [...cases.map(([ip]) => line(ip)), "this is no log line at all", ""].join("\n") + "\n";
  const { status, stdout, stderr } = logtest(["--json", "--home", home], input);
  assert.equal(status, 0, stderr);
  const results = stdout.trim().split("\n").map((l) => JSON.parse(l) as Result);
  assert.equal(results.length, cases.length + 2, "one object per input line, the empty one included");
  cases.forEach(([ip, listed], i) => {
    const r = results[i];
    assert.deepEqual(Object.keys(r), ["decoder", "fields", "rule"]);
    assert.deepEqual(r.decoder, { name: "web-accesslog", parent: "web-accesslog" });
    assert.equal(r.fields.srcip, ip);
    assert.equal(r.fields.protocol, "GET");
    if (listed) assert.deepEqual(r.rule, { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, ip);
    else assert.equal(r.rule?.id, "31108", ip);
  });
  assert.deepEqual(results[cases.length], { decoder: null, fields: {}, rule: null });
});

test("a rule file that does not parse: file and line on stderr, non-zero exit", () => {
  const home = makeHome();
  writeFileSync(path.join(home, "etc/rules/broken.xml"), '<group name="x,">\n  <rule id="100200" level="3">\n    <match>x</match>\n  </rle>\n</group>\n');
  const { status, stderr, stdout } = logtest(["--json", "--home", home], line("203.0.113.66"));
  assert.notEqual(status, 0);
  assert.match(stderr, /broken\.xml:4/);
  assert.equal(stdout, "");
});

test("--no-default-ruleset leaves the stock rules out (100100 then has no web rule to follow); --rule-dir adds rules", () => {
  const home = makeHome();
  const bare = logtest(["--json", "--home", home, "--no-default-ruleset"], line("203.0.113.66"));
  assert.equal(bare.status, 0, bare.stderr);
  const r = JSON.parse(bare.stdout) as Result;
  assert.equal(r.decoder, null, "no stock decoders either");
  assert.equal(r.rule, null);
  assert.match(bare.stderr, /100100/, "the orphaned if_group is warned about");

  const extra = mkdtempSync(path.join(tmpdir(), "tld-rules-"));
  writeFileSync(path.join(extra, "curl.xml"), '<group name="local,">\n  <rule id="100300" level="4">\n    <if_sid>31108</if_sid>\n    <field name="user_agent">^curl/</field>\n    <description>curl from $(srcip)</description>\n  </rule>\n</group>\n');
  const added = logtest(["--json", "--home", home, "--rule-dir", extra], line("203.0.113.67"));
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual((JSON.parse(added.stdout) as Result).rule, { id: "100300", level: 4, description: "curl from 203.0.113.67", groups: ["local"] });
});

test("the human output follows wazuh-logtest's phases and says when an alert would be raised", () => {
  const { status, stdout } = logtest(["--home", makeHome()], `Dec  4 10:00:00 web01 apache2: ${line("10.1.2.3")}\n`);
  assert.equal(status, 0);
  assert.match(stdout, /\*\*Phase 1: Completed pre-decoding\.[\s\S]*program_name: 'apache2'/);
  assert.match(stdout, /\*\*Phase 2: Completed decoding\.\n\tname: 'web-accesslog'/);
  assert.match(stdout, /\*\*Phase 3: Completed filtering \(rules\)\.\n\tid: '100100'\n\tlevel: '10'/);
  assert.match(stdout, /\*\*Alert to be generated\./);
});
