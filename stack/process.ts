// The one "managed process" helper every local part uses. A part we start runs detached (it outlives `tld up`),
// writes its output to <stateDir>/logs/<part>.log, and is remembered by <stateDir>/run/<part>.pid: the pid on
// the first line (so `kill $(head -1 x.pid)` works) and the exact argv as JSON on the second. We only ever signal
// a pid whose /proc/<pid>/cmdline still equals that argv, so a recycled pid or a server someone else started is
// never touched.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { alive, cmdlineMatches, formatPidFile, parsePidFile, readCmdline, type PidRecord } from "../lib/pidFile.js";

/** A failure of the local stack the user can act on; the CLI prints it without a stack trace. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

export interface StackPaths {
  stateDir: string;
  logs: string;
  run: string;
  data: string;
  cache: string;
}

export function stackPaths(stateDir: string): StackPaths {
  return {
    stateDir,
    logs: path.join(stateDir, "logs"),
    run: path.join(stateDir, "run"),
    data: path.join(stateDir, "data"),
    cache: path.join(stateDir, "cache"),
  };
}

/** The last `lines` lines of a file ("" when it does not exist). Reads at most the last 64 KiB. */
export function tailFile(file: string, lines = 20): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, "r");
    try {
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      return buf.toString("utf8").replace(/\s+$/, "").split("\n").slice(-lines).join("\n");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/** A log excerpt formatted for an error message. */
export function logExcerpt(file: string, lines = 20): string {
  const tail = tailFile(file, lines);
  return tail
    ? `last ${lines} lines of ${file}:\n${tail.split("\n").map((l) => `  | ${l}`).join("\n")}`
    : `(log ${file} is empty or missing)`;
}

export interface StartOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this OS user (root only): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
}

export interface WaitOptions {
  timeoutMs: number;
  /** The log to quote when the part fails (default: the process's own log). */
  logFile?: string;
  intervalMs?: number;
}

export class ManagedProcess {
  readonly logPath: string;
  readonly pidPath: string;

  constructor(
    readonly part: string,
    readonly paths: StackPaths,
    /** File name of the process's stdout/stderr log in <stateDir>/logs (Kafka's own log4j file takes <part>.log). */
    logName = `${part}.log`,
  ) {
    this.logPath = path.join(paths.logs, logName);
    this.pidPath = path.join(paths.run, `${part}.pid`);
  }

  /** The pid file's record, if any (whether or not the process still lives). */
  record(): PidRecord | undefined {
    try {
      return parsePidFile(readFileSync(this.pidPath, "utf8"));
    } catch {
      return undefined;
    }
  }

  /** The live process we started, or undefined. */
  running(): PidRecord | undefined {
    const rec = this.record();
    if (!rec || !alive(rec.pid)) return undefined;
    return cmdlineMatches(rec.argv, readCmdline(rec.pid)) ? rec : undefined;
  }

  /** Forgets a pid file whose process is gone (or is no longer ours). */
  clearStale(): void {
    if (existsSync(this.pidPath) && !this.running()) rmSync(this.pidPath, { force: true });
  }

  /** Starts the process detached; the previous run's log is kept as <part>.log.1. */
  start(options: StartOptions): PidRecord {
    if (!path.isAbsolute(options.command)) {
      // An absolute argv[0] is what /proc/<pid>/cmdline will show, so the pid file can be matched later.
      throw new Error(`internal: ${this.part} command must be an absolute path, got ${options.command}`);
    }
    mkdirSync(this.paths.logs, { recursive: true });
    mkdirSync(this.paths.run, { recursive: true });
    if (existsSync(this.logPath) && statSync(this.logPath).size > 0) renameSync(this.logPath, `${this.logPath}.1`);
    const fd = openSync(this.logPath, "a");
    try {
      const child = spawn(options.command, options.args, {
        cwd: options.cwd ?? this.paths.stateDir,
        env: options.env ?? process.env,
        detached: true, // its own process group: Ctrl-C on `tld up` must not take the stack down
        stdio: ["ignore", fd, fd],
        uid: options.uid,
        gid: options.gid,
      });
      if (child.pid === undefined) throw new StackError(`${this.part}: could not start ${options.command}`);
      child.on("error", () => undefined); // reported through the health wait (process gone + its log)
      child.unref();
      const record = { pid: child.pid, argv: [options.command, ...options.args] };
      writeFileSync(this.pidPath, formatPidFile(record));
      return record;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Polls `probe` until it is true. Fails early when the process exits, and on timeout; either way the error
   * quotes the end of the log so the cause is on screen.
   */
  async waitHealthy(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    // Quote the part's main log, or its raw output when the main log is empty (e.g. the JVM failed before logging).
    const chosen = options.logFile ?? this.logPath;
    const quoted = () => (tailFile(chosen) ? chosen : this.logPath);
    for (;;) {
      if (await probe().catch(() => false)) return;
      if (!this.running()) {
        // Give a crashing JVM a moment to flush its last lines into the log before quoting it.
        await sleep(300);
        const logFile = quoted();
        throw new StackError(`${this.part} exited during startup.\n${logExcerpt(logFile)}\nfull log: ${logFile}`);
      }
      if (Date.now() >= deadline) {
        const logFile = quoted();
        throw new StackError(
          `${this.part} did not become healthy within ${Math.round(options.timeoutMs / 1000)} s ` +
            `(it is still running, pid ${this.record()?.pid}; \`tld down\` stops it).\n${logExcerpt(logFile)}\nfull log: ${logFile}`,
        );
      }
      await sleep(options.intervalMs ?? 250);
    }
  }

  /**
   * Stops the process if it is ours: `signal` (SIGTERM by default; PostgreSQL wants SIGINT, its "fast" shutdown),
   * then SIGKILL after the grace period. Returns whether there was something to stop.
   */
  async stop(options: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<boolean> {
    const rec = this.running();
    if (!rec) {
      this.clearStale();
      return false;
    }
    const stillOurs = () => alive(rec.pid) && cmdlineMatches(rec.argv, readCmdline(rec.pid));
    process.kill(rec.pid, options.signal ?? "SIGTERM");
    const deadline = Date.now() + (options.graceMs ?? 20_000);
    while (stillOurs() && Date.now() < deadline) await sleep(100);
    if (stillOurs()) {
      process.kill(rec.pid, "SIGKILL");
      const killDeadline = Date.now() + 5_000;
      while (stillOurs() && Date.now() < killDeadline) await sleep(100);
    }
    rmSync(this.pidPath, { force: true });
    return true;
  }
}

/**
 * One `tld up`/`tld down` at a time per state directory: a lock file holding the owner's pid, taken with O_EXCL
 * and reclaimed when its owner is dead.
 */
export async function withStackLock<T>(paths: StackPaths, fn: () => Promise<T>): Promise<T> {
  mkdirSync(paths.run, { recursive: true });
  const lock = path.join(paths.run, "stack.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const owner = Number(readFileSync(lock, "utf8").trim());
      if (Number.isInteger(owner) && owner > 1 && owner !== process.pid && alive(owner)) {
        throw new StackError(`another \`tld up\`/\`tld down\` is running (pid ${owner}); wait for it, or remove ${lock} if it is stale`);
      }
      rmSync(lock, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
