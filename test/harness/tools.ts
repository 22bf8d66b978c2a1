// Small tools the integration tests share: run the CLI, read a topic with a real Kafka client, wait.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../lib/config.js";
import { TLD_BIN } from "./stack.js";

const run = promisify(execFile);

export const config = () => loadConfig();

export async function tld(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [TLD_BIN, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

export function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-test-"));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A run tag unique to this test run, used in IPs or ids so a test only counts what it sent. */
export function runTag(): number {
  return Math.floor(Math.random() * 250) + 1;
}

export interface KcatRecord {
  key: string;
  value: Buffer;
  partition: number;
  offset: number;
}

/** kcat waits for an unreachable broker for ever: a read that long is a failure, not a wait. */
const KCAT_TIMEOUT_MS = 120_000;

/** When this test process started: topics are read from a little before it, not from the beginning of time. */
const TESTS_STARTED_AT = Date.now();

const kcatArgs = (topic: string, sinceMs: number, brokers: readonly string[]) =>
  // Each record: key, partition, offset, value length, then the raw value bytes; parsed from a binary stream.
  ["-C", "-b", brokers.join(","), "-t", topic, "-o", `s@${sinceMs}`, "-e", "-q", "-f", "%k\t%p\t%o\t%S\t%s\n"];

function parseKcatOutput(out: Buffer): KcatRecord[] {
  const records: KcatRecord[] = [];
  let pos = 0;
  while (pos < out.length) {
    const fields: string[] = [];
    for (let i = 0; i < 4; i++) {
      const tab = out.indexOf(0x09, pos);
      fields.push(out.subarray(pos, tab).toString());
      pos = tab + 1;
    }
    const size = Number(fields[3]);
    records.push({ key: fields[0], partition: Number(fields[1]), offset: Number(fields[2]), value: out.subarray(pos, pos + size) });
    pos += size + 1; // the trailing newline
  }
  return records;
}

function kcatFailure(topic: string, brokers: readonly string[], failure: { signal?: NodeJS.Signals | null; error?: Error; status?: number | null; stderr?: Buffer | string }): Error | null {
  if (failure.signal) return new Error(`kcat did not finish reading ${topic} within ${KCAT_TIMEOUT_MS / 1000} s (is Kafka at ${brokers.join(",")} up?)`);
  if ((failure.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return new Error(`kcat is needed for this test (apt-get install kcat): ${failure.error!.message}`);
  if (failure.error || failure.status !== 0) return new Error(`kcat failed: ${failure.stderr?.toString() || failure.error?.message}`);
  return null;
}

/**
 * Reads a topic with kcat (Debian's package), the way an outside consumer would, from `sinceMs` (message
 * timestamp; default a minute before this test process started) to its end. Values are read raw, so the wire
 * format can be checked byte by byte. Reading from a time keeps it fast on a topic that a bench filled.
 * `brokers`: another Kafka than the configured one (an isolated stack's, see isolatedStack.ts).
 */
export function readTopicWithKcat(topic: string, sinceMs = TESTS_STARTED_AT - 60_000, brokers: readonly string[] = config().kafka.brokers): KcatRecord[] {
  const result = spawnSync("kcat", kcatArgs(topic, sinceMs, brokers), { maxBuffer: 1024 * 1024 * 1024, timeout: KCAT_TIMEOUT_MS });
  const failure = kcatFailure(topic, brokers, result);
  if (failure) throw failure;
  return parseKcatOutput(result.stdout);
}

/**
 * readTopicWithKcat without blocking the event loop for the second or more kcat takes: for tests that watch
 * something else (a firewall, a stream) while they read, and to read several topics at once.
 */
export function readTopicWithKcatAsync(topic: string, sinceMs = TESTS_STARTED_AT - 60_000, brokers: readonly string[] = config().kafka.brokers): Promise<KcatRecord[]> {
  return new Promise((resolve, reject) => {
    execFile("kcat", kcatArgs(topic, sinceMs, brokers), { encoding: "buffer", maxBuffer: 1024 * 1024 * 1024, timeout: KCAT_TIMEOUT_MS }, (error, stdout, stderr) => {
      const failure = error ? kcatFailure(topic, brokers, { signal: error.signal, error, status: typeof error.code === "number" ? error.code : null, stderr }) : null;
      if (failure) reject(failure);
      else resolve(parseKcatOutput(stdout));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export function accessLine(ip: string, i: number, status = 200): string {
  return `${ip} - - [04/Dec/2026:10:00:${String(i % 60).padStart(2, "0")} +0000] "GET /page/${i} HTTP/1.1" ${status} ${100 + i} "-" "tld-test/1.0"`;
}
