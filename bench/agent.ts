// The agent as a user runs it (`tld agent run`, a child process) against the local stack's collector:
//   - throughput: a pre-written Apache log read from its start, timed until the agent's committed offset (which
//     moves only once the collector acknowledged the lines) reaches the file's end;
//   - footprint: a fresh agent tailing a file that grows by 5,000 lines/s, its CPU share and peak RSS.
// Figures only, nothing asserted.
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { enrolledAgent, runAgent, stateFile, steadyWriter, type AgentProcess, type TestAgent } from "../test/harness/agent.js";
import { tld } from "../test/harness/tools.js";
import { writeApacheLog } from "./logs.js";
import { procFigures } from "./proc.js";

export interface AgentBenchFigures {
  agent_lines_per_s: number;
  agent_steady_lines_per_s: number;
  agent_steady_cpu_percent: number;
  agent_steady_peak_rss_mb: number;
}

function committedOffset(agent: TestAgent): number {
  const text = stateFile(agent, "offsets.json");
  if (!text) return 0;
  const files = (JSON.parse(text) as { files: Record<string, { path: string; offset: number }> }).files;
  return Object.values(files).find((f) => f.path === agent.logFile)?.offset ?? 0;
}

async function stopAgent(proc: AgentProcess, agent: TestAgent): Promise<void> {
  proc.child.kill("SIGTERM");
  await proc.exited;
  await tld("agents", "rm", agent.id).catch(() => undefined);
}

export async function benchAgent(options: { lines?: number; steadySeconds?: number } = {}): Promise<AgentBenchFigures> {
  const lines = options.lines ?? 300_000;
  const steadySeconds = options.steadySeconds ?? 20;
  const name = `bench-agent-${process.pid}-${Date.now() % 100_000}`;

  const bulk = await enrolledAgent(`${name}-bulk`, "only_future_events: false\n");
  await writeApacheLog(bulk.logFile, lines, 7);
  const size = statSync(bulk.logFile).size;
  const started = process.hrtime.bigint();
  const bulkProc = await runAgent(bulk);
  let seconds = 0;
  try {
    const deadline = Date.now() + 300_000;
    while (committedOffset(bulk) < size) {
      if (Date.now() > deadline) throw new Error(`the agent shipped ${committedOffset(bulk)} of ${size} bytes within 5 minutes`);
      await sleep(20);
    }
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await stopAgent(bulkProc, bulk);
  }

  const steady = await enrolledAgent(`${name}-steady`);
  const steadyProc = await runAgent(steady);
  const writer = steadyWriter(steady.logFile, "bench", 1, 5_000);
  let cpuPercent = 0;
  let peakRssMb = 0;
  let written = 0;
  try {
    await sleep(2_000); // past start-up: measure the steady state
    const before = procFigures(steadyProc.child.pid!);
    const from = writer.written;
    const t0 = Date.now();
    await sleep(steadySeconds * 1000);
    const after = procFigures(steadyProc.child.pid!);
    written = writer.written - from;
    cpuPercent = ((after.cpuSeconds - before.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
    peakRssMb = after.peakRssMb;
  } finally {
    writer.stop();
    await stopAgent(steadyProc, steady);
  }
  return {
    agent_lines_per_s: Math.round(lines / seconds),
    agent_steady_lines_per_s: Math.round(written / steadySeconds),
    agent_steady_cpu_percent: Number(cpuPercent.toFixed(1)),
    agent_steady_peak_rss_mb: peakRssMb,
  };
}
