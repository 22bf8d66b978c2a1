// End to end, the whole pipeline under load: a seeded Apache log (1M lines by default) sent by `tld replay`
// through the collector, decoder and matcher (rule 100100 looks its source up in blacklist-alienvault on every
// web event), until the last alert is out on tld.alerts. Done means: the decoder's and the matcher's consumer
// groups have consumed everything that was produced (lag 0) and tld.alerts has stopped growing; the end is the
// broker timestamp of the replay's last alert (keyed by its agent). Also the CPU seconds and peak RSS of every part over the run.
// Figures only, nothing asserted.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Admin } from "kafkajs";
import { TLD_BIN, type TldConfig } from "../lib/config.js";
import { ensureDebianPackages } from "../lib/debian.js";
import { consumerGroupId, createKafka } from "../lib/kafka.js";
import { createLogger } from "../lib/logger.js";
import { TOPICS } from "../lib/topics.js";
import { busyPercent, cpuBetween, machineCpu, snapshot, stackPids, type ProcFigures } from "./proc.js";
import { seededRandom } from "./logs.js";
import { RedisListStore } from "../lib/lists/redis.js";
import { parseListText } from "../lib/lists/parse.js";
import { parseNetwork } from "../lib/ip.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIST = "blacklist-alienvault";
/** The agent the replay names: its alerts are the run's (the use case's live agent may add some meanwhile). */
const AGENT = "bench-e2e";

export interface E2eFigures {
  e2e_lines: number;
  e2e_events_per_s: number;
  e2e_seconds: number;
  e2e_replay_lines_per_s: number;
  e2e_alerts: number;
  e2e_list_entries: number;
  e2e_cpu_seconds: Record<string, number>;
  e2e_peak_rss_mb: Record<string, number>;
  /** How busy the whole machine was (all cores, every process: Redis and PostgreSQL too) from the replay's start to the pipeline found idle. */
  e2e_machine_busy_percent: number;
}

async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

/** How far a consumer group is behind the end of a topic (all partitions). */
async function lag(admin: Admin, group: string, topic: string): Promise<number> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  let behind = 0;
  for (const p of committed?.partitions ?? []) behind += (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset));
  return behind;
}

/**
 * The broker timestamp of the newest record keyed `key` among the last records of each partition of `topic`
 * (alerts are keyed by agent: the replay's own, not a live agent's made meanwhile).
 */
async function newestTimestamp(config: TldConfig, topic: string, key: string): Promise<number> {
  const { stdout } = await run("kcat", ["-C", "-b", config.kafka.brokers.join(","), "-t", topic, "-o", "-2000", "-e", "-q", "-f", "%T\t%k\n"], { maxBuffer: 64 << 20 });
  const times = stdout.split("\n").filter((line) => line.endsWith(`\t${key}`)).map((line) => Number(line.slice(0, line.indexOf("\t"))));
  if (times.length === 0) throw new Error(`no record keyed ${key} among the last of ${topic}`);
  return Math.max(...times);
}

/**
 * A reputation list of `entries` random addresses plus a tenth of the log's sources (so 100100 fires), written
 * to `file`; returns its entries.
 */
function benchList(file: string, entries: number, logSources: number): string[] {
  const random = seededRandom(99);
  const listed: string[] = [];
  for (let i = 0; i < entries; i++) listed.push(`${11 + Math.floor(random() * 180)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`);
  for (let s = 0; s < logSources; s += 10) listed.push(`198.18.${(s >> 8) & 255}.${(s & 255) || 1}`);
  writeFileSync(file, ["# bench: random addresses and a tenth of the log's sources", ...listed].join("\n") + "\n");
  return listed;
}

