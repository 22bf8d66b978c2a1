import { test } from "node:test";
import assert from "node:assert/strict";
import { RuleEngine, type RuleEngineOptions, type RuleEvent, type RuleMatch } from "./engine.js";
import { InMemoryListStore, type ListKeyKind, type ListLookup } from "./lists.js";
import { parseRuleXml, RuleLoadError } from "./parse.js";

function engineOf(xml: string, options: RuleEngineOptions = {}): RuleEngine {
  return new RuleEngine(parseRuleXml(xml, "rules.xml"), options);
}

function event(partial: Partial<RuleEvent> & { fields?: Record<string, string> }): RuleEvent {
  return { log: "", category: "syslog", timeMs: 1_700_000_000_000, ...partial, fields: partial.fields ?? {} };
}

/** Evaluates synchronously (in-memory stores): a promise here would be a bug in the sync fast path. */
function evalSync(engine: RuleEngine, e: RuleEvent): RuleMatch | null {
  const result = engine.evaluate(e);
  assert.ok(!(result instanceof Promise), "in-memory evaluation must not allocate promises");
  return result;
}

const idOf = (engine: RuleEngine, e: RuleEvent): string | null => evalSync(engine, e)?.id ?? null;

test("groups from <group name> and <group>, attributes, description, options", () => {
  const [rule] = parseRuleXml(`<group name="a,b,">
  <rule id="0100" level="7" maxsize="10" ignore="30">
    <match>x</match>
    <group>c,</group>
    <options>no_full_log,alert_by_email</options>
    <description>Desc</description>
  </rule></group>`);
  assert.equal(rule.id, "100");
  assert.equal(rule.level, 7);
  assert.deepEqual(rule.groups, ["a", "b", "c"]);
  assert.deepEqual(rule.options, ["no_full_log", "alert_by_email"]);
  assert.equal(rule.maxsize, 10);
  assert.equal(rule.ignoreSeconds, 30);
  assert.equal(rule.description, "Desc");
});

test("load errors carry file and line: bad pattern, unknown option, unsupported option, duplicate id, missing if_sid", () => {
  const lineOf = (xml: string): number => {
    try {
      new RuleEngine(parseRuleXml(xml, "r.xml"));
    } catch (error) {
      assert.ok(error instanceof RuleLoadError, String(error));
      assert.match(error.message, /^r\.xml:\d+: /);
      return error.line;
    }
    assert.fail("expected a RuleLoadError");
  };
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1">\n<regex>(a</regex>\n</rule></group>'), 3);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1">\n<bogus>a</bogus>\n</rule></group>'), 3);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1">\n<weekday>monday</weekday>\n</rule></group>'), 3);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1"/>\n<rule id="1" level="2"/>\n</group>'), 3);
  assert.equal(lineOf('<group name="g">\n<rule id="2" level="1"><if_sid>1</if_sid></rule>\n<rule id="1" level="1"/></group>'), 2);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="99"/></group>'), 2);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1"><list field="srcip" lookup="nope">x</list></rule></group>'), 2);
  assert.equal(lineOf('<group name="g">\n<rule id="1" level="1">\n<match>x</match>\n</group>'), 4);
});

test("a child is tried only after its parent matched; the deepest match on the first matching path wins", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="10" level="2"><match>parent</match></rule>
  <rule id="11" level="5"><if_sid>10</if_sid><match>child</match></rule>
  <rule id="12" level="9"><match>child</match><if_sid>11</if_sid><match>grand</match></rule>
</group>`);
  assert.equal(idOf(engine, event({ log: "parent" })), "10");
  assert.equal(idOf(engine, event({ log: "parent child" })), "11");
  assert.equal(idOf(engine, event({ log: "parent childgrand" })), "12", "repeated <match> texts are concatenated, as in Wazuh");
  assert.equal(idOf(engine, event({ log: "child childgrand" })), null, "children are never tried when the parent fails");
});

test("siblings are tried highest level first, ties in load order; roots likewise", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="0"><match>x</match></rule>
  <rule id="2" level="3"><if_sid>1</if_sid><match>a</match></rule>
  <rule id="3" level="8"><if_sid>1</if_sid><match>a</match></rule>
  <rule id="4" level="8"><if_sid>1</if_sid><match>a</match></rule>
  <rule id="5" level="1"><match>y</match></rule>
  <rule id="6" level="4"><match>y</match></rule>
</group>`);
  assert.equal(idOf(engine, event({ log: "xa" })), "3");
  assert.equal(idOf(engine, event({ log: "y" })), "6");
});

