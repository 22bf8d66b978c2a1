// One running agent per state folder. Two agents on one state_dir would ship every line twice and fight over
// offsets.json, and the usual way to get there is a restart whose wrapper (npx, a shell, a service manager) was
// killed while the agent itself lived on. So the newest `tld agent run` wins: it asks the older agent to stop
// (SIGTERM: it sends what it read and saves its offsets), waits for it, and takes over from those offsets.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../lib/logger.js";
import { alive, cmdlineMatches, formatPidFile, parsePidFile, readCmdline } from "../lib/pidFile.js";

/** How long an older agent gets to send its last batch and save its offsets before it is killed. */
const STOP_GRACE_MS = 15_000;

export class AgentAlreadyRunning extends Error {
  constructor(readonly pid: number, readonly pidFile: string) {
    super(`another agent (pid ${pid}) runs with this state_dir; stop it first (its pid file is ${pidFile})`);
    this.name = "AgentAlreadyRunning";
  }
}

export interface InstanceLock {
  readonly pidFile: string;
  release(): void;
}

/** The pid of a live agent that holds this pid file, or null when the file is absent, stale or not an agent's. */
function holder(pidFile: string): { pid: number; verified: boolean } | null {
  let text: string;
  try {
    text = readFileSync(pidFile, "utf8");
  } catch {
    return null;
  }
  const record = parsePidFile(text);
  if (!record || record.pid === process.pid || !alive(record.pid)) return null;
  const cmdline = readCmdline(record.pid);
  // Where /proc is missing (Windows, macOS) a live pid cannot be told from a recycled one: never signal it.
  if (cmdline === undefined) return { pid: record.pid, verified: false };
  return cmdlineMatches(record.argv, cmdline) ? { pid: record.pid, verified: true } : null;
}

export async function acquireInstanceLock(stateDir: string, log: Logger): Promise<InstanceLock> {
  const pidFile = path.join(stateDir, "agent.pid");
  const older = holder(pidFile);
  if (older && !older.verified) throw new AgentAlreadyRunning(older.pid, pidFile);
  if (older) {
    log.warn({ pid: older.pid, pidFile }, "another agent runs with this state_dir: asking it to stop so no line is shipped twice");
    process.kill(older.pid, "SIGTERM");
    const deadline = Date.now() + STOP_GRACE_MS;
    while (alive(older.pid) && Date.now() < deadline) await sleep(50);
    if (alive(older.pid)) {
      log.warn({ pid: older.pid }, `the older agent did not stop within ${STOP_GRACE_MS / 1000} s: killing it (at most its last batch is sent again)`);
      process.kill(older.pid, "SIGKILL");
      while (alive(older.pid)) await sleep(20);
    }
  }
  // What is left is stale (or the file we just emptied of its owner): replace it, exclusively, so that of two
  // agents starting at the same instant only one gets through.
  rmSync(pidFile, { force: true });
  try {
    writeFileSync(pidFile, formatPidFile({ pid: process.pid, argv: readCmdline(process.pid) ?? process.argv }), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    throw new AgentAlreadyRunning(parsePidFile(readFileSync(pidFile, "utf8"))?.pid ?? 0, pidFile);
  }
  return {
    pidFile,
    release() {
      // Only our own record: a newer agent that took over has written its own.
      try {
        if (parsePidFile(readFileSync(pidFile, "utf8"))?.pid === process.pid) rmSync(pidFile, { force: true });
      } catch {
        /* already gone */
      }
    },
  };
}
