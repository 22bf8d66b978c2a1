// Pid files that say which process they mean: the pid on the first line (so `kill $(head -1 x.pid)` works) and
// the exact argv as JSON on the second. A pid is only ever signalled while /proc/<pid>/cmdline still equals that
// argv, so a recycled pid or a process someone else started is never touched. Used by the local stack (stack/)
// and by the agent's single-instance lock (agents/instanceLock.ts).
import { readFileSync } from "node:fs";

export interface PidRecord {
  pid: number;
  argv: string[];
}

export function formatPidFile(record: PidRecord): string {
  return `${record.pid}\n${JSON.stringify(record.argv)}\n`;
}

/** Undefined for anything that is not a pid file we wrote (then it is treated as absent, never acted on). */
export function parsePidFile(text: string): PidRecord | undefined {
  const [first, second] = text.split("\n");
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 1 || second === undefined) return undefined;
  try {
    const argv: unknown = JSON.parse(second);
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) return undefined;
    return { pid, argv: argv as string[] };
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/cmdline split into argv; undefined when the process is gone (or a zombie, whose cmdline is empty). */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (raw === "") return undefined;
    const argv = raw.split("\0");
    if (argv[argv.length - 1] === "") argv.pop();
    return argv;
  } catch {
    return undefined;
  }
}

/**
 * Whether a live process is the one we started. Exact argv equality; also accepted: the same words joined into
 * one string, which is what a process that rewrites its title in place (setproctitle) leaves in /proc.
 */
export function cmdlineMatches(recorded: readonly string[], actual: readonly string[] | undefined): boolean {
  if (!actual || actual.length === 0) return false;
  if (actual.length === recorded.length && actual.every((a, i) => a === recorded[i])) return true;
  return actual.join(" ").trim() === recorded.join(" ");
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else (still alive, and its cmdline decides whether it is ours).
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
