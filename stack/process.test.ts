import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { cmdlineMatches, formatPidFile, parsePidFile, readCmdline } from "../lib/pidFile.js";
import { ManagedProcess, stackPaths, tailFile, withStackLock } from "./process.js";

test("pid files round-trip: pid first (for shell use), argv as JSON second", () => {
  const rec = { pid: 1234, argv: ["/usr/bin/java", "-cp", "/a b/*", "kafka.Kafka"] };
  const text = formatPidFile(rec);
  assert.equal(text.split("\n")[0], "1234");
  assert.deepEqual(parsePidFile(text), rec);
});

test("anything that is not our pid file is ignored, never acted on", () => {
  for (const bad of ["", "1234", "1234\nnot json", "abc\n[\"x\"]", "1\n[\"x\"]", "1234\n[]", "1234\n[1,2]"]) {
    assert.equal(parsePidFile(bad), undefined, JSON.stringify(bad));
  }
});

test("cmdline matching: exact argv, or the same words retitled into one string", () => {
  const argv = ["/usr/bin/redis-server", "--port", "6379"];
  assert.equal(cmdlineMatches(argv, [...argv]), true);
  assert.equal(cmdlineMatches(argv, ["/usr/bin/redis-server --port 6379"]), true);
  assert.equal(cmdlineMatches(argv, ["/usr/bin/redis-server", "--port", "6380"]), false);
  assert.equal(cmdlineMatches(argv, ["/usr/bin/redis-server 127.0.0.1:6379"]), false);
  assert.equal(cmdlineMatches(argv, []), false);
  assert.equal(cmdlineMatches(argv, undefined), false);
});

test("readCmdline reads this very process", () => {
  const argv = readCmdline(process.pid);
  assert.ok(argv && argv[0].includes("node"));
  assert.equal(readCmdline(2 ** 22 + 12345), undefined);
});

test("tailFile returns the last lines", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-tail-"));
  try {
    const f = path.join(dir, "x.log");
    writeFileSync(f, Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join("\n") + "\n");
    assert.equal(tailFile(f, 3), "line 48\nline 49\nline 50");
    assert.equal(tailFile(path.join(dir, "missing.log")), "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a managed process: started detached, recognised by its pid file, stopped only while it is ours", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-proc-"));
  const paths = stackPaths(dir);
  const proc = new ManagedProcess("sleeper", paths);
  try {
    assert.equal(proc.running(), undefined);
    const rec = proc.start({ command: "/bin/sleep", args: ["300"] });
    assert.deepEqual(proc.running(), rec);
    assert.deepEqual(parsePidFile(readFileSync(proc.pidPath, "utf8")), rec);

    // A pid file naming a live process with another command line (here: this test) is not ours.
    const impostor = new ManagedProcess("impostor", paths);
    writeFileSync(impostor.pidPath, formatPidFile({ pid: process.pid, argv: ["/bin/sleep", "300"] }));
    assert.equal(impostor.running(), undefined);
    assert.equal(await impostor.stop(), false, "must not signal a process we did not start");

    await proc.waitHealthy(async () => true, { timeoutMs: 1000 });
    assert.equal(await proc.stop({ graceMs: 5000 }), true);
    assert.equal(proc.running(), undefined);
    assert.equal(await proc.stop(), false);
  } finally {
    const rec = proc.running();
    if (rec) process.kill(rec.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("waitHealthy fails with the log's tail when the process exits", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-proc-"));
  const proc = new ManagedProcess("crasher", stackPaths(dir));
  try {
    proc.start({ command: "/bin/sh", args: ["-c", "echo boom: config is wrong; exit 3"] });
    await assert.rejects(
      proc.waitHealthy(async () => false, { timeoutMs: 60_000 }),
      (err: Error) => /crasher exited during startup/.test(err.message) && /boom: config is wrong/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the stack lock is exclusive while held and reclaimed from a dead owner", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-lock-"));
  const paths = stackPaths(dir);
  try {
    await withStackLock(paths, async () => {
      // Held by a live process other than us (our parent stands in for a concurrent `tld up`): refused.
      writeFileSync(path.join(paths.run, "stack.lock"), `${process.ppid}\n`);
      await assert.rejects(withStackLock(paths, async () => undefined), /another `tld up`/);
    });
    writeFileSync(path.join(paths.run, "stack.lock"), `${2 ** 22 + 4242}\n`); // no such pid: stale
    assert.equal(await withStackLock(paths, async () => "ran"), "ran");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