export async function benchEndToEnd(config: TldConfig, log: string, lines: number, say: (line: string) => void = () => undefined): Promise<E2eFigures> {
  await ensureDebianPackages(["kcat"], "the end-to-end benchmark (it reads the last alert's broker time with kcat)", say);
  const admin = createKafka(config, createLogger("bench-e2e", "error")).admin();
  await admin.connect();
  const listFile = path.join(path.dirname(log), "bench-list.ipset");
  const listed = benchList(listFile, 50_000, 5_000);
  const lists = async () => JSON.parse((await run(process.execPath, [TLD_BIN, "lists", "ls", "--json"])).stdout) as { name: string; entries: number }[];
  // Rule 100100 names blacklist-alienvault: a list already there (the use case's) keeps its entries and gets the
  // bench's for the run, so every run looks up in a list of about the same size; else the bench imports its own
  // and deletes it after.
  const existed = (await lists()).some((l) => l.name === LIST);
  const store = await RedisListStore.open(config.redis.url);
  const entries = parseListText(listed.join("\n"), "ipset").entries.map((e) => ({ ...e, network: parseNetwork(e.key) }));
  if (existed) await store.add(LIST, entries, "ipset");
  else await run(process.execPath, [TLD_BIN, "lists", "import", listFile, "--name", LIST]);
  const listEntries = (await lists()).find((l) => l.name === LIST)?.entries ?? 0;
  try {
    const groups = { decoder: consumerGroupId(config, "decoder"), matcher: consumerGroupId(config, "matcher") };
    const alertsBefore = await topicEnd(admin, TOPICS.alerts);
    const pids = await stackPids();
    const cpuBefore = snapshot(pids);
    const machineBefore = machineCpu();
    const started = Date.now();
    say(`e2e: replaying ${lines.toLocaleString("en")} lines`);
    const replay = await run(process.execPath, [TLD_BIN, "replay", log, "--agent", AGENT, "--json"], { maxBuffer: 1 << 20 });
    const replayed = JSON.parse(replay.stdout) as { lines: number; linesPerSecond: number };
    say(`e2e: replay done (${replayed.linesPerSecond.toLocaleString("en")} lines/s); waiting for the decoder and the matcher to catch up`);
    const deadline = Date.now() + 900_000;
    let stableSince = 0;
    let lastAlerts = -1;
    for (;;) {
      if (Date.now() > deadline) throw new Error("the pipeline did not catch up within 15 minutes");
      const [decoderLag, matcherLag, alerts] = await Promise.all([lag(admin, groups.decoder, TOPICS.raw), lag(admin, groups.matcher, TOPICS.decoded), topicEnd(admin, TOPICS.alerts)]);
      if (decoderLag === 0 && matcherLag === 0 && alerts === lastAlerts) {
        if (!stableSince) stableSince = Date.now();
        // Offsets are committed once a second: two quiet seconds with nothing behind is done.
        if (Date.now() - stableSince >= 2_000) break;
      } else stableSince = 0;
      lastAlerts = alerts;
      await sleep(200);
    }
    const perPart = cpuBetween(cpuBefore, snapshot(pids)) as Record<string, ProcFigures>;
    const machineBusy = busyPercent(machineBefore, machineCpu());
    const end = await newestTimestamp(config, TOPICS.alerts, AGENT);
    const seconds = (end - started) / 1000;
    return {
      e2e_lines: lines,
      e2e_events_per_s: Math.round(lines / seconds),
      e2e_seconds: Number(seconds.toFixed(1)),
      e2e_replay_lines_per_s: replayed.linesPerSecond,
      e2e_alerts: lastAlerts - alertsBefore,
      e2e_list_entries: listEntries,
      e2e_cpu_seconds: Object.fromEntries(Object.entries(perPart).map(([k, v]) => [k, v.cpuSeconds])),
      e2e_peak_rss_mb: Object.fromEntries(Object.entries(perPart).map(([k, v]) => [k, v.peakRssMb])),
      e2e_machine_busy_percent: machineBusy,
    };
  } finally {
    if (existed) await store.remove(LIST, entries).catch(() => undefined);
    else await run(process.execPath, [TLD_BIN, "lists", "rm", LIST]).catch(() => undefined);
    await store.close();
    await admin.disconnect();
  }
}
