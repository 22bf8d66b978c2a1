// `npm run bench`: throughput figures on the local stack, printed as a table and saved as JSON under
// bench/results/ (latest.json is the last run). Speed is measured here, never asserted in tests.
//   TLD_BENCH_LINES   lines in the generated log (default 300000)
//   TLD_BENCH_E2E_LINES   lines of the end-to-end run, also the peers' log (default 1000000)
//   TLD_BENCH_PEER_BUDGET_S   wall-clock budget of each peer run, fail2ban and CrowdSec (default 300; bench/peers.ts)
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { loadConfig, PACKAGE_ROOT } from "../lib/config.js";
import { prepareStack } from "../test/harness/stack.js";
import { writeApacheLog } from "./logs.js";
import { decodeOnly, decoderThroughKafka, replayToDecoded } from "./pipeline.js";
import { benchLists } from "./lists.js";
import { benchAgent } from "./agent.js";
import { benchDashboard } from "./dashboard.js";
import { benchAlertToCommand } from "./activeResponse.js";
import { benchAgentEnforcement } from "./agentEnforcement.js";
import { benchPeers, ourFigure, peerRows } from "./peers.js";
import { benchUseCaseUnderLoad } from "./usecase.js";
import { benchKafkaFloor } from "./kafkaFloor.js";
import { ceilingWithout, designCeiling } from "./ceiling.js";
import { benchWazuhEngines } from "../services/matcher/rules/rules.bench.js";

