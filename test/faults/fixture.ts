// What every fault test stands on: an isolated stack (test/harness/isolatedStack.ts) whose collector listens on
// a namespace lab's management address, an agent enrolled with it running INSIDE the victim namespace with the
// nftables enforcer, the AlienVault-style list holding the lab's attacker addresses, and rule 100100 blocking
// them for BLOCK_TTL_SECONDS. On top: a tagged load (tld replay of a generated log), the accounting of every
// event at each stage that keeps them (tld.events.raw, tld.events.decoded, tld.alerts, the dashboard's store),
// and the check that a block made before or during a fault ends on time, in Redis and in the victim's kernel.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { createLab, labUnavailable, type Lab } from "../../demo/lab.js";
import { nftBlocked, runAgentInVictim, type RunningVictimAgent } from "../../demo/victim.js";
import { alive } from "../../lib/pidFile.js";
import { SERVICE_PARTS } from "../../stack/part.js";
import type { ActiveResponseCommand, Alert, DecodedEvent, RawEvent } from "../../lib/records.js";
import { avroType } from "../../lib/schemas.js";
import { TOPIC_SCHEMAS, TOPICS, type TopicName } from "../../lib/topics.js";
import { enrollVictimAgent, type VictimAgent } from "../harness/activeResponse.js";
import { ensureFirewallTools } from "../harness/firewall.js";
import { isolatedStack, type IsolatedStack } from "../harness/isolatedStack.js";
import { ensureKcat } from "../harness/stack.js";
import { waitFor } from "../harness/tools.js";
import { wireValues } from "../harness/wire.js";

/**
 * How long rule 100100 blocks an attacker here: longer than a killed stage takes to come back (its consumer
 * group waits out kafka.sessionTimeoutMs), else an alert that waited for the responder is rightly dropped as
 * stale; short enough for CI.
 */
export const BLOCK_TTL_SECONDS = 20;
/** The kernel (nftables element timeouts) and Redis (PEXPIREAT) lift a block themselves; allowed lateness of our look. */
const LIFT_SLACK_MS = 1_000;
const ATTACKERS = 30;
const LIST_NAME = "blacklist-alienvault";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`# ${line}`);

/** Why the fault suite cannot run here (no namespaces), or false. */
export async function faultSuiteSkip(): Promise<string | false> {
  const unavailable = await labUnavailable();
  return unavailable === null ? false : `skipped: ${unavailable}`;
}

export interface FaultBench {
  readonly stack: IsolatedStack;
  readonly lab: Lab;
  readonly agent: VictimAgent;
  /** The agent in the victim namespace. */
  readonly victim: RunningVictimAgent;
  /** The victim's kernel set, watched for the addresses blocked so far. */
  readonly watch: KernelWatch;
  /** A lab attacker address nobody used yet in this bench (each block is a fresh IP: no repeated offender). */
  nextAttacker(): string;
  close(): Promise<void>;
}

export async function openFaultBench(name: string): Promise<FaultBench> {
  await ensureKcat(log);
  await ensureFirewallTools(log);
  const lab = await createLab({ name: `f${name}`.slice(0, 8), extraAttackers: ATTACKERS - 1 });
  let stack: IsolatedStack | undefined;
  let victim: RunningVictimAgent | undefined;
  try {
    const dir = mkdtempSync(path.join(tmpdir(), "tld-faults-"));
    const configFile = path.join(dir, "tld.yaml");
    writeFileSync(
      configFile,
      [
        "activeResponse:",
        "  responses:",
        `    - { command: firewall-drop, location: local, rulesId: [100100], timeout: ${BLOCK_TTL_SECONDS} }`,
        "",
      ].join("\n"),
    );
    const password = randomBytes(18).toString("hex");
    const apiToken = randomBytes(18).toString("hex"); // the dashboard's /metrics, unlike the others', takes it
    stack = await isolatedStack({
      name,
      env: { TLD_CONFIG: configFile, TLD_COLLECTOR_HOST: lab.managerAddress, TLD_ENROLLMENT_PASSWORD: password, TLD_API_TOKEN: apiToken, TLD_LOG_LEVEL: "info" },
    });
    const attackers = [lab.attacker.address, ...lab.extraAttackerAddresses];
    const listFile = path.join(dir, "alienvault.ipset");
    writeFileSync(listFile, `# the lab's attackers\n${attackers.join("\n")}\n`);
    await stack.tld(["lists", "import", listFile, "--name", LIST_NAME]);
    const agent = await enrollVictimAgent(`http://${lab.managerAddress}:${stack.config.collector.port}`, "nftables", { name: `fault-victim-${name}`, password });
    victim = await runAgentInVictim(lab, agent);
    let used = 0;
    const watch = new KernelWatch(lab);
    const bench: FaultBench = {
      stack,
      lab,
      agent,
      victim,
      watch,
      nextAttacker() {
        if (used >= attackers.length) throw new Error(`the lab has only ${attackers.length} attacker addresses`);
        return attackers[used++];
      },
      async close() {
        watch.stop();
        await bench.victim.stop().catch(() => undefined);
        await stack!.stop();
        await lab.destroy();
        for (const made of [dir, agent.dir]) rmSync(made, { recursive: true, force: true });
      },
    };
    return bench;
  } catch (err) {
    await victim?.stop().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    await lab.destroy();
    throw err;
  }
}