test("level 0 ends evaluation without an alert; noalert rules count as no match", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="0"><match>quiet</match></rule>
  <rule id="2" level="5" noalert="1"><match>silent</match></rule>
  <rule id="3" level="4"><match>silent</match></rule>
  <rule id="4" level="6"><if_sid>2</if_sid><match>loud</match></rule>
</group>`);
  const quiet = evalSync(engine, event({ log: "quiet" }));
  assert.equal(quiet?.id, "1");
  assert.equal(quiet?.alert, false);
  assert.equal(idOf(engine, event({ log: "silent" })), "3");
  assert.equal(idOf(engine, event({ log: "silent loud" })), "4", "a noalert rule's children still fire");
});

test("match (OS_Match on the message) and regex (OS_Regex), with negate", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="3"><match>^Failed|^error</match><regex negate="yes">user \\d+</regex></rule>
</group>`);
  assert.equal(idOf(engine, event({ log: "ERROR disk" })), "1");
  assert.equal(idOf(engine, event({ log: "error for user 42" })), null);
  assert.equal(idOf(engine, event({ log: "an error" })), null);
});

test("static field options: id, url, status, action, protocol, program_name, hostname, location, data, extra_data, user", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="3"><id>^4</id><url>.php$</url><status>^denied$</status><protocol>POST</protocol></rule>
  <rule id="2" level="3"><program_name>^sshd$</program_name><hostname>^web</hostname><user>root</user></rule>
  <rule id="3" level="3"><location>access.log$</location><data>abc</data><extra_data>def</extra_data><action>block</action></rule>
</group>`);
  assert.equal(idOf(engine, event({ fields: { id: "404", url: "/a.php", status: "DENIED", protocol: "POST" } })), "1");
  assert.equal(idOf(engine, event({ fields: { id: "404", url: "/a.php?x", status: "denied", protocol: "POST" } })), null);
  assert.equal(idOf(engine, event({ fields: { id: "404", url: "/a.php", protocol: "POST" } })), null, "a missing field fails the condition");
  assert.equal(idOf(engine, event({ programName: "sshd", hostname: "web01", fields: { srcuser: "root" } })), "2");
  assert.equal(idOf(engine, event({ programName: "sshd", hostname: "web01", fields: { dstuser: "bob", srcuser: "root" } })), null, "user reads dstuser first");
  assert.equal(idOf(engine, event({ location: "/var/log/apache2/access.log", fields: { data: "xabcx", extra_data: "def", action: "block" } })), "3");
});

test("<field name=…> reads static and dynamic fields, OS_Regex by default, type= and negate=", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="3"><field name="user_agent">curl/\\d+</field><field name="data.kind" type="pcre2">^log(in|out)$</field></rule>
  <rule id="2" level="3"><field name="method" negate="yes">^GET$</field></rule>
</group>`);
  assert.equal(idOf(engine, event({ fields: { user_agent: "curl/8.0", "data.kind": "login" } })), "1");
  assert.equal(idOf(engine, event({ fields: { user_agent: "curl/8.0", "data.kind": "LOGIN" } })), null, "pcre2 is case-sensitive");
  assert.equal(idOf(engine, event({ fields: { method: "POST" } })), "2");
  assert.equal(idOf(engine, event({ fields: { method: "GET" } })), null);
});

