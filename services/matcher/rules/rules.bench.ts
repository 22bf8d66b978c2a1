// Micro-benchmark of the pure engines on one core: an access-log mix (successes, 4xx, attacks, listed and
// unlisted sources) decoded by the stock decoders and evaluated by the stock rules plus rule 100100, with an
// address list lookup on every line. Run: node dist/services/matcher/rules/rules.bench.js
// (bench/main.ts can import benchWazuhEngines and report the figures.)
import { fileURLToPath } from "node:url";
import { createDecoderEngineFromDirs } from "../../decoder/wazuh/index.js";
import { RuleEngine, type RuleEvent } from "./engine.js";
import { InMemoryListStore } from "./lists.js";
import { loadRuleDirs } from "./load.js";
import { parseRuleXml } from "./parse.js";

const RULE_100100 = `<group name="attack,"><rule id="100100" level="10"><if_group>web|attack|attacks</if_group><list field="srcip" lookup="address_match_key">etc/lists/blacklist-alienvault</list><description>IP address found in AlienVault reputation database.</description></rule></group>`;

export interface EngineBenchResult {
  readonly lines: number;
  readonly decodeLinesPerSecond: number;
  readonly rulesLinesPerSecond: number;
  readonly endToEndLinesPerSecond: number;
  readonly alerts: number;
}

function sampleLines(count: number): string[] {
  const requests = [
    ["GET / HTTP/1.1", 200],
    ["GET /static/app.js HTTP/1.1", 304],
    ["GET /missing.php HTTP/1.1", 404],
    ["POST /login HTTP/1.1", 302],
    ["GET /item?id=1%20UNION%20SELECT%20pw%20FROM%20users HTTP/1.1", 404],
    ["GET /../../etc/passwd HTTP/1.1", 400],
    ["GET /api/v1/orders?page=3 HTTP/1.1", 200],
    ["GET /boom HTTP/1.1", 500],
  ] as const;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    // one source in 20 is listed (10.20.0.0/16), the rest spread over many addresses
    const ip = i % 20 === 0 ? `10.20.${(i >> 8) & 255}.${i & 255}` : `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const [request, status] = requests[i % requests.length];
    lines.push(`${ip} - - [04/Dec/2023:14:35:01 +0000] "${request}" ${status} 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"`);
  }
  return lines;
}

export function benchWazuhEngines(lineCount = 200_000): EngineBenchResult {
  const root = new URL("../../../../", import.meta.url);
  const decoders = createDecoderEngineFromDirs([fileURLToPath(new URL("ruleset/decoders", root))]);
  const lists = new InMemoryListStore();
  const listEntries = [{ key: "10.20.0.0/16", value: "" }];
  for (let i = 0; i < 100_000; i++) listEntries.push({ key: `172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`, value: "" });
  lists.replace("etc/lists/blacklist-alienvault", listEntries);
  const rules = new RuleEngine([...loadRuleDirs([fileURLToPath(new URL("ruleset/rules", root))]), ...parseRuleXml(RULE_100100)], { lists });
  const lines = sampleLines(lineCount);

  // Chunks of 2000, decoded then evaluated, as the matcher consumes them: holding every decoded event of the
  // run at once would time the garbage collector's old generation, not the engines.
  const CHUNK = 2_000;
  let decodeNs = 0n;
  let rulesNs = 0n;
  let alerts = 0;
  const events: RuleEvent[] = new Array(CHUNK);
  for (let base = 0; base < lines.length; base += CHUNK) {
    const n = Math.min(CHUNK, lines.length - base);
    let start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const d = decoders.decode(lines[base + i]);
      events[i] = { log: d.preDecoded.log, decoder: d.decoder, category: d.category, fields: d.fields, timeMs: 1_700_000_000_000 + base + i };
    }
    decodeNs += process.hrtime.bigint() - start;
    start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const match = rules.evaluate(events[i]);
      if (match instanceof Promise) throw new Error("in-memory evaluation should be synchronous");
      if (match?.alert) alerts++;
    }
    rulesNs += process.hrtime.bigint() - start;
  }
  const decodeSeconds = Number(decodeNs) / 1e9;
  const rulesSeconds = Number(rulesNs) / 1e9;

  return {
    lines: lines.length,
    decodeLinesPerSecond: Math.round(lines.length / decodeSeconds),
    rulesLinesPerSecond: Math.round(lines.length / rulesSeconds),
    endToEndLinesPerSecond: Math.round(lines.length / (decodeSeconds + rulesSeconds)),
    alerts,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchWazuhEngines(50_000); // warm-up: let the JIT settle before measuring
  console.log(JSON.stringify(benchWazuhEngines(), null, 2));
}
