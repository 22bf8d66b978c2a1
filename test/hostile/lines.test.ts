// Hostile lines through the decoders and the rules, in process (no stack: this is the decoder's and the matcher's
// pure core, the stock ruleset + rule 100100 + a list lookup on every line, as test/ruleset-fuzz.test.ts runs
// 120k random lines; here 1M lines of deliberately hostile shapes, see shapes.ts).
//   - no crash: nothing throws, every srcip is canonical, every record fits its Avro schema, nothing is polluted;
//   - no hang: every line's decode + match is timed; a line over HANG_MS (re-run, best of 5, so a descheduled
//     process on a busy machine is not taken for backtracking) means catastrophic backtracking, and fails;
//   - memory flat: heap used after a forced GC, sampled every 100k lines after the warm-up, stays within bounds.
// And every pattern the decoder and the matcher run on a line (decoders, rules, syslog headers) is put to recheck,
// a ReDoS checker: an attack string it finds is pumped to the collector's line limit and timed the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { check } from "recheck";
import { PACKAGE_ROOT } from "../../lib/config.js";
import { canonicalIp } from "../../lib/ip.js";
import { InMemoryListStore } from "../../lib/lists/memory.js";
import { parseListText } from "../../lib/lists/parse.js";
import type { RawEvent } from "../../lib/records.js";
import { avroType } from "../../lib/schemas.js";
import { translatePcre2, type CompiledPattern } from "../../lib/wazuh/index.js";
import { SYSLOG_HEADER_PATTERNS } from "../../lib/wazuh/predecode.js";
import { decodeEvent, loadDecoderEngine } from "../../services/decoder/decode.js";
import { loadDecoderDirs } from "../../services/decoder/wazuh/load.js";
import { createMatcher, loadRuleEngine } from "../../services/matcher/match.js";
import { loadRuleDirs } from "../../services/matcher/rules/load.js";
import { hostileLineSource, MAX_LINE } from "./shapes.js";

const LINES = 1_000_000;
const WARM_UP = 100_000;
const SAMPLE_EVERY = 100_000;
const SEED = 20261208;
/** One line taking this long (best of 5) is a hang: linear work on 1 MB takes a few milliseconds. */
const HANG_MS = 50;
/** Heap growth allowed from the warm-up to the end (a leak of 100 bytes a line would be 90 MB). */
const HEAP_GROWTH_BYTES = 24 * 1024 * 1024;

const root = (p: string) => path.join(PACKAGE_ROOT, p);
const decoderDirs = [root("ruleset/decoders")];
const ruleDirs = [root("ruleset/rules"), root("etc/rules")];

function pipeline() {
  const decoders = loadDecoderEngine({ decoderDirs, decoderExclude: [] });
  const lists = new InMemoryListStore();
  lists.replace("etc/lists/blacklist-alienvault", parseListText("203.0.113.66:\n10.1.:\n198.18.0.0/22:\n\"2001:db8::/32\":\n", "cdb").entries);
  const matcher = createMatcher(loadRuleEngine({ ruleDirs, ruleExclude: [] }, { lists }), 3);
  const decodedType = avroType("DecodedEvent");
  const alertType = avroType("Alert");
  let n = 0;
  /** Decodes and matches one line; returns what it raised, throws with the reason when a check fails. */
  const run = (message: string) => {
    const raw: RawEvent = { id: `hostile-${n}`, agent: { id: "001", name: "hostile", ip: null, os: null }, location: n % 7 === 0 ? "active-response" : "/var/log/hostile", logFormat: "syslog", message, collectedAt: 1_700_000_000_000 + n, receivedAt: 0 };
    n++;
    const decoded = decodeEvent(decoders, raw, 0);
    const alert = matcher.alertFor(decoded);
    if (alert instanceof Promise) throw new Error("in-memory stores answer synchronously");
    return { decoded, alert };
  };
  const checkRecords = ({ decoded, alert }: ReturnType<typeof run>) => {
    if (decoded.srcip !== null && canonicalIp(decoded.srcip) !== decoded.srcip) throw new Error(`srcip ${JSON.stringify(decoded.srcip)} is not canonical`);
    if (decoded.fields.srcip !== undefined && decoded.fields.srcip !== decoded.srcip) throw new Error("fields.srcip differs from srcip");
    if (!decodedType.isValid(decoded)) throw new Error("the decoded event does not fit its schema");
    if (alert && !alertType.isValid(alert)) throw new Error("the alert does not fit its schema");
    if (alert && alert.fields.srcip !== undefined && canonicalIp(alert.fields.srcip) !== alert.fields.srcip) throw new Error("alert srcip is not canonical");
  };
  return { run, checkRecords };
}