const lines = Number(process.env.TLD_BENCH_LINES ?? 300_000);
const config = loadConfig();
const stack = await prepareStack((line) => console.error(`[stack] ${line}`));
try {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-bench-"));
  const log = path.join(dir, "access.log");
  console.error(`generating ${lines} seeded Apache lines in ${log}`);
  await writeApacheLog(log, lines);

  const figures: Record<string, number | string | Record<string, number>> = {};
  const rows: [string, string, string][] = [];

  const pure = decodeOnly(readFileSync(log, "utf8").split("\n").filter(Boolean));
  figures.decode_only_lines_per_s = pure.linesPerSecond;
  rows.push(["decode only (one core, no Kafka)", `${pure.linesPerSecond.toLocaleString("en")} lines/s`, "parse + Avro encode, in process"]);

  // First, while the stack is idle: the broker's share is its CPU net of its idle rate, which a stack still
  // working through an earlier run's backlog would swamp.
  const floor = await benchKafkaFloor(config, 300_000, (line) => console.error(line));
  Object.assign(figures, floor);

  const e2e = await replayToDecoded(config, log, lines);
  figures.replay_lines_per_s = e2e.replayLinesPerSecond;
  figures.replay_to_decoded_lines_per_s = e2e.decodedLinesPerSecond;
  rows.push(["tld replay → collector → Kafka", `${e2e.replayLinesPerSecond.toLocaleString("en")} lines/s`, `${lines.toLocaleString("en")} lines, HTTP batches of 500, paced as bulk behind live traffic`]);
  rows.push(["replay → tld.events.decoded", `${e2e.decodedLinesPerSecond.toLocaleString("en")} lines/s`, `last decoded ${e2e.lagAfterReplayMs} ms after replay returned`]);
  for (const [part, f] of Object.entries(e2e.perPart)) {
    rows.push([`  ${part} during replay`, `${f.cpuSeconds} CPU s`, `peak RSS ${f.peakRssMb} MB`]);
  }
  figures.replay_cpu_seconds = Object.fromEntries(Object.entries(e2e.perPart).map(([k, v]) => [k, v.cpuSeconds]));
  figures.peak_rss_mb = Object.fromEntries(Object.entries(e2e.perPart).map(([k, v]) => [k, v.peakRssMb]));

  const decoder = await decoderThroughKafka(config, Math.min(1_000_000, lines * 2));
  figures.decoder_lines_per_s = decoder.linesPerSecond;
  figures.decoder_cpu_s = decoder.cpuSeconds;
  figures.decoder_peak_rss_mb = decoder.peakRssMb;
  rows.push(["one decoder through Kafka (rest paused)", `${decoder.linesPerSecond.toLocaleString("en")} lines/s`, `${decoder.consumed.toLocaleString("en")} events, ${decoder.cpuSeconds} CPU s, peak RSS ${decoder.peakRssMb} MB`]);
  rows.push(["  ratio to the aim (50,000/s)", (decoder.linesPerSecond / 50_000).toFixed(2), "≥ 1.00 meets it"]);
  rows.push(["  ratio to decode only", (decoder.linesPerSecond / pure.linesPerSecond).toFixed(2), "what Kafka I/O and batching cost"]);

  benchWazuhEngines(50_000); // warm-up: let the JIT settle before measuring
  const engines = benchWazuhEngines(400_000);
  figures.rules_lines_per_s = engines.rulesLinesPerSecond;
  figures.decode_and_rules_lines_per_s = engines.endToEndLinesPerSecond;
  rows.push(["rule engine (one core, in process)", `${engines.rulesLinesPerSecond.toLocaleString("en")} lines/s`, "stock web rules + 100100, a list lookup on every line; aim ≥ 200,000/s"]);
  rows.push(["  decoders + rules", `${engines.endToEndLinesPerSecond.toLocaleString("en")} lines/s`, `${engines.alerts.toLocaleString("en")} alerts of ${engines.lines.toLocaleString("en")} lines`]);

  const lists = await benchLists(config);
  Object.assign(figures, lists);
  rows.push(["import of a 1M-entry list into Redis", `${lists.list_import_1m_s} s`, "aim ≤ 10 s"]);
  rows.push(["list lookups against Redis", `${lists.list_lookups_per_s.toLocaleString("en")} /s`, "address lookups, batches of 2000; aim ≥ 100,000/s"]);
  rows.push(["Redis memory per list entry", `${lists.redis_bytes_per_entry} bytes`, "used_memory delta / entries"]);

  const agent = await benchAgent({ lines: Math.min(lines, 300_000) });
  Object.assign(figures, agent);
  rows.push(["agent: one tailed file → collector", `${agent.agent_lines_per_s.toLocaleString("en")} lines/s`, "backlog read from the start until acknowledged; aim ≥ 50,000/s"]);
  rows.push(["agent tailing a steady 5,000 lines/s", `${agent.agent_steady_cpu_percent} % CPU`, `peak RSS ${agent.agent_steady_peak_rss_mb} MB (node --optimize-for-size, as the service units run it; Node 20 alone: ~40 MB); aim ≤ 10 %, ≤ 60 MB`]);

  const dashboard = await benchDashboard(config, (line) => console.error(line));
  Object.assign(figures, dashboard);
  rows.push(["alerts indexed into the alert store", `${dashboard.alerts_indexed_per_s.toLocaleString("en")} /s`, "PostgreSQL, chunks of 2000 as the consumer writes them; aim ≥ 5,000/s"]);
  rows.push(["search rule.id:(651 OR 100100), 24 h", `p99 ${dashboard.alert_search_ms.p99} ms`, `page + total + histogram over ${dashboard.stored_alerts.toLocaleString("en")} stored alerts (${dashboard.alert_search_matches.toLocaleString("en")} match); p50 ${dashboard.alert_search_ms.p50} ms; aim p99 ≤ 300 ms`]);

  const ar = await benchAlertToCommand(100, (line) => console.error(line));
  Object.assign(figures, ar);
  rows.push(["alert → command on the agent's channel", `p99 ${ar.alert_to_command_ms.p99} ms`, `tld.alerts → responder → tld.ar.commands → collector → SSE; p50 ${ar.alert_to_command_ms.p50} ms over ${ar.alert_to_command_ms.samples} alerts`]);

  const enforcement = await benchAgentEnforcement(config, 60, (line) => console.error(line));
  Object.assign(figures, enforcement);
  const { command_to_rule_ms: toRule, file_line_to_block_ms: toBlock } = enforcement;
  if (toRule) rows.push(["agent: command received → rule in the kernel", `p99 ${toRule.p99} ms`, `nftables in a namespace, agent inside the victim; p50 ${toRule.p50} ms over ${toRule.samples} commands`]);
  if (enforcement.alert_to_block_ms) rows.push(["alert → rule in the agent's kernel", `p99 ${enforcement.alert_to_block_ms.p99} ms`, `tld.alerts → responder → push channel → nftables; p50 ${enforcement.alert_to_block_ms.p50} ms; aim p99 ≤ 100 ms`]);
  if (toBlock) rows.push(["log line appended on the agent → rule in the kernel", `p99 ${toBlock.p99} ms`, `the whole pipeline and back (rule 100100, 100 ms agent batching); p50 ${toBlock.p50} ms; aim p99 ≤ 250 ms`]);
  if (enforcement.agent_enforcement_note) rows.push(["agent enforcement (namespaces)", "-", enforcement.agent_enforcement_note]);

  const e2eLines = Number(process.env.TLD_BENCH_E2E_LINES ?? 1_000_000);
  const e2eLog = e2eLines === lines ? log : path.join(dir, "e2e-access.log");
  if (e2eLog !== log) await writeApacheLog(e2eLog, e2eLines);
  const usecase = await benchUseCaseUnderLoad(config, e2eLog, e2eLines, (line) => console.error(line));
  Object.assign(figures, usecase);
  if (usecase.e2e_events_per_s) {
    rows.push(["end to end: tld replay → last alert out", `${usecase.e2e_events_per_s.toLocaleString("en")} events/s`, `${(usecase.e2e_lines ?? 0).toLocaleString("en")} lines in ${usecase.e2e_seconds} s, ${(usecase.e2e_alerts ?? 0).toLocaleString("en")} alerts, a lookup in a ${(usecase.e2e_list_entries ?? 0).toLocaleString("en")}-entry list per event; aim ≥ 50,000/s`]);
    for (const [part, cpu] of Object.entries(usecase.e2e_cpu_seconds ?? {})) rows.push([`  ${part} over the run`, `${cpu} CPU s`, `peak RSS ${usecase.e2e_peak_rss_mb?.[part] ?? "?"} MB`]);
    if (usecase.e2e_machine_busy_percent !== undefined) rows.push(["  whole machine busy over the run", `${usecase.e2e_machine_busy_percent} %`, `of ${cpus().length} cores, every process (Redis and PostgreSQL too)`]);
  }
  if (usecase.line_to_block_idle_ms) {
    const u = usecase.line_to_block_idle_ms;
    rows.push(["use case, idle: Apache writes the line → block in the kernel", `p99 ${u.p99} ms`, `tld demo's setting, ${u.samples} attacker addresses (nft monitor in the victim); p50 ${u.p50} ms; aim p99 ≤ 250 ms`]);
  }
  if (usecase.line_to_block_ms) {
    const u = usecase.line_to_block_ms;
    rows.push(["use case, under the end-to-end load: line → block", `p99 ${u.p99} ms`, `${u.samples} attackers, two a second while the replay runs; p50 ${u.p50} ms; aim p99 ≤ 250 ms`]);
  }
  if (usecase.usecase_note) rows.push(["use case (namespaces)", "-", usecase.usecase_note]);

  // What one event costs at least on this design, part by part, and so the most it can take here (bench/ceiling.ts).
  rows.push(["kafkajs: one record produced (client CPU)", `${floor.kafka_produce_us_per_record} µs`, `bare ${floor.kafka_floor_records.toLocaleString("en")} records of 465 bytes, sends of 2,000, the stages' producer settings, on the idle stack; broker ${floor.kafka_broker_produce_us_per_record} µs`]);
  rows.push(["kafkajs: one record consumed (client CPU)", `${floor.kafka_consume_us_per_record} µs`, `eachBatch doing nothing, the stages' fetch settings; broker ${floor.kafka_broker_consume_us_per_record} µs`]);
  if (usecase.e2e_lines && usecase.e2e_alerts !== undefined) {
    const ceiling = designCeiling({
      cores: cpus().length,
      alertsPerLine: usecase.e2e_alerts / usecase.e2e_lines,
      alertReaders: 2,
      kafka: { produceUs: floor.kafka_produce_us_per_record, consumeUs: floor.kafka_consume_us_per_record, brokerProduceUs: floor.kafka_broker_produce_us_per_record, brokerConsumeUs: floor.kafka_broker_consume_us_per_record },
      decodeUs: 1e6 / pure.linesPerSecond,
      rulesUs: 1e6 / engines.rulesLinesPerSecond,
      indexUs: 1e6 / dashboard.alerts_indexed_per_s,
    });
    figures.e2e_floor_us_per_line = ceiling.floorUsPerLine;
    figures.e2e_floor_parts_us = ceiling.parts;
    figures.e2e_ceiling_events_per_s = ceiling.eventsPerSecond;
    const parts = Object.entries(ceiling.parts).map(([k, v]) => `${k.replace("_", " ")} ${v}`).join(", ");
    rows.push(["design floor: CPU one log line costs at least", `${ceiling.floorUsPerLine} µs`, `${parts} (each at its cheapest, bench/ceiling.ts)`]);
    rows.push(["  ceiling on this machine", `${ceiling.eventsPerSecond.toLocaleString("en")} events/s`, `${cpus().length} cores fully busy at the floor; aim 50,000/s. Lifted: one record per collector batch on the raw hop ${ceilingWithout(ceiling, cpus().length, ["raw_hop"]).toLocaleString("en")}/s; that and the alert index left for later ${ceilingWithout(ceiling, cpus().length, ["raw_hop", "alert_index"]).toLocaleString("en")}/s`]);
  }

  // The peers last, on the same log: they need no stack, and ours is idle by then.
  const peers = await benchPeers(e2eLog, e2eLines);
  rows.push(...peerRows(peers, ourFigure(figures)));

  const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
  console.log(`\nThreatLockDown bench — ${new Date().toISOString()} — ${cpus().length} cores\n`);
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width[0])}  ${value.padStart(width[1])}  ${note}`);
  console.log("\npeers:");
  for (const note of peers.notes) console.log(`  - ${note}`);

  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PACKAGE_ROOT }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  const result = { commit, date: new Date().toISOString(), cores: cpus().length, lines, ...figures, peers };
  const resultsDir = path.join(PACKAGE_ROOT, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const json = JSON.stringify(result, null, 2) + "\n";
  writeFileSync(path.join(resultsDir, `${result.date.replace(/[:.]/g, "-")}.json`), json);
  writeFileSync(path.join(resultsDir, "latest.json"), json);
  console.log(`\nsaved bench/results/latest.json`);
} finally {
  await stack.stop();
}
