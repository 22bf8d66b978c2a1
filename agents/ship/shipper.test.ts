import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CollectorRefused, CollectorUnreachable, type ShippedEvent } from "../../lib/collectorClient.js";
import { DiskBuffer } from "./diskBuffer.js";
import { Shipper, type SendMode } from "./shipper.js";

const quiet = { info() {}, warn() {}, error() {} };
const batch = (tag: string, n = 2): ShippedEvent[] => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, location: "/l", logFormat: "apache", message: "m", collectedAt: 1 }));
const buffer = (max = 1_000_000) => DiskBuffer.open(mkdtempSync(path.join(tmpdir(), "tld-ship-")), max);

/** A fake manager: up or down, recording what it accepted, in order. */
function fakeManager() {
  const accepted: string[] = [];
  const state = { up: true, refuse: null as CollectorRefused | null };
  const send = async (events: ShippedEvent[], mode: SendMode, signal: AbortSignal) => {
    for (;;) {
      if (state.refuse) throw state.refuse;
      if (state.up) {
        accepted.push(...events.map((e) => e.id));
        return;
      }
      if (mode === "direct") throw new CollectorUnreachable("down");
      if (signal.aborted) throw new Error("aborted");
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { accepted, state, send };
}

test("while the manager is down batches go to disk; when it is back they go out first, in order", async () => {
  const m = fakeManager();
  const s = new Shipper(m.send, await buffer(), quiet, { refusedRetryMs: 5 });
  assert.equal(await s.submit(batch("a")), "sent");
  m.state.up = false;
  assert.equal(await s.submit(batch("b")), "buffered");
  assert.equal(await s.submit(batch("c")), "buffered");
  assert.equal(s.stats().bufferedLines, 4);
  m.state.up = true;
  assert.equal(await s.submit(batch("d")), "buffered", "queues behind what is buffered");
  for (let i = 0; i < 200 && s.stats().bufferedLines > 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(m.accepted, ["a-0", "a-1", "b-0", "b-1", "c-0", "c-1", "d-0", "d-1"]);
  assert.equal(s.stats().sentLines, 8);
  assert.equal(await s.submit(batch("e")), "sent", "direct again once the buffer is empty");
  await s.stop();
});

test("a full buffer drops and counts; a batch the manager calls invalid is dropped and counted", async () => {
  const m = fakeManager();
  m.state.up = false;
  const s = new Shipper(m.send, await buffer(400), quiet, { refusedRetryMs: 5 });
  const outcomes = [];
  for (let i = 0; i < 5; i++) outcomes.push(await s.submit(batch(`x${i}`)));
  assert.ok(outcomes.includes("dropped"));
  const dropped = outcomes.filter((o) => o === "dropped").length * 2;
  assert.equal(s.stats().droppedLines, dropped);
  await s.stop();

  const m2 = fakeManager();
  m2.state.refuse = new CollectorRefused(400, "events.0.logFormat: bad");
  const s2 = new Shipper(m2.send, await buffer(), quiet);
  assert.equal(await s2.submit(batch("y")), "dropped");
  assert.equal(s2.stats().droppedLines, 2);
});

test("a revoked key keeps lines on disk instead of dropping them", async () => {
  const m = fakeManager();
  m.state.refuse = new CollectorRefused(401, "revoked");
  const s = new Shipper(m.send, await buffer(), quiet, { refusedRetryMs: 5 });
  assert.equal(await s.submit(batch("r")), "buffered");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.stats().bufferedLines, 2);
  assert.equal(s.stats().droppedLines, 0);
  await s.stop();
});

test("413: the batch is halved until it fits", async () => {
  const accepted: number[] = [];
  const send = async (events: ShippedEvent[]) => {
    if (events.length > 2) throw new CollectorRefused(413, "too large");
    accepted.push(events.length);
  };
  const s = new Shipper(send, await buffer(), quiet);
  assert.equal(await s.submit(batch("big", 7)), "sent");
  assert.equal(accepted.reduce((a, b) => a + b, 0), 7);
});