/** Best of `tries` runs of `work`, in ms. */
function bestOf(tries: number, work: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const t = process.hrtime.bigint();
    work();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

const preview = (line: string) => `${JSON.stringify(line.slice(0, 100))}${line.length > 100 ? `… (${line.length} chars)` : ""}`;

function forcedGc(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return () => {
    gc();
    gc();
  };
}

test(`${LINES} hostile lines through the stock decoders and rules: no throw, no hang, heap flat`, () => {
  const { run, checkRecords } = pipeline();
  const source = hostileLineSource(SEED);
  const gc = forcedGc();
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join();
  const slowest: { ms: number; index: number; shape: string; line: string }[] = [];
  const byShape = new Map<string, { lines: number; ms: number; maxMs: number }>();
  const heap: number[] = [];
  let decoded = 0;
  let alerts = 0;
  let chars = 0;
  const started = Date.now();
  for (let i = 0; i < LINES; i++) {
    if (i === WARM_UP || (i > WARM_UP && i % SAMPLE_EVERY === 0)) {
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    const { shape, line } = source.next();
    chars += line.length;
    let result: ReturnType<typeof run>;
    const t = process.hrtime.bigint();
    try {
      result = run(line);
    } catch (err) {
      assert.fail(`line ${i} (seed ${SEED}, ${shape}) ${preview(line)} threw: ${(err as Error).stack}`);
    }
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    try {
      checkRecords(result);
    } catch (err) {
      assert.fail(`line ${i} (seed ${SEED}, ${shape}) ${preview(line)}: ${(err as Error).message}`);
    }
    if (result.decoded.decoder !== null) decoded++;
    if (result.alert) alerts++;
    const s = byShape.get(shape) ?? { lines: 0, ms: 0, maxMs: 0 };
    s.lines++;
    s.ms += ms;
    s.maxMs = Math.max(s.maxMs, ms);
    byShape.set(shape, s);
    if (slowest.length < 5 || ms > slowest[slowest.length - 1].ms) {
      slowest.push({ ms, index: i, shape, line });
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.length = Math.min(slowest.length, 5);
    }
  }
  gc();
  heap.push(process.memoryUsage().heapUsed);
  const seconds = (Date.now() - started) / 1000;

  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(`${LINES} lines (${mb(chars)} of text) in ${seconds.toFixed(1)} s: ${decoded} decoded, ${alerts} alerts`);
  console.log(`heap used after GC, every ${SAMPLE_EVERY} lines from line ${WARM_UP}: ${heap.map(mb).join(", ")}`);
  for (const [shape, s] of [...byShape].sort((a, b) => b[1].maxMs - a[1].maxMs)) {
    console.log(`  ${shape.padEnd(20)} ${String(s.lines).padStart(7)} lines, mean ${((s.ms / s.lines) * 1000).toFixed(1)} µs, slowest ${s.maxMs.toFixed(2)} ms`);
  }
  // The slowest lines again, best of 5: what the line costs, without the scheduler's or the GC's share.
  const worst = slowest.map((s) => ({ ...s, bestMs: bestOf(5, () => run(s.line)) })).sort((a, b) => b.bestMs - a.bestMs);
  for (const w of worst) console.log(`slow line ${w.index} (${w.shape}): ${w.ms.toFixed(2)} ms in the run, best of 5 ${w.bestMs.toFixed(2)} ms: ${preview(w.line)}`);

  assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), prototypeKeys, "Object.prototype is untouched");
  assert.ok(worst[0].bestMs < HANG_MS, `line ${worst[0].index} takes ${worst[0].bestMs.toFixed(1)} ms (best of 5): catastrophic backtracking? ${preview(worst[0].line)}`);
  const growth = heap[heap.length - 1] - heap[0];
  assert.ok(growth < HEAP_GROWTH_BYTES, `heap grew by ${mb(growth)} from the warm-up to the end (${heap.map(mb).join(", ")})`);
  // The shapes are hostile, but enough of them must reach the decoders and the rules to mean something.
  assert.ok(decoded > LINES / 4, `decoded ${decoded}`);
  assert.ok(alerts > LINES / 100, `alerts ${alerts}`);
});

