// Hostile strings in IP fields never become a command, let alone reach a firewall:
//   1. in process, every stock log format carrying each hostile value where the client address goes, through
//      the decoders, the rules and the responder's policy (a response on every alert): no target but canonical
//      single-host IPs, and none at all for the hostile values;
//   2. on the stack, a responder instance of our own (a response on a test rule, its own consumer group so the
//      stack's responder is left alone): alerts on tld.alerts with each hostile srcip, then a marker on the same
//      partition; only the marker's command reaches tld.ar.commands, and each hostile one is counted as refused.
// The agent's side (hostile commands put straight onto tld.ar.commands are refused and reported as rule 659, the
// victim's ruleset untouched) is test/active-response.test.ts, in a namespace lab; the responder's policy and the
// agent's parsing have unit tests (services/responder/policy.test.ts, agents/enforce/enforcer.test.ts).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import YAML from "yaml";
import type { Admin } from "kafkajs";
import { activeResponseSchema } from "../../lib/arConfig.js";
import { blockableIp } from "../../lib/blocks.js";
import { loadConfig, PACKAGE_ROOT } from "../../lib/config.js";
import { canonicalIp, isHostAddress, parseIp } from "../../lib/ip.js";
import { createKafka } from "../../lib/kafka.js";
import { InMemoryListStore } from "../../lib/lists/memory.js";
import { createLogger } from "../../lib/logger.js";
import type { RawEvent } from "../../lib/records.js";
import { TOPICS } from "../../lib/topics.js";
import { freePort, startServiceInstance, type ServiceInstance } from "../../demo/victim.js";
import { decodeEvent, loadDecoderEngine } from "../../services/decoder/decode.js";
import { createMatcher, loadRuleEngine } from "../../services/matcher/match.js";
import { planResponses } from "../../services/responder/policy.js";
import { alertPublisher, commandsOnKafka, testAlert, type AlertPublisher } from "../harness/responder.js";
import { tempFile, waitFor } from "../harness/tools.js";
import { HOSTILE_IPS } from "./shapes.js";

/** The shapes test/hostile/shapes.ts uses, and the edge cases of IPv6 and the addresses of no single host. */
const HOSTILE = [
  ...HOSTILE_IPS.filter((ip) => ip !== ""),
  "0.0.0.0",
  "::",
  "255.255.255.255",
  "224.0.0.1",
  "ff02::1",
  "::ffff:0.0.0.0",
  "0:0:0:0:0:0:0:0",
  "1.2.3.4 5.6.7.8",
  "1.2.3.4,5.6.7.8",
  "1.2.3.4|id",
  "1.2.3.4&&id",
  "1.2.3.4>/etc/passwd",
  "'1.2.3.4'",
  '"1.2.3.4"',
  "${IFS}",
  "%31.2.3.4",
  "1".repeat(300),
  "9".repeat(5000),
  "::" + "0:".repeat(2000) + "1",
];

test("in process: hostile values in every log format's address field give no command target", () => {
  const decoders = loadDecoderEngine({ decoderDirs: [path.join(PACKAGE_ROOT, "ruleset/decoders")], decoderExclude: [] });
  const engine = loadRuleEngine({ ruleDirs: [path.join(PACKAGE_ROOT, "ruleset/rules"), path.join(PACKAGE_ROOT, "etc/rules")], ruleExclude: [] }, { lists: new InMemoryListStore() });
  const matcher = createMatcher(engine, 3);
  // A response on every alert of level 3 or more: whatever fires, the policy is asked about its srcip.
  const ar = activeResponseSchema.parse({ responses: [{ command: "firewall-drop", location: "local", level: 3, timeout: 60 }] });
  const ctx = { allowList: { covering: () => null } };
  const lines = (ip: string) => [
    `${ip} - - [04/Dec/2026:10:00:00 +0000] "GET /../../etc/passwd HTTP/1.1" 404 1 "-" "x"`,
    `Dec  4 10:00:00 web01 apache2: ${ip} - - [04/Dec/2026:10:00:00 +0000] "GET /a?id=1%20union%20select%201 HTTP/1.1" 500 1 "-" "x"`,
    `[Mon Dec 04 14:35:01.123456 2026] [core:error] [pid 1234:tid 140] [client ${ip}:51234] AH00126: Invalid URI in request GET /..%2f HTTP/1.1`,
    JSON.stringify({ srcip: ip, data: { srcip: ip }, message: "login failed" }),
    `2026/12/04 10:00:00 active-response/bin/firewall-drop: ${JSON.stringify({ command: "add", parameters: { alert: { data: { srcip: ip } } } })}`,
  ];
  let alerts = 0;
  let i = 0;
  for (const ip of HOSTILE) {
    for (const message of lines(ip)) {
      const raw: RawEvent = { id: `inj-${i++}`, agent: { id: "001", name: "web01", ip: null, os: "linux" }, location: "/var/log/apache2/access.log", logFormat: "apache", message, collectedAt: 1_700_000_000_000 + i, receivedAt: 0 };
      const decoded = decodeEvent(decoders, raw, 0);
      assert.ok(decoded.srcip === null || canonicalIp(decoded.srcip) === decoded.srcip, `decoded srcip ${JSON.stringify(decoded.srcip)}`);
      const alert = matcher.alertFor(decoded);
      assert.ok(!(alert instanceof Promise));
      if (!alert) continue;
      alerts++;
      const plan = planResponses(alert, ar, ctx);
      for (const t of plan.targets) {
        assert.ok(canonicalIp(t.ip) === t.ip && isHostAddress(parseIp(t.ip)!), `target ${JSON.stringify(t.ip)} from ${JSON.stringify(message.slice(0, 80))}`);
      }
      // The hostile text itself never becomes a target; only a value that is in itself one host's IP could.
      if ("error" in blockableIp(ip)) assert.deepEqual(plan.targets, [], `${JSON.stringify(ip.slice(0, 40))} in ${JSON.stringify(message.slice(0, 80))}`);
    }
  }
  assert.ok(alerts > HOSTILE.length, `the lines raise alerts (${alerts}), so the policy was asked`);
});

