// `tld replay FILE`: ship an existing log file through the collector exactly as an agent would (CrowdSec's
// replay mode is the model), for demos, benchmarks and trying rules on old logs.
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { loadConfig } from "../../lib/config.js";
import { shipBatch, type ShippedEvent } from "../../lib/collectorClient.js";
import { localAgentKey } from "../../lib/secrets.js";
import { lowerPriority } from "../../lib/priority.js";
import { printJson, UserError } from "../output.js";

interface ReplayOptions {
  format: string;
  agent: string;
  collector?: string;
  batch: string;
  concurrency: string;
  json?: boolean;
  live?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command("replay")
    .description("ship a log file through the collector as an agent would, line by line, in order")
    .argument("<file>", "log file to replay (read once, start to end)")
    .addOption(new Option("-f, --format <format>", "log format of the file").choices(["apache", "nginx", "syslog", "json"]).default("apache"))
    .option("-a, --agent <name>", "agent name the events are attributed to", "replay")
    .option("--collector <url>", "collector base URL (default: the configured collector)")
    .option("--batch <lines>", "lines per request", "500")
    .option("--concurrency <n>", "requests in flight", "4")
    .option("--live", "send as live traffic, not paced: a big file then queues ahead of the agents' lines")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Each line becomes one RawEvent in tld.events.raw, keyed by the agent, with location = the file's absolute path.
The agent key is TLD_COLLECTOR_AGENT_KEY, else the one \`tld up\` generated under <stateDir>/secrets/.
Progress is shown on a terminal; the summary gives lines sent and lines per second.
A replay is bulk traffic: the collector lets its batches in only while the pipeline's queues are short
(collector.bulkQueueDelayMs, TLD_COLLECTOR_BULK_QUEUE_DELAY_MS), so it runs at the pipeline's pace and live
agents' lines never wait behind it. --live turns that off.

Examples:
  tld replay /var/log/apache2/access.log --agent ubuntu
  tld replay old.log --format nginx --json`,
    )
    .action(async (file: string, options: ReplayOptions) => {
      const summary = await replayFile(file, options);
      if (options.json) printJson(summary);
      else console.log(`replayed ${summary.lines} lines from ${summary.file} as agent ${summary.agent} in ${summary.seconds}s (${summary.linesPerSecond} lines/s)${summary.truncated ? `, ${summary.truncated} over-long lines truncated` : ""}`);
    });
}

async function replayFile(file: string, options: ReplayOptions) {
  // Bulk: reading and sending the file must not take CPU from the pipeline when it runs on the manager.
  if (!options.live) lowerPriority();
  const config = loadConfig();
  const absolute = path.resolve(file);
  let size: number;
  try {
    size = statSync(absolute).size;
  } catch {
    throw new UserError(`cannot read ${absolute}: no such file`);
  }
  const batchSize = positiveInt(options.batch, "--batch");
  const concurrency = positiveInt(options.concurrency, "--concurrency");
  const baseUrl = options.collector ?? `http://${config.collector.host}:${config.collector.port}`;
  const key = localAgentKey(config);
  const runId = randomUUID().slice(0, 8);
  const agent = { name: options.agent };
  const maxLine = config.collector.maxLineBytes;

  const bar = process.stderr.isTTY && !options.json
    ? new cliProgress.SingleBar({ format: "replay |{bar}| {percentage}% | {lines} lines | {rate} lines/s | eta {eta_formatted}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(size, 0, { lines: 0, rate: 0 });

  const started = Date.now();
  let lineNo = 0;
  let sent = 0;
  let bytesRead = 0;
  let truncated = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: Error | null = null;
  const ship = (events: ShippedEvent[], bytes: number) => {
    const p = shipBatch(agent, events, {
      baseUrl,
      key,
      lane: options.live ? "live" : "bulk",
      onRetry: (attempt, reason) => {
        if (attempt === 1 || attempt % 10 === 0) process.stderr.write(`\ntld replay: collector busy or unreachable (${reason}); retrying\n`);
      },
    })
      .then((n) => {
        sent += n;
        bar?.update(bytes, { lines: sent, rate: Math.round(sent / Math.max(0.001, (Date.now() - started) / 1000)) });
      })
      .catch((err: Error) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const lines = createInterface({ input: createReadStream(absolute), crlfDelay: Infinity });
  let batch: ShippedEvent[] = [];
  for await (const line of lines) {
    lineNo++;
    bytesRead += Buffer.byteLength(line) + 1;
    if (line.length === 0) continue;
    let message = line;
    if (message.length > maxLine) {
      message = message.slice(0, maxLine);
      truncated++;
    }
    batch.push({ id: `replay-${runId}-${lineNo}`, location: absolute, logFormat: options.format, message, collectedAt: Date.now() });
    if (batch.length >= batchSize) {
      ship(batch, bytesRead);
      batch = [];
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) break;
    }
  }
  if (batch.length > 0 && !failure) ship(batch, bytesRead);
  await Promise.all(inFlight);
  bar?.stop();
  if (failure) {
    throw new UserError(`${(failure as Error).message} (after ${sent} lines were accepted)`);
  }
  const seconds = (Date.now() - started) / 1000;
  return { file: absolute, agent: options.agent, format: options.format, lines: sent, truncated, seconds: Number(seconds.toFixed(3)), linesPerSecond: Math.round(sent / Math.max(seconds, 0.001)), runId };
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}