/** Every compiled pattern in a definition tree (decoders' prematch/regex/program_name, rules' match/regex/fields). */
function patternsIn(value: unknown, where: string, out: { where: string; pattern: CompiledPattern }[], seen = new Set<unknown>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if ("jsSource" in value && "exec" in value) {
    out.push({ where, pattern: value as CompiledPattern });
    return;
  }
  for (const [key, nested] of Object.entries(value)) patternsIn(nested, `${where}.${key}`, out, seen);
}

function flagsOf(pattern: CompiledPattern): string {
  // OS_Regex and OS_Match compile case-insensitive (lib/wazuh/regex.ts); PCRE2 carries its own.
  return pattern.type === "pcre2" ? translatePcre2(pattern.source).flags : "i";
}

test("recheck finds no catastrophic backtracking in any stock pattern; any attack it finds stays bounded at the line limit", async () => {
  const found: { where: string; pattern: CompiledPattern }[] = [];
  for (const d of loadDecoderDirs(decoderDirs)) patternsIn(d, `decoder ${d.name} (${path.basename(d.file ?? "")}:${d.line})`, found);
  for (const r of loadRuleDirs(ruleDirs)) patternsIn(r, `rule ${r.id} (${path.basename(r.file ?? "")}:${r.line})`, found);
  const targets = new Map<string, { where: string[]; source: string; flags: string; exec: (s: string) => unknown }>();
  for (const { where, pattern } of found) {
    const flags = flagsOf(pattern);
    const key = `/${pattern.jsSource}/${flags}`;
    const t = targets.get(key) ?? { where: [], source: pattern.jsSource, flags, exec: (s: string) => pattern.exec(s) };
    t.where.push(where);
    targets.set(key, t);
  }
  for (const re of SYSLOG_HEADER_PATTERNS) targets.set(`/${re.source}/${re.flags}`, { where: ["syslog header (lib/wazuh/predecode.ts)"], source: re.source, flags: re.flags, exec: (s: string) => re.exec(s) });
  assert.ok(targets.size >= 20, `found ${targets.size} patterns: the walk over the definitions missed some`);

  // The control: a pattern known to be exponential is found so, with its attack (a checker that finds nothing
  // would make this test pass for nothing).
  const control = await check("^(a+)+$", "", { timeout: 20_000 });
  assert.equal(control.status, "vulnerable");
  assert.ok(control.status === "vulnerable" && control.complexity.type === "exponential" && control.attack.string.length > 0);

  const { run } = pipeline();
  const problems: string[] = [];
  const verdicts = await Promise.all([...targets.values()].map((t) => check(t.source, t.flags, { timeout: 20_000 })));
  for (const [i, [key, t]] of [...targets].entries()) {
    const verdict = verdicts[i];
    let line = `${verdict.status.padEnd(10)} ${"complexity" in verdict ? verdict.complexity.type : verdict.error.kind}`;
    if (verdict.status === "vulnerable" && verdict.attack) {
      // recheck's attack: prefix + pump×n (per pump) + suffix. Pumped here to the longest line the collector takes.
      const { pumps, suffix } = verdict.attack;
      const room = Math.max(0, MAX_LINE - suffix.length - pumps.reduce((n, p) => n + p.prefix.length, 0));
      const attack = pumps.map((p) => p.prefix + p.pump.repeat(Math.max(1, Math.floor(room / pumps.length / Math.max(1, p.pump.length))))).join("") + suffix;
      const patternMs = bestOf(3, () => t.exec(attack));
      const lineMs = bestOf(3, () => run(attack));
      line += `; attack ${JSON.stringify(verdict.attack.pattern).slice(0, 80)} at ${attack.length} chars: pattern ${patternMs.toFixed(2)} ms, decode + match ${lineMs.toFixed(2)} ms`;
      if (verdict.complexity.type === "exponential") problems.push(`${key} (${t.where[0]}) is exponential: ${line}`);
      else if (patternMs >= HANG_MS || lineMs >= HANG_MS) problems.push(`${key} (${t.where[0]}): ${line}`);
    }
    console.log(`${line}  ${key.slice(0, 90)}  [${t.where.length} use(s), e.g. ${t.where[0]}]`);
  }
  assert.deepEqual(problems, []);
});
