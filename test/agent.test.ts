// The agent end to end, as a real child process against the live stack, on real files: rotation by rename,
// copytruncate, truncation, a kill -9 mid-batch, a restart mid-file, and the collector stopped under a steady
// stream. Every line must arrive; duplicates only from the batch that was in flight at a kill -9.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, renameSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { agentLogged, arrivals, duplicates, emit, enrolledAgent, missing, partPid, runAgent, stateFile, steadyWriter, type TestAgent } from "./harness/agent.js";
import { runTag, tld, waitFor } from "./harness/tools.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newTag = () => `ag${runTag()}x${Date.now() % 1_000_000}`;

async function allArrived(agent: TestAgent, tag: string, last: number, timeoutMs = 60_000) {
  return waitFor(`${last} lines of ${tag} in tld.events.raw`, () => {
    const a = arrivals(agent.id, tag);
    return missing(a.byLine, 1, last).length === 0 ? a : undefined;
  }, timeoutMs, 1_000);
}

test("rotation by rename, copytruncate and truncation: every line once", { timeout: 180_000 }, async () => {
  const tag = newTag();
  const agent = await enrolledAgent(`it-rotate-${tag}`);
  const proc = await runAgent(agent);
  try {
    emit(agent.logFile, tag, 1, 1000);
    await allArrived(agent, tag, 1000);
    renameSync(agent.logFile, agent.logFile + ".1"); // rotation by rename; the old file gets more lines after
    emit(agent.logFile + ".1", tag, 1001, 1100);
    writeFileSync(agent.logFile, "");
    emit(agent.logFile, tag, 1101, 2000);
    await allArrived(agent, tag, 2000);
    copyFileSync(agent.logFile, agent.logFile + ".2"); // copytruncate
    truncateSync(agent.logFile, 0);
    emit(agent.logFile, tag, 2001, 3000);
    await allArrived(agent, tag, 3000);
    truncateSync(agent.logFile, 0); // plain truncation, then regrowth past the old size
    emit(agent.logFile, tag, 3001, 4500);
    const a = await allArrived(agent, tag, 4500);
    const dups = duplicates(a.byLine);
    console.log(`# agent rotation test: 4500 written, ${a.byLine.size} distinct arrived, ${dups} duplicates, ${a.byId.size} distinct ids`);
    assert.equal(a.byLine.size, 4500);
    assert.equal(dups, 0, "no kill, so no line twice");
    const e = a.events.find((x) => x.message.includes(`/${tag}-line-1 `))!;
    assert.deepEqual({ ...e.agent }, { id: agent.id, name: agent.name, ip: "127.0.0.1", os: "linux" });
    assert.equal(e.location, agent.logFile);
    assert.equal(e.logFormat, "apache");
    assert.ok(await agentLogged(proc, /file rotated/), `the agent logs the rotation:\n${proc.output()}`);
    assert.ok(await agentLogged(proc, /file truncated/), `the agent logs the truncation:\n${proc.output()}`);
  } finally {
    proc.child.kill("SIGTERM");
    await proc.exited;
  }
});

test("kill -9 mid-batch and a restart mid-file under a steady stream: nothing lost, at most the in-flight batch twice", { timeout: 240_000 }, async () => {
  const tag = newTag();
  const batchLines = 500;
  const agent = await enrolledAgent(`it-crash-${tag}`, `batch_max_lines: ${batchLines}\n`);
  let proc = await runAgent(agent);
  const writer = steadyWriter(agent.logFile, tag, 1, 5_000);
  let last = 0;
  try {
    await sleep(2_000);
    // kill -9 while lines stream in: the committed offset is behind the file's end (a batch is in flight or filling).
    proc.child.kill("SIGKILL");
    await proc.exited;
    const committed = (JSON.parse(stateFile(agent, "offsets.json") ?? "{}") as { files?: Record<string, { offset: number }> }).files ?? {};
    const offset = Object.values(committed)[0]?.offset ?? 0;
    const size = statSync(agent.logFile).size;
    console.log(`# kill -9 at ${writer.written} lines written: committed offset ${offset} of ${size} bytes`);
    assert.ok(offset < size, "killed mid-stream");
    await sleep(1_000); // lines keep coming while the agent is down
    proc = await runAgent(agent);
    await sleep(2_000);
    // A graceful restart mid-file: SIGTERM sends what was read and saves offsets; it adds no duplicates.
    proc.child.kill("SIGTERM");
    assert.equal(await proc.exited, 0);
    await sleep(500);
    proc = await runAgent(agent);
    await sleep(1_500);
    last = writer.stop();
    const a = await allArrived(agent, tag, last, 120_000);
    const dups = duplicates(a.byLine);
    console.log(`# agent crash test: ${last} written, ${a.byLine.size} distinct arrived, ${dups} duplicates (batch size ${batchLines}), ids: ${a.byId.size} distinct, ${duplicates(a.byId)} repeated`);
    assert.equal(a.byLine.size, last, "every line arrived");
    assert.ok(dups <= batchLines, `at most the batch in flight at the kill arrives twice (${dups})`);
    assert.equal(a.byId.size, a.byLine.size, "a re-sent line carries the same id, so duplicates can be counted");
  } finally {
    writer.stop();
    proc.child.kill("SIGTERM");
    await proc.exited;
  }
});

test("collector stopped under a steady stream: the agent buffers on disk, then catches up; nothing lost", { timeout: 240_000 }, async () => {
  const tag = newTag();
  const agent = await enrolledAgent(`it-outage-${tag}`);
  const proc = await runAgent(agent);
  const writer = steadyWriter(agent.logFile, tag, 1, 1_000);
  try {
    await sleep(1_500);
    const pid = await partPid("collector");
    assert.ok(pid, "the stack runs a collector");
    process.kill(pid, "SIGTERM");
    await waitFor("the collector to stop", async () => ((await partPid("collector")) !== pid ? true : undefined), 30_000, 200).catch(() => undefined);
    await sleep(5_000); // the outage, while lines keep coming
    assert.ok(await agentLogged(proc, /buffering on disk/, 20_000), `the agent buffers on disk:\n${proc.output()}`);
    await tld("up");
    await sleep(3_000);
    const last = writer.stop();
    const a = await allArrived(agent, tag, last, 120_000);
    console.log(`# agent outage test: ${last} written, ${a.byLine.size} distinct arrived, ${duplicates(a.byLine)} duplicates`);
    assert.equal(a.byLine.size, last);
    assert.ok(await agentLogged(proc, /disk buffer sent/), `the agent logs the buffer's delivery:\n${proc.output()}`);
  } finally {
    writer.stop();
    proc.child.kill("SIGTERM");
    await proc.exited;
    await tld("up"); // whatever happened, leave the stack whole
  }
});
