// Pipeline benchmarks: the decoder in process, the replay path end to end, and one decoder through Kafka.
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import type { TldConfig } from "../lib/config.js";
import { PACKAGE_ROOT } from "../lib/config.js";
import { consumerGroupId, createKafka, deleteConsumerGroups } from "../lib/kafka.js";
import { createLogger } from "../lib/logger.js";
import { avroType } from "../lib/schemas.js";
import type { RawEvent } from "../lib/records.js";
import { decodeEvent, loadDecoderEngine } from "../services/decoder/decode.js";
import { STOCK_DECODER_DIR } from "../lib/manager.js";
import { TOPICS } from "../lib/topics.js";
import { cpuBetween, procFigures, snapshot, stackPids, type ProcFigures } from "./proc.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function decodeOnly(lines: string[]): { linesPerSecond: number } {
  const type = avroType("DecodedEvent");
  const agent = { id: "bench", name: "bench", ip: null, os: "linux" };
  const engine = loadDecoderEngine({ decoderDirs: [STOCK_DECODER_DIR], decoderExclude: [] });
  const started = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const raw: RawEvent = { id: `b-${i}`, agent, location: "/var/log/apache2/access.log", logFormat: "apache", message: lines[i], collectedAt: 0, receivedAt: 0 };
    type.toBuffer(decodeEvent(engine, raw));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { linesPerSecond: Math.round(lines.length / seconds) };
}

async function topicEnd(config: TldConfig, topic: string): Promise<number> {
  const admin = createKafka(config, createLogger("bench", "error")).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function replayToDecoded(config: TldConfig, file: string, lines: number) {
  const pids = await stackPids();
  const cpuBefore = snapshot(pids);
  const before = await topicEnd(config, TOPICS.decoded);
  const started = Date.now();
  const replay = await run(process.execPath, [path.join(PACKAGE_ROOT, "bin", "tld.js"), "replay", file, "--agent", "bench", "--json"], { maxBuffer: 1 << 20 });
  const replayed = JSON.parse(replay.stdout) as { lines: number; linesPerSecond: number };
  const replayDone = Date.now();
  const deadline = Date.now() + 300_000;
  let end = before;
  while (end - before < lines && Date.now() < deadline) {
    await sleep(100);
    end = await topicEnd(config, TOPICS.decoded);
  }
  const done = Date.now();
  if (end - before < lines) throw new Error(`only ${end - before} of ${lines} lines reached ${TOPICS.decoded} within 5 minutes`);
  return {
    replayLinesPerSecond: replayed.linesPerSecond,
    decodedLinesPerSecond: Math.round(lines / ((done - started) / 1000)),
    lagAfterReplayMs: done - replayDone,
    perPart: cpuBetween(cpuBefore, snapshot(pids)) as Record<string, ProcFigures>,
  };
}

/**
 * Starts a second decoder in a consumer group of its own and times it through tld.events.raw from the start.
 * The stack's own stages are paused (SIGSTOP) meanwhile, so the figure is one decoder's with only Kafka beside
 * it; they resume (SIGCONT) inside their consumer session timeout (kafka.sessionTimeoutMs).
 */
export async function decoderThroughKafka(config: TldConfig, limit: number) {
  const paused = Object.entries(await stackPids()).filter(([name]) => ["collector", "decoder", "matcher", "responder", "dashboard"].includes(name));
  for (const [, pid] of paused) process.kill(pid, "SIGSTOP");
  try {
    return await timeDecoder(config, limit);
  } finally {
    for (const [, pid] of paused) process.kill(pid, "SIGCONT");
  }
}

async function timeDecoder(config: TldConfig, limit: number) {
  const available = await topicEnd(config, TOPICS.raw);
  const target = Math.min(available, limit);
  const port = 9711;
  const groupPrefix = `bench-${Date.now()}`;
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, "dist", "services", "decoder", "main.js")], {
    env: { ...process.env, TLD_KAFKA_GROUP_PREFIX: groupPrefix, TLD_DECODER_PORT: String(port), TLD_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const consumed = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^tld_stage_consumed_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  };
  try {
    // Inside the paused stages' consumer session timeout, so they keep their partitions (no rebalance after).
    const deadline = Date.now() + Math.max(5_000, config.kafka.sessionTimeoutMs - 2_000);
    let first = 0;
    let firstAt = 0;
    let n = 0;
    while (Date.now() < deadline) {
      await sleep(50);
      n = await consumed().catch(() => 0);
      if (n > 0 && !firstAt) {
        first = n;
        firstAt = Date.now();
      }
      if (n >= target) break;
    }
    const seconds = (Date.now() - firstAt) / 1000;
    const figures = procFigures(child.pid as number);
    return { consumed: n, linesPerSecond: Math.round((n - first) / seconds), ...figures };
  } finally {
    child.kill("SIGTERM");
    // Its consumer group was for this run only: once it has left, nothing is kept of it.
    await Promise.race([exited, sleep(10_000)]);
    await deleteConsumerGroups(config, createLogger("bench", "error"), [consumerGroupId({ ...config, kafka: { ...config.kafka, consumerGroupPrefix: groupPrefix } }, "decoder")]);
  }
}