test("srcip / dstip: single address, CIDR, IPv6, '!' negation, several entries", () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="3"><srcip>10.0.0.0/8, 2001:db8::/32</srcip><dstip>!192.168.0.0/16</dstip></rule>
</group>`);
  assert.equal(idOf(engine, event({ fields: { srcip: "10.9.8.7", dstip: "8.8.8.8" } })), "1");
  assert.equal(idOf(engine, event({ fields: { srcip: "2001:db8::5", dstip: "8.8.8.8" } })), "1");
  assert.equal(idOf(engine, event({ fields: { srcip: "11.0.0.1", dstip: "8.8.8.8" } })), null);
  assert.equal(idOf(engine, event({ fields: { srcip: "10.9.8.7", dstip: "192.168.1.1" } })), null);
  assert.equal(idOf(engine, event({ fields: { srcip: "not-an-ip", dstip: "8.8.8.8" } })), null);
});

test("decoded_as and category: roots see only their category; no <category> means syslog", () => {
  const xml = `<group name="g,">
  <rule id="1" level="3"><category>web-log</category><decoded_as>web-accesslog</decoded_as></rule>
  <rule id="2" level="2"><match>x</match></rule>
</group>`;
  const engine = engineOf(xml);
  assert.equal(idOf(engine, event({ category: "web-log", decoder: "web-accesslog", log: "x" })), "1");
  assert.equal(idOf(engine, event({ category: "web-log", decoder: "other", log: "x" })), null, "rule 2 is a syslog root, not tried on web-log");
  assert.equal(idOf(engine, event({ category: "syslog", decoder: null, log: "x" })), "2");
  assert.equal(idOf(engineOf(xml, { uncategorizedRootsMatchAnyCategory: true }), event({ category: "web-log", decoder: "other", log: "x" })), "2");
});

test("if_group attaches to every earlier rule of the group; if_level to every earlier rule at or above the level", () => {
  const engine = engineOf(`<group name="base,">
  <rule id="1" level="2"><match>a</match></rule>
  <rule id="2" level="6"><match>b</match><group>special,</group></rule>
</group>
<group name="extra,">
  <rule id="3" level="9"><if_group>special|nothing</if_group><match>!</match></rule>
  <rule id="4" level="8"><if_level>5</if_level><match>?</match></rule>
</group>`);
  assert.equal(idOf(engine, event({ log: "b!" })), "3");
  assert.equal(idOf(engine, event({ log: "a!" })), "1", "rule 1 is not in group special");
  assert.equal(idOf(engine, event({ log: "b?" })), "4");
  assert.equal(idOf(engine, event({ log: "a?" })), "1", "rule 1 is below if_level 5");
  assert.deepEqual(engine.warnings, []);
  assert.equal(engineOf('<group name="x,"><rule id="5" level="1"><if_group>ghost</if_group></rule></group>').warnings.length, 1);
});

test("maxsize matches events at least that long", () => {
  const engine = engineOf('<group name="g,"><rule id="1" level="3" maxsize="10"><match>a</match></rule></group>');
  assert.equal(idOf(engine, event({ log: "a123456789" })), "1");
  assert.equal(idOf(engine, event({ log: "a12345678" })), null);
});

test("description $(field) is filled from the event", () => {
  const engine = engineOf('<group name="g,"><rule id="1" level="3"><match>x</match><description>From $(srcip) to $(url) as $(missing).</description></rule></group>');
  assert.equal(evalSync(engine, event({ log: "x", fields: { srcip: "1.2.3.4", url: "/a" } }))?.description, "From 1.2.3.4 to /a as .");
});

test('overwrite="yes" replaces a rule in place, keeping its parent; without it a duplicate id is an error', () => {
  const engine = engineOf(`<group name="g,">
  <rule id="1" level="2"><match>p</match></rule>
  <rule id="2" level="5"><if_sid>1</if_sid><match>old</match><description>old</description></rule>
</group>
<group name="local,">
  <rule id="2" level="12" overwrite="yes"><match>new</match><description>new</description></rule>
</group>`);
  const r = evalSync(engine, event({ log: "p new" }));
  assert.deepEqual([r?.id, r?.level, r?.description, r?.groups], ["2", 12, "new", ["local"]]);
  assert.equal(idOf(engine, event({ log: "p old" })), "1");
  assert.equal(idOf(engine, event({ log: "new" })), null, "the overwritten rule is still a child of rule 1");
});

test("ignore mutes a rule's alerts for the given seconds after it fired", () => {
  const engine = engineOf('<group name="g,"><rule id="1" level="5" ignore="60"><match>x</match></rule></group>');
  const t0 = 1_700_000_000_000;
  assert.equal(evalSync(engine, event({ log: "x", timeMs: t0 }))?.alert, true);
  const muted = evalSync(engine, event({ log: "x", timeMs: t0 + 30_000 }));
  assert.equal(muted?.id, "1");
  assert.equal(muted?.alert, false);
  assert.equal(evalSync(engine, event({ log: "x", timeMs: t0 + 61_000 }))?.alert, true);
});

const LIST_RULES = `<group name="lists,">
  <rule id="1" level="3"><list field="srcip" lookup="address_match_key">etc/lists/bad</list><description>address</description></rule>
  <rule id="2" level="3"><list field="srcip" lookup="not_address_match_key">etc/lists/bad</list><match>probe</match></rule>
  <rule id="3" level="3"><list field="user" lookup="match_key">etc/lists/users</list></rule>
  <rule id="4" level="3"><list field="url" lookup="not_match_key">etc/lists/urls</list><match>web</match></rule>
  <rule id="5" level="3"><list field="user" lookup="match_key_value" check_value="^admin">etc/lists/roles</list></rule>
  <rule id="6" level="3"><list field="dstip" lookup="address_match_key_value" check_value="^high$">etc/lists/bad</list></rule>
  <rule id="7" level="3"><list field="data.country" lookup="match_key">etc/lists/countries</list></rule>
</group>`;

function listStore(): InMemoryListStore {
  const store = new InMemoryListStore();
  store.replace("etc/lists/bad", [
    { key: "203.0.113.0/24", value: "high" },
    { key: "10.1.", value: "low" },
    { key: "2001:db8:bad::/48", value: "" },
  ]);
  store.replace("etc/lists/users", [{ key: "mallory", value: "" }]);
  store.replace("etc/lists/urls", [{ key: "/health", value: "" }]);
  store.replace("etc/lists/roles", [
    { key: "alice", value: "admin" },
    { key: "bob", value: "viewer" },
  ]);
  store.replace("etc/lists/countries", [{ key: "XX", value: "" }]);
  return store;
}

test("every list lookup type", () => {
  const engine = engineOf(LIST_RULES, { lists: listStore() });
  assert.equal(idOf(engine, event({ fields: { srcip: "203.0.113.77" } })), "1", "address_match_key, CIDR");
  assert.equal(idOf(engine, event({ fields: { srcip: "10.1.2.3" } })), "1", "address_match_key, Wazuh prefix key");
  assert.equal(idOf(engine, event({ fields: { srcip: "2001:db8:bad::1" } })), "1", "address_match_key, IPv6");
  assert.equal(idOf(engine, event({ fields: { srcip: "198.51.100.1" }, log: "probe" })), "2", "not_address_match_key");
  assert.equal(idOf(engine, event({ fields: { srcip: "203.0.113.1" }, log: "probe" })), "1");
  assert.equal(idOf(engine, event({ fields: { srcuser: "mallory" } })), "3", "match_key");
  assert.equal(idOf(engine, event({ fields: { srcuser: "MALLORY" } })), null, "keys are exact");
  assert.equal(idOf(engine, event({ fields: { url: "/login" }, log: "web" })), "4", "not_match_key");
  assert.equal(idOf(engine, event({ fields: { url: "/health" }, log: "web" })), null);
  assert.equal(idOf(engine, event({ log: "web" })), null, "not_match_key on a missing field does not match");
  assert.equal(idOf(engine, event({ fields: { dstuser: "alice" } })), "5", "match_key_value");
  assert.equal(idOf(engine, event({ fields: { dstuser: "bob" } })), null);
  assert.equal(idOf(engine, event({ fields: { dstip: "203.0.113.5" } })), "6", "address_match_key_value");
  assert.equal(idOf(engine, event({ fields: { dstip: "10.1.0.5" } })), null);
  assert.equal(idOf(engine, event({ fields: { "data.country": "XX" } })), "7", "dynamic field");
  assert.deepEqual(engine.referencedLists(), ["etc/lists/bad", "etc/lists/countries", "etc/lists/roles", "etc/lists/urls", "etc/lists/users"]);
});

test("a list lookup that answers with a promise (Redis) gives the same results, asynchronously", async () => {
  const memory = listStore();
  const calls: string[] = [];
  const remote: ListLookup = {
    lookup: (listPath: string, key: string, kind: ListKeyKind) => {
      calls.push(`${listPath}:${key}`);
      return new Promise((resolve) => setImmediate(() => resolve(memory.lookup(listPath, key, kind))));
    },
  };
  const engine = engineOf(LIST_RULES, { lists: remote });
  const pending = engine.evaluate(event({ fields: { srcip: "198.51.100.1" }, log: "probe" }));
  assert.ok(pending instanceof Promise);
  assert.equal((await pending)?.id, "2");
  assert.equal((await engine.evaluate(event({ fields: { dstuser: "alice" } })))?.id, "5");
  assert.equal(await engine.evaluate(event({ fields: { dstuser: "nobody" } })), null);
  assert.ok(calls.includes("etc/lists/bad:198.51.100.1"));
});
