// CPU time and peak memory of running processes, read from /proc (Linux), for per-part bench figures.
import { readFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { PACKAGE_ROOT } from "../lib/config.js";

const run = promisify(execFile);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcFigures {
  cpuSeconds: number;
  peakRssMb: number;
}

export function procFigures(pid: number): ProcFigures {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds: Number((ticks / TICKS_PER_SECOND).toFixed(2)), peakRssMb: Math.round(Number(hwm?.[1] ?? 0) / 1024) };
}

/** The pids of the stack's running parts, as `tld status --json` reports them. */
export async function stackPids(): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [path.join(PACKAGE_ROOT, "bin", "tld.js"), "status", "--json"]).catch((e: { stdout: string }) => e);
  const status = JSON.parse(stdout) as { parts: { name: string; pid: number | null }[] };
  return Object.fromEntries(status.parts.filter((p) => p.pid).map((p) => [p.name, p.pid as number]));
}

/** CPU seconds each part spent between two snapshots, and its peak RSS so far. */
export function cpuBetween(before: Record<string, ProcFigures>, after: Record<string, ProcFigures>): Record<string, ProcFigures> {
  return Object.fromEntries(
    Object.entries(after).map(([name, a]) => [name, { cpuSeconds: Number((a.cpuSeconds - (before[name]?.cpuSeconds ?? 0)).toFixed(2)), peakRssMb: a.peakRssMb }]),
  );
}

export function snapshot(pids: Record<string, number>): Record<string, ProcFigures> {
  const out: Record<string, ProcFigures> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = procFigures(pid);
    } catch {
      /* the process ended: no figure */
    }
  }
  return out;
}

/** The whole machine's CPU time so far, in seconds summed over its cores: busy (anything but idle and iowait) and all. */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + fields[4];
  return { busySeconds: (total - idle) / TICKS_PER_SECOND, totalSeconds: total / TICKS_PER_SECOND };
}

/** Percent of the machine's CPU (all cores) busy between two machineCpu() readings. */
export function busyPercent(before: ReturnType<typeof machineCpu>, after: ReturnType<typeof machineCpu>): number {
  const total = after.totalSeconds - before.totalSeconds;
  return total > 0 ? Math.round(((after.busySeconds - before.busySeconds) / total) * 100) : 0;
}