/**
 * Opens the bench in `before` and closes it in `after`, whatever the tests did, for the describe it is called
 * in; returns how the tests get at it.
 */
export function useFaultBench(name: string): () => FaultBench {
  let bench: FaultBench | undefined;
  before(async () => {
    bench = await openFaultBench(name);
  }, { timeout: 300_000 });
  after(async () => {
    await bench?.close();
  }, { timeout: 300_000 });
  return () => {
    if (!bench) throw new Error("the fault bench did not open (see the before hook's error)");
    return bench;
  };
}

// ------------------------------------------------------------------------------------------------------ faults

/** SIGKILL of a part of the isolated stack (its pid from `tld status --json`); resolves once the process is gone. */
export async function kill9(stack: IsolatedStack, part: string): Promise<number> {
  const pid = await stack.pid(part);
  assert.ok(pid, `the isolated stack runs ${part} with a pid`);
  process.kill(pid, "SIGKILL");
  await waitFor(`${part} (pid ${pid}) to be gone`, () => (alive(pid) ? undefined : true), 10_000, 50);
  return pid;
}

/** The service pids, to show a service rode out a fault without being restarted. */
export async function servicePids(stack: IsolatedStack): Promise<Record<string, number | null>> {
  const parts = await stack.status();
  return Object.fromEntries(SERVICE_PARTS.map((n) => [n, parts.find((p) => p.name === n)?.pid ?? null]));
}

