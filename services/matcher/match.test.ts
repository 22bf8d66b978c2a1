import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import { InMemoryListStore } from "../../lib/lists/memory.js";
import { parseListText } from "../../lib/lists/parse.js";
import { decodeEvent, loadDecoderEngine } from "../decoder/decode.js";
import { alertId, createMatcher, loadRuleEngine, toAlert, toRuleEvent } from "./match.js";

// dist/services/matcher/ and services/matcher/ are both three levels below the repository root.
const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const decoders = loadDecoderEngine({ decoderDirs: [root("ruleset/decoders")], decoderExclude: [] });
const lists = new InMemoryListStore();
lists.replace("etc/lists/blacklist-alienvault", parseListText("203.0.113.66:\n10.1.:\n198.18.0.0/22:\n", "cdb").entries);
// The repository's own etc/rules/local_rules.xml: the use case's rule 100100 as shipped.
const engine = loadRuleEngine({ ruleDirs: [root("ruleset/rules"), root("etc/rules")], ruleExclude: [] }, { lists });

let n = 0;
function decoded(message: string, collectedAt = 1_700_000_000_000): DecodedEvent {
  const raw: RawEvent = {
    id: `evt-${++n}`, agent: { id: "007", name: "ubuntu", ip: null, os: "linux" }, location: "/var/log/apache2/access.log",
    logFormat: "apache", message, collectedAt, receivedAt: collectedAt + 5,
  };
  return decodeEvent(decoders, raw, collectedAt + 10);
}
const access = (ip: string, status = 200, path = "/") => `${ip} - - [04/Dec/2026:10:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 10701 "-" "curl/7.81.0"`;

test("toRuleEvent: the message after the syslog header, program and host, category, event time", () => {
  const e = decoded(`Dec  4 10:00:00 web01 apache2: ${access("203.0.113.1")}`, 42);
  const r = toRuleEvent(e);
  assert.equal(r.log, access("203.0.113.1"));
  assert.equal(r.fullLog, e.message);
  assert.deepEqual([r.programName, r.hostname, r.decoder, r.category, r.timeMs, r.location], ["apache2", "web01", "web-accesslog", "web-log", 42, "/var/log/apache2/access.log"]);
  assert.equal(toRuleEvent(decoded("kernel: oops")).category, "syslog", "undecoded events are syslog, as in Wazuh");
});

test("a listed IP gives an Alert for rule 100100 (level 10, group attack), keyed data from the event", () => {
  const matcher = createMatcher(engine, 3);
  const event = decoded(access("10.1.44.5"));
  const alert = matcher.alertFor(event);
  assert.ok(alert && !(alert instanceof Promise));
  assert.equal(alert.id, alertId(event.id, "100100"));
  assert.deepEqual(alert.rule, { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"], firedtimes: alert.rule.firedtimes });
  assert.deepEqual([alert.agent.id, alert.decoder, alert.fields.srcip, alert.fullLog, alert.eventId, alert.timestamp], ["007", "web-accesslog", "10.1.44.5", event.message, event.id, event.collectedAt]);
});

test("alert ids depend only on event and rule, so a replay yields the same ids", () => {
  const event = decoded(access("203.0.113.66"));
  const first = createMatcher(engine, 3).alertFor(event);
  const again = createMatcher(loadRuleEngine({ ruleDirs: [root("ruleset/rules"), root("etc/rules")], ruleExclude: [] }, { lists }), 3).alertFor(event);
  assert.ok(first && again && !(first instanceof Promise) && !(again instanceof Promise));
  assert.equal(first.id, again.id);
  assert.notEqual(alertId("a", "1"), alertId("a", "2"));
});

test("no alert for an unlisted plain request (31108, level 0), nor below the alert level; evaluate still shows the rule", () => {
  const matcher = createMatcher(engine, 3);
  const plain = decoded(access("203.0.113.67"));
  assert.equal(matcher.alertFor(plain), null);
  const shown = matcher.evaluate(plain);
  assert.ok(shown && !(shown instanceof Promise));
  assert.equal(shown.id, "31108");
  const notFound = decoded(access("203.0.113.67", 404));
  const low = matcher.alertFor(notFound);
  assert.ok(low && !(low instanceof Promise));
  assert.equal(low.rule.id, "31101");
  assert.equal(createMatcher(engine, 6).alertFor(decoded(access("203.0.113.67", 404))), null, "31101 is level 5");
});

test("listQueries: one query per event and list lookup the rules make, keyed like the engine reads it", () => {
  const matcher = createMatcher(engine, 3);
  const queries = matcher.listQueries([decoded(access("198.18.3.9")), decoded("kernel: no srcip here")]);
  assert.deepEqual(queries, [{ list: "etc/lists/blacklist-alienvault", key: "198.18.3.9", kind: "address" }]);
});

test("toAlert copies the groups (the rule's own array is never shared with a record)", () => {
  const event = decoded(access("203.0.113.66"));
  const match = createMatcher(engine, 0).evaluate(event);
  assert.ok(match && !(match instanceof Promise));
  assert.notEqual(toAlert(event, match).rule.groups, match.groups);
});
