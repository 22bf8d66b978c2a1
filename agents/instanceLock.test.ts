import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { formatPidFile, parsePidFile } from "../lib/pidFile.js";
import { acquireInstanceLock } from "./instanceLock.js";

const quiet = pino({ level: "silent" });
const lockModule = path.join(path.dirname(fileURLToPath(import.meta.url)), "instanceLock.js");

/** A process that holds the lock like an agent: on SIGTERM it "saves its offsets" (a file) and exits. */
async function olderAgent(stateDir: string) {
  const script = `
    import { writeFileSync } from "node:fs";
    import pino from "pino";
    const { acquireInstanceLock } = await import(${JSON.stringify(lockModule)});
    const lock = await acquireInstanceLock(${JSON.stringify(stateDir)}, pino({ level: "silent" }));
    process.on("SIGTERM", () => { writeFileSync(${JSON.stringify(path.join(stateDir, "saved"))}, "offsets"); lock.release(); process.exit(0); });
    console.log("holding");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: path.dirname(lockModule), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("holding") && resolve());
    child.on("exit", (code) => reject(new Error(`the older agent exited early (${code})`)));
  });
  return child;
}

test("a second agent on the same state_dir stops the first (which saves its offsets) and takes over", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-lock-"));
  const older = await olderAgent(dir);
  const exited = new Promise((resolve) => older.on("exit", resolve));
  const lock = await acquireInstanceLock(dir, quiet);
  await exited;
  assert.equal(readFileSync(path.join(dir, "saved"), "utf8"), "offsets", "the older agent stopped gracefully");
  assert.equal(parsePidFile(readFileSync(lock.pidFile, "utf8"))?.pid, process.pid);
  lock.release();
  assert.equal(existsSync(lock.pidFile), false);
});

test("a stale pid file, or one naming a process that is not an agent, is replaced without signalling anyone", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-lock-"));
  const pidFile = path.join(dir, "agent.pid");
  writeFileSync(pidFile, formatPidFile({ pid: 2 ** 22 + 4321, argv: ["node", "tld", "agent", "run"] }));
  (await acquireInstanceLock(dir, quiet)).release();

  const bystander = spawn("sleep", ["30"]);
  try {
    writeFileSync(pidFile, formatPidFile({ pid: bystander.pid!, argv: ["node", "tld", "agent", "run"] }));
    const lock = await acquireInstanceLock(dir, quiet);
    assert.equal(bystander.exitCode, null);
    assert.equal(bystander.signalCode, null, "a recycled pid is never signalled");
    lock.release();
  } finally {
    bystander.kill();
  }
});

test("release leaves a newer agent's pid file alone", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-lock-"));
  const lock = await acquireInstanceLock(dir, quiet);
  writeFileSync(lock.pidFile, formatPidFile({ pid: process.pid + 1, argv: ["newer"] }));
  lock.release();
  assert.equal(parsePidFile(readFileSync(lock.pidFile, "utf8"))?.pid, process.pid + 1);
});