/** A counter from a service's /metrics (summed over labels); resets when the process restarts. */
export async function serviceCounter(stack: IsolatedStack, service: "collector" | "decoder" | "matcher" | "responder" | "dashboard", metric: string): Promise<number> {
  const { port } = stack.config[service];
  const host = service === "collector" ? stack.config.collector.host : "127.0.0.1";
  const headers = service === "dashboard" ? { authorization: `Bearer ${stack.env.TLD_API_TOKEN}` } : undefined;
  const res = await fetch(`http://${host}:${port}/metrics`, { headers, signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${service} /metrics answered ${res.status}`);
  const text = await res.text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, "gm"))) sum += Number(m[1]);
  return sum;
}

/** What a stage has consumed of this run's input (tld_stage_consumed_total; the collector: lines accepted). */
export async function stageProgress(stack: IsolatedStack, service: "collector" | "decoder" | "matcher" | "responder" | "dashboard"): Promise<number> {
  return serviceCounter(stack, service, service === "collector" ? "tld_collector_events_accepted_total" : "tld_stage_consumed_total");
}

/**
 * Waits until `service` is part way through its share of the load (at least `from` of `total` more than at
 * `baseline`), and says how far it got: the fault lands while events flow through that very service.
 */
export async function untilMidStream(stack: IsolatedStack, service: Parameters<typeof stageProgress>[1], baseline: number, total: number, from = 0.05): Promise<number> {
  const done = await waitFor(`${service} to be part way through ${total} events`, async () => {
    const n = (await stageProgress(stack, service)) - baseline;
    return n >= Math.max(1, Math.floor(total * from)) ? n : undefined;
  }, 90_000, 50);
  assert.ok(done < total, `${service} had consumed ${done} of ${total} already: the fault would not be mid-stream`);
  return done;
}

// -------------------------------------------------------------------------------------------------------- load

export interface Load {
  tag: string;
  file: string;
  lines: number;
  /** Lines that raise an alert: every tenth, a 404 from an address of its own (rule 31101, level 5). */
  alerts: number;
}

let loadsMade = 0;

/**
 * A tagged access log: line i asks for /fault-<tag>-<i>; every tenth line is a 404 from an address no other line
 * uses, so each raises exactly one alert (31101) and no frequency rule (31151 needs 14 from one address) ever
 * fires, however often a fault replays it. The other lines are 200s, which raise nothing but still cost every
 * stage its work, a list lookup in the matcher included.
 */
export function makeLoad(tag: string, lines: number): Load {
  const base = loadsMade++ * Math.ceil(lines / 10);
  const out: string[] = [];
  let alerts = 0;
  for (let i = 1; i <= lines; i++) {
    let ip: string;
    let status = 200;
    if (i % 10 === 0) {
      const n = base + alerts++;
      ip = `198.18.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
      status = 404;
    } else {
      ip = `198.19.${i % 200}.${(i % 250) + 1}`;
    }
    out.push(`${ip} - - [04/Dec/2026:10:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")} +0000] "GET /fault-${tag}-${i} HTTP/1.1" ${status} ${200 + (i % 900)} "-" "tld-faults/1.0"`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tld-faults-load-"));
  const file = path.join(dir, `${tag}.log`);
  writeFileSync(file, out.join("\n") + "\n");
  return { tag, file, lines, alerts };
}

/**
 * `tld replay` of the load against the isolated stack, in small batches, one at a time, so the stream lasts
 * long enough for a fault to land in it. It retries for ever while the collector is away (collectorClient).
 */
export function replay(stack: IsolatedStack, load: Load): Promise<{ lines: number; seconds: number }> {
  return stack
    .tld(["replay", load.file, "--agent", `faults-${load.tag}`, "--batch", "200", "--concurrency", "1", "--json"], 300_000)
    .then((r) => JSON.parse(r.stdout) as { lines: number; seconds: number });
}

// -------------------------------------------------------------------------------------------------- accounting

export interface StageCount {
  stage: string;
  expected: number;
  /** Distinct events (by line) that came out. */
  distinct: number;
  /** Records beyond the first for the same event: what at-least-once delivery repeated. */
  duplicates: number;
  /** Distinct record ids: a repeat carries the same id as the original, so this equals distinct. */
  ids: number;
  lost: number;
}

function tally(stage: string, expected: number, items: Iterable<{ line: number; id: string }>): StageCount {
  const byLine = new Map<number, number>();
  const ids = new Set<string>();
  for (const { line, id } of items) {
    byLine.set(line, (byLine.get(line) ?? 0) + 1);
    ids.add(id);
  }
  let duplicates = 0;
  for (const n of byLine.values()) duplicates += n - 1;
  return { stage, expected, distinct: byLine.size, duplicates, ids: ids.size, lost: expected - byLine.size };
}

/** The records of `topic` from `sinceMs` whose text names a line by `lineOf`'s first group: line and record id. */
async function linesOnTopic<T>(stack: IsolatedStack, topic: string, sinceMs: number, lineOf: RegExp, text: (v: T) => string, id: (v: T) => string): Promise<{ line: number; id: string }[]> {
  const found: { line: number; id: string }[] = [];
  for (const { value } of wireValues<T>(avroType(TOPIC_SCHEMAS[topic as TopicName]), await stack.readTopic(topic, sinceMs))) {
    const m = lineOf.exec(text(value));
    if (m) found.push({ line: Number(m[1]), id: id(value) });
  }
  return found;
}

const rawLines = (stack: IsolatedStack, sinceMs: number, lineOf: RegExp) => linesOnTopic<RawEvent>(stack, TOPICS.raw, sinceMs, lineOf, (e) => e.message, (e) => e.id);
const decodedLines = (stack: IsolatedStack, sinceMs: number, lineOf: RegExp) => linesOnTopic<DecodedEvent>(stack, TOPICS.decoded, sinceMs, lineOf, (e) => e.message, (e) => e.id);

/** The alerts of the dashboard's store whose full log names a line by `lineOf`. */
async function storedLines(stack: IsolatedStack, like: string, lineOf: RegExp): Promise<{ line: number; id: string }[]> {
  const client = new pg.Client({ connectionString: stack.config.postgres.url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const rows = await client.query<{ id: string; full_log: string }>("SELECT id, full_log FROM alerts WHERE full_log LIKE $1", [like]);
    return rows.rows.flatMap((r) => {
      const m = lineOf.exec(r.full_log);
      return m ? [{ line: Number(m[1]), id: r.id }] : [];
    });
  } catch (err) {
    if ((err as { code?: string }).code === "42P01") return []; // no alerts table yet: nothing stored yet
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Everything of this load at each stage: the topics read with kcat from `sinceMs`, the alert store with SQL. */
export async function account(stack: IsolatedStack, load: Load, sinceMs: number): Promise<StageCount[]> {
  const lineOf = new RegExp(`/fault-${load.tag}-(\\d+) `);
  const isAlertLine = (a: { line: number }) => a.line % 10 === 0 && a.line <= load.lines;
  const [raw, decoded, alerts, stored] = await Promise.all([
    rawLines(stack, sinceMs, lineOf),
    decodedLines(stack, sinceMs, lineOf),
    linesOnTopic<Alert>(stack, TOPICS.alerts, sinceMs, lineOf, (a) => a.fullLog, (a) => a.id),
    storedLines(stack, `%/fault-${load.tag}-%`, lineOf),
  ]);
  return [
    tally(TOPICS.raw, load.lines, raw),
    tally(TOPICS.decoded, load.lines, decoded),
    tally(TOPICS.alerts, load.alerts, alerts.filter(isAlertLine)),
    tally("dashboard store", load.alerts, stored.filter(isAlertLine)),
  ];
}

/** The victim agent's lines 1..last of `tag` (test/harness/agent.ts tagLine: 200s, no alert) at the stages they reach. */
export async function accountAgentLines(bench: FaultBench, tag: string, last: number, sinceMs: number): Promise<StageCount[]> {
  const lineOf = new RegExp(`/${tag}-line-(\\d+) `);
  const mine = (r: { line: number }) => r.line >= 1 && r.line <= last;
  const [raw, decoded] = await Promise.all([rawLines(bench.stack, sinceMs, lineOf), decodedLines(bench.stack, sinceMs, lineOf)]);
  return [tally(TOPICS.raw, last, raw.filter(mine)), tally(TOPICS.decoded, last, decoded.filter(mine))];
}

export function formatCounts(counts: StageCount[]): string {
  return counts.map((c) => `${c.stage}: ${c.expected} in, ${c.distinct} distinct out, ${c.duplicates} duplicates, ${c.lost} lost`).join(" | ");
}

/**
 * Waits (bounded) until every event of the load is at every stage, prints the counts (duplicates included) and
 * asserts in = distinct out with nothing lost and nothing invented.
 */
/**
 * Waits until no stage has lost anything; on a timeout the error carries the counts and `diagnose()` (the
 * services' last log lines), since the isolated stack and its logs are gone once the suite ends.
 */
export async function assertAllAccounted(count: () => Promise<StageCount[]>, what: string, timeoutMs = 120_000, diagnose: () => string = () => ""): Promise<StageCount[]> {
  let last: StageCount[] = [];
  try {
    await waitFor(`every event of ${what} at every stage`, async () => {
      last = await count();
      return last.every((c) => c.lost === 0) ? last : undefined;
    }, timeoutMs, 2_000);
  } catch (err) {
    console.log(`# ${what}: INCOMPLETE after ${timeoutMs / 1000} s: ${formatCounts(last)}`);
    throw new Error(`${(err as Error).message}\n${formatCounts(last)}\n${diagnose()}`, { cause: err });
  }
  console.log(`# ${what}: ${formatCounts(last)}`);
  for (const c of last) {
    assert.equal(c.distinct, c.expected, `${c.stage}: in = distinct out`);
    assert.equal(c.ids, c.distinct, `${c.stage}: a repeated event carries its original id`);
    assert.equal(c.lost, 0, `${c.stage}: nothing lost`);
  }
  return last;
}

// ------------------------------------------------------------------------------------------------------ blocks

/** An access line from `ip` in the victim's log: the agent ships it, rule 100100 fires, the responder blocks. */
export function attack(bench: FaultBench, ip: string, tag: string): number {
  appendFileSync(bench.agent.logFile, `${ip} - - [04/Dec/2026:10:00:00 +0000] "GET /fault-${tag}-attack HTTP/1.1" 200 512 "-" "sqlmap/1.7"\n`);
  return Date.now();
}

interface Sighting {
  first: number | null;
  last: number | null;
}

/**
 * Looks at the victim's nftables set every 100 ms and remembers when each watched address was first and last in
 * it: a block that the kernel kept past its end would show as a late `last`.
 */
export class KernelWatch {
  private readonly seen = new Map<string, Sighting>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly lab: Lab) {}

  watch(ip: string): void {
    if (!this.seen.has(ip)) this.seen.set(ip, { first: null, last: null });
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      nftBlocked(this.lab)
        .then((present) => {
          const at = Date.now();
          for (const [address, s] of this.seen) {
            if (!present.includes(address)) continue;
            s.first ??= at;
            s.last = at;
          }
        })
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, 100);
  }

  sighting(ip: string): Sighting {
    return { ...(this.seen.get(ip) ?? { first: null, last: null }) };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Waits until the address is in the victim's kernel set (the block is in force). */
export async function untilBlocked(bench: FaultBench, ip: string, timeoutMs = 30_000): Promise<number> {
  return waitFor(`${ip} in the victim's nftables set`, async () => ((await nftBlocked(bench.lab)).includes(ip) ? Date.now() : undefined), timeoutMs, 50);
}

/** Whether Redis holds the victim's block of `ip` (lib/blocks.ts's key; it expires with the block). */
export async function blockInRedis(bench: FaultBench, ip: string): Promise<boolean> {
  const redis = new Redis(bench.stack.config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return (await redis.exists(`{tld:blocks}:block:${bench.agent.id}:${ip}`)) === 1;
  } finally {
    redis.disconnect();
  }
}

/** The add and delete commands the responder published for the victim and this address. */
export async function blockCommands(bench: FaultBench, ip: string, sinceMs: number): Promise<ActiveResponseCommand[]> {
  return wireValues<ActiveResponseCommand>(avroType("ActiveResponseCommand"), await bench.stack.readTopic(TOPICS.commands, sinceMs))
    .map((v) => v.value)
    .filter((c) => c.agentId === bench.agent.id && c.ip === ip);
}

/**
 * The block of `ip` ended on time everywhere: one block (one add command id, however often a fault made it go
 * out again), lasting exactly the policy's TTL from when it was placed; the victim's kernel dropped the address
 * no later than the block's end (plus our 100 ms look); Redis no longer holds it. Waits for the end first.
 */
export async function assertBlockEndedOnTime(bench: FaultBench, ip: string, sinceMs: number, what: string): Promise<void> {
  const adds = await waitFor(`the block command for ${ip}`, async () => {
    const found = (await blockCommands(bench, ip, sinceMs)).filter((c) => c.action === "add");
    return found.length > 0 ? found : undefined;
  }, 60_000, 1_000);
  const ids = new Set(adds.map((c) => c.id));
  const command = adds[0];
  const endsIn = command.expiresAt - Date.now();
  if (endsIn > -LIFT_SLACK_MS) await sleep(endsIn + LIFT_SLACK_MS + 500);
  const seen = bench.watch.sighting(ip);
  const inRedis = await blockInRedis(bench, ip);
  const stillInKernel = (await nftBlocked(bench.lab)).includes(ip);
  const lastSeenAfterEnd = seen.last === null ? null : seen.last - command.expiresAt;
  console.log(
    `# ${what}: block of ${ip}: ${adds.length} add command(s) (${ids.size} distinct id), lasting ${(command.expiresAt - command.createdAt) / 1000} s; ` +
      `in the kernel from ${seen.first === null ? "never seen" : `${seen.first - command.createdAt} ms after it was made`} until ` +
      `${lastSeenAfterEnd === null ? "-" : `${lastSeenAfterEnd} ms after its end`}; in Redis after its end: ${inRedis ? "yes" : "no"}`,
  );
  assert.equal(ids.size, 1, `one block for ${ip}: no fault made a second one or extended it`);
  assert.ok(adds.every((c) => c.expiresAt === command.expiresAt), "every copy of the command carries the same end");
  assert.equal(command.expiresAt - command.createdAt, BLOCK_TTL_SECONDS * 1000, "the block lasts the policy's TTL");
  const agentLog = () => `\nthe victim's agent said, last:\n${bench.victim.output().split("\n").slice(-25).join("\n")}`;
  assert.ok(seen.first !== null, `the block of ${ip} was in force in the victim's kernel${seen.first === null ? agentLog() : ""}`);
  assert.ok(lastSeenAfterEnd! <= LIFT_SLACK_MS, `the kernel dropped ${ip} on time (last seen ${lastSeenAfterEnd} ms after the block's end)`);
  assert.equal(stillInKernel, false, `${ip} is no longer blocked in the kernel`);
  assert.equal(inRedis, false, `Redis no longer holds the block of ${ip}`);
}

// ---------------------------------------------------------------------------------------------------- scenario

export type ServiceName = Parameters<typeof stageProgress>[1];

export interface FaultScenario {
  /** How the counts are labelled in the output. */
  what: string;
  /** The service whose progress tells the stream flows through it when the fault lands. */
  midStreamOf: ServiceName;
  /** Breaks something, mid-stream. */
  fault(): Promise<void>;
  /** Mends it (a block is asked for between fault and recovery). */
  recover(): Promise<void>;
  /** Checks right after the recovery, given the two blocked addresses (what survived the fault, say). */
  afterRecover?(blocked: { before: string; during: string }): Promise<void>;
  lines?: number;
}

/**
 * One fault under load: a block placed first; a tagged replay; the fault once `midStreamOf` is part way
 * through its share; a second block asked for while broken; the recovery; then every event accounted for at
 * every stage and both blocks ended on time.
 */
export async function runFaultScenario(bench: FaultBench, scenario: FaultScenario): Promise<StageCount[]> {
  const since = Date.now() - 1_000;
  const tag = `${scenario.what.replace(/[^a-z0-9]/gi, "")}${Date.now() % 100_000}`;
  const load = makeLoad(tag, scenario.lines ?? 20_000);
  try {
    return await loadUnderFault(bench, scenario, load, since);
  } finally {
    rmSync(path.dirname(load.file), { recursive: true, force: true });
  }
}

async function loadUnderFault(bench: FaultBench, scenario: FaultScenario, load: Load, since: number): Promise<StageCount[]> {
  const { stack } = bench;
  const tag = load.tag;

  const blockedBefore = bench.nextAttacker();
  bench.watch.watch(blockedBefore);
  attack(bench, blockedBefore, tag);
  await untilBlocked(bench, blockedBefore);

  // The collector, decoder and matcher see every line; the responder and the dashboard only the alerts.
  const share = scenario.midStreamOf === "responder" || scenario.midStreamOf === "dashboard" ? load.alerts : load.lines;
  const baseline = await stageProgress(stack, scenario.midStreamOf);
  const replaying = replay(stack, load);
  const done = await untilMidStream(stack, scenario.midStreamOf, baseline, share, 0.3);
  log(`${scenario.what}: the ${scenario.midStreamOf} had taken ${done} of ${share} events`);
  let recovered = false;
  let blockedDuring: string;
  try {
    await scenario.fault();
    blockedDuring = bench.nextAttacker();
    bench.watch.watch(blockedDuring);
    attack(bench, blockedDuring, tag);
    await scenario.recover();
    recovered = true;
  } finally {
    // Whatever failed, the next test gets a whole stack.
    if (!recovered) await stack.tld(["up"]).catch((err: Error) => log(`${scenario.what}: tld up after the failure failed too: ${err.message}`));
  }
  await scenario.afterRecover?.({ before: blockedBefore, during: blockedDuring });
  await replaying;

  const serviceLogs = () => SERVICE_PARTS.map((part) => `--- the ${part}'s last log lines:\n${stack.logTail(part, 12)}`).join("\n");
  const counts = await assertAllAccounted(() => account(stack, load, since), scenario.what, undefined, serviceLogs);
  await assertBlockEndedOnTime(bench, blockedBefore, since, `${scenario.what}, block made before`);
  await assertBlockEndedOnTime(bench, blockedDuring, since, `${scenario.what}, block asked for during the fault`);
  return counts;
}
