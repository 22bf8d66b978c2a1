// Helpers for the agent's integration tests: an enrolled agent with its own folder and log file, run as a real
// child process (`tld agent run`), and a count of what reached tld.events.raw for it.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RawEvent } from "../../lib/records.js";
import { avroType } from "../../lib/schemas.js";
import { ensureEnrollmentPassword } from "../../lib/secrets.js";
import { AGENT_NODE_FLAGS } from "../../lib/config.js";
import { TLD_BIN } from "./stack.js";
import { config, readTopicWithKcat, tld } from "./tools.js";

/** The password the running collector accepts (made into the manager's password file when there is none yet). */
export function testEnrollmentPassword(): string {
  return ensureEnrollmentPassword(config());
}

export interface TestAgent {
  dir: string;
  configFile: string;
  logFile: string;
  id: string;
  name: string;
  stateDir: string;
}

export const collectorBase = () => `http://${config().collector.host}:${config().collector.port}`;

export async function enrolledAgent(name: string, extraYaml = ""): Promise<TestAgent> {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-agent-it-"));
  const logFile = path.join(dir, "access.log");
  writeFileSync(logFile, "");
  const configFile = path.join(dir, "agent.yml");
  writeFileSync(
    configFile,
    `manager: ${collectorBase()}\nname: ${name}\nstate_dir: ${path.join(dir, "state")}\ngroups: [it]\n${extraYaml}localfile:\n  - location: ${logFile}\n    log_format: apache\n`,
  );
  const pw = path.join(dir, "pw");
  writeFileSync(pw, testEnrollmentPassword() + "\n", { mode: 0o600 });
  const { stdout } = await tld("agent", "enroll", "--config", configFile, "--password-file", pw, "--json");
  const { id } = JSON.parse(stdout) as { id: string };
  return { dir, configFile, logFile, id, name, stateDir: path.join(dir, "state") };
}

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `tld agent run` and resolves once it says it is running (its files are watched). */
export async function runAgent(agent: TestAgent): Promise<AgentProcess> {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, TLD_BIN, "agent", "run", "--config", agent.configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!out.includes('"agent running"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`agent did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited };
}

/**
 * Whether the agent has logged something matching `pattern`, waiting up to `timeoutMs`: its log reaches us
 * through a pipe, and a test that only ran synchronous probes (kcat) since has not let those data events in.
 */
export async function agentLogged(agent: AgentProcess, pattern: RegExp, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(agent.output())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

export function tagLine(tag: string, i: number): string {
  return `198.51.100.${(i % 200) + 1} - - [04/Dec/2026:10:00:00 +0000] "GET /${tag}-line-${i} HTTP/1.1" 200 1 "-" "tld-agent-it"`;
}

/** Appends lines from..to (inclusive), in chunks, as a web server would. */
export function emit(file: string, tag: string, from: number, to: number, chunk = 50): void {
  for (let i = from; i <= to; i += chunk) {
    const lines: string[] = [];
    for (let j = i; j <= Math.min(to, i + chunk - 1); j++) lines.push(tagLine(tag, j));
    appendFileSync(file, lines.join("\n") + "\n");
  }
}

export interface Arrivals {
  /** Line number -> times it arrived. */
  byLine: Map<number, number>;
  /** Event id -> times it arrived. */
  byId: Map<string, number>;
  events: RawEvent[];
}

/** Everything in tld.events.raw keyed by this agent, decoded. */
export function arrivals(agentId: string, tag: string): Arrivals {
  const type = avroType("RawEvent");
  const byLine = new Map<number, number>();
  const byId = new Map<string, number>();
  const events: RawEvent[] = [];
  const pattern = new RegExp(`/${tag}-line-(\\d+) `);
  for (const record of readTopicWithKcat("tld.events.raw")) {
    if (record.key !== agentId) continue;
    const event = type.fromBuffer(record.value.subarray(5)) as RawEvent;
    const m = pattern.exec(event.message);
    if (!m) continue;
    events.push(event);
    byLine.set(Number(m[1]), (byLine.get(Number(m[1])) ?? 0) + 1);
    byId.set(event.id, (byId.get(event.id) ?? 0) + 1);
  }
  return { byLine, byId, events };
}

export function duplicates(counts: Map<unknown, number>): number {
  let n = 0;
  for (const c of counts.values()) n += c - 1;
  return n;
}

export function missing(byLine: Map<number, number>, from: number, to: number): number[] {
  const gaps: number[] = [];
  for (let i = from; i <= to; i++) if (!byLine.has(i)) gaps.push(i);
  return gaps;
}

export function stateFile(agent: TestAgent, name: string): string | null {
  const file = path.join(agent.stateDir, name);
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

export async function partPid(name: string): Promise<number | null> {
  const status = JSON.parse((await tld("status", "--json").catch((e: { stdout: string }) => e)).stdout) as { parts: { name: string; pid?: number | null }[] };
  return status.parts.find((p) => p.name === name)?.pid ?? null;
}

/** Appends lines at a steady rate (a busy web server) until stopped; returns the last line number written. */
export function steadyWriter(file: string, tag: string, first: number, linesPerSecond: number) {
  let next = first;
  const perTick = Math.max(1, Math.round(linesPerSecond / 50));
  const timer = setInterval(() => {
    emit(file, tag, next, next + perTick - 1, perTick);
    next += perTick;
  }, 20);
  return {
    get written() {
      return next - first;
    },
    stop(): number {
      clearInterval(timer);
      return next - 1;
    },
  };
}