// The stack part: a responder instance of our own.
const config = loadConfig();
const RULE = "190777";
const tag = `inj-${process.pid}-${Date.now()}`;
const agent = { id: `it-${tag}`, name: `it-${tag}` };
const groupPrefix = `tld-hostile-${tag}`;
const startedAt = Date.now() - 5_000;
let responder: ServiceInstance;
let port: number;
let alerts: AlertPublisher;
let admin: Admin;

before(async () => {
  admin = createKafka(config, createLogger("it-injection", "error"), "tld-test-injection").admin();
  await admin.connect();
  // A consumer group of its own, started at the end of tld.alerts: it reads only what this test publishes.
  await admin.setOffsets({ groupId: `${groupPrefix}.responder`, topic: TOPICS.alerts, partitions: (await admin.fetchTopicOffsets(TOPICS.alerts)).map((p) => ({ partition: p.partition, offset: p.high })) });
  const file = tempFile("tld.yaml", YAML.stringify({ activeResponse: { responses: [{ command: "firewall-drop", location: "local", rulesId: [Number(RULE)], timeout: 30 }] } }));
  port = await freePort("127.0.0.1");
  responder = await startServiceInstance("responder", { TLD_CONFIG: file, TLD_RESPONDER_PORT: String(port), TLD_KAFKA_GROUP_PREFIX: groupPrefix }, `http://127.0.0.1:${port}/readyz`);
  alerts = await alertPublisher();
});

after(async () => {
  await alerts?.close();
  await responder?.stop();
  await admin?.deleteGroups([`${groupPrefix}.responder`]).catch(() => undefined);
  await admin?.disconnect();
});

const skipped = async (reason: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`tld_responder_skipped_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

test("on the stack: alerts with hostile srcips on tld.alerts put nothing on tld.ar.commands; the marker behind them does", async () => {
  const before = await skipped("invalid_srcip");
  // Same agent, so the same key and partition: the responder has handled every hostile alert before the marker.
  await alerts.publish(...HOSTILE.map((ip, i) => testAlert(`${tag}-hostile-${i}:${RULE}`, agent, ip, RULE)));
  const marker = "198.51.100.77";
  await alerts.publish(testAlert(`${tag}-marker:${RULE}`, agent, marker, RULE));
  await waitFor("the marker's command on tld.ar.commands", () => (commandsOnKafka(startedAt).some((r) => r.key === agent.id && r.command.ip === marker) ? true : undefined), 30_000);
  const mine = commandsOnKafka(startedAt).filter((r) => r.key === agent.id || r.command.agentId === agent.id);
  assert.deepEqual(mine.map((r) => r.command.ip), [marker], "only the marker's command");
  assert.equal((await skipped("invalid_srcip")) - before, HOSTILE.length, "each hostile srcip refused and counted");
  console.log(`${HOSTILE.length} hostile srcips refused by the responder (tld_responder_skipped_total{reason="invalid_srcip"}), 1 marker command published`);
});
