// Fuzz (in process, no stack needed; here because it spans the decoder and the matcher): 120,000 seeded random and malformed lines through the decoder stage's and the matcher stage's pure cores
// (stock decoders and rules, rule 100100, a list lookup on every line), and the Avro encoding of what they
// produce. Nothing may throw, every srcip must be a canonical IP, and every record must fit its schema.
// Bounded by construction: a fixed number of lines of bounded length (no timing assertions); the same seed
// gives the same lines, so a failure names a line that reproduces it.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { PACKAGE_ROOT } from "../lib/config.js";
import { canonicalIp } from "../lib/ip.js";
import { InMemoryListStore } from "../lib/lists/memory.js";
import { parseListText } from "../lib/lists/parse.js";
import type { RawEvent } from "../lib/records.js";
import { avroType } from "../lib/schemas.js";
import { decodeEvent, loadDecoderEngine } from "../services/decoder/decode.js";
import { createMatcher, loadRuleEngine } from "../services/matcher/match.js";
import { seededRandom } from "../bench/logs.js";

const LINES = 120_000;
const SEED = 20261204;

const root = (p: string) => path.join(PACKAGE_ROOT, p);

test(`fuzz: ${LINES} random and malformed lines through decoders and rules`, () => {
  const random = seededRandom(SEED);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const decoders = loadDecoderEngine({ decoderDirs: [root("ruleset/decoders")], decoderExclude: [] });
  const lists = new InMemoryListStore();
  lists.replace("etc/lists/blacklist-alienvault", parseListText("203.0.113.66:\n10.1.:\n198.18.0.0/22:\n\"2001:db8::/32\":\n", "cdb").entries);
  const engine = loadRuleEngine({ ruleDirs: [root("ruleset/rules"), root("etc/rules")], ruleExclude: [] }, { lists });
  const matcher = createMatcher(engine, 3);
  const decodedType = avroType("DecodedEvent");
  const alertType = avroType("Alert");

  const alphabet = ' -"[]:/.%<>{}\\0123456789abcdefGETPOSTHTTP\t|$()!\'`;=?&#@*+,^~\r\u0000\u00e9\u4e2d\ud83d\ude00';
  const symbols = [...alphabet, "\ud800"]; // a lone surrogate too: not valid UTF-16, still a JS string
  const noise = (max: number) => Array.from({ length: int(max) }, () => pick(symbols)).join("");
  const ips = ["203.0.113.66", "10.1.2.3", "198.18.3.9", "2001:db8::7", "::ffff:10.1.9.9", "256.1.1.1", "010.1.1.1", "$(reboot)", "-", "", "1.2.3", "fe80::1%eth0", "[::1]"];
  const requests = ["GET / HTTP/1.1", "POST /login HTTP/1.0", "GET /a?id=1%20UNION%20SELECT%20x HTTP/1.1", "\\x16\\x03\\x01", "-", "", "GET /" + "A".repeat(3000) + " HTTP/1.1", `GET /${noise(40)} HTTP/1.1`];
  const access = () => `${pick(ips)} - ${pick(["-", "frank", noise(8)])} [${pick(["04/Dec/2026:10:00:00 +0000", noise(30), ""])}] "${pick(requests)}" ${pick(["200", "404", "500", "99", "abc", "1000"])} ${pick(["123", "-", "", noise(5)])} "${noise(20)}" "${noise(30)}"`;
  const generators: (() => string)[] = [
    () => noise(200),
    access,
    () => access().slice(0, int(120)), // truncated
    () => { const l = access(); const i = int(l.length); return l.slice(0, i) + noise(5) + l.slice(i + 1); }, // mutated
    () => `Dec  4 10:00:00 ${pick(["web01", noise(10)])} ${pick(["apache2", "nginx", "sshd[12]", noise(8)])}: ${access()}`,
    () => `<134>1 2026-12-04T10:00:00Z host app 1 ID - ${access()}`,
    () => pick(['{"srcip":"10.1.1.1","data":{"a":[1,2,{"b":null}]}}', "{", '{"a":' + "[".repeat(500), `{"srcip":"${pick(ips)}","x":"${noise(20)}"}`, "[1,2]", "null"]),
    () => `2026/12/04 10:00:00 active-response/bin/${pick(["firewall-drop", "netsh.exe", noise(6)])}: ${pick(['{"command":"add","parameters":{"alert":{"data":{"srcip":"10.1.1.1"}}}}', noise(60), "Firewall is not active"])}`,
    () => (int(200) === 0 ? "x".repeat(70_000) : noise(10)), // an occasional over-long line
  ];

  let alerts = 0;
  let decodedCount = 0;
  for (let i = 0; i < LINES; i++) {
    const message = pick(generators)();
    const raw: RawEvent = { id: `fuzz-${i}`, agent: { id: "001", name: "fuzz", ip: null, os: null }, location: "/fuzz", logFormat: "syslog", message, collectedAt: 1_700_000_000_000 + i, receivedAt: 0 };
    try {
      const decoded = decodeEvent(decoders, raw, 0);
      if (decoded.decoder !== null) decodedCount++;
      assert.ok(decoded.srcip === null || canonicalIp(decoded.srcip) === decoded.srcip, "srcip is a canonical IP");
      assert.ok(decodedType.isValid(decoded), "the decoded event fits its schema");
      const alert = matcher.alertFor(decoded);
      assert.ok(!(alert instanceof Promise), "in-memory stores answer synchronously");
      if (alert) {
        alerts++;
        assert.ok(alert.rule.level >= 3);
        assert.ok(alertType.isValid(alert), "the alert fits its schema");
      }
    } catch (err) {
      assert.fail(`line ${i} (seed ${SEED}) ${JSON.stringify(message.slice(0, 300))}: ${(err as Error).stack}`);
    }
  }
  // The generators are meant to hit the decoders and the rules often, not only the undecoded path.
  assert.ok(decodedCount > LINES / 4, `decoded ${decodedCount}`);
  assert.ok(alerts > LINES / 50, `alerts ${alerts}`);
});
