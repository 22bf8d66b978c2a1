// The tailer on real files (no manager): rotation, copytruncate, truncation, restarts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OffsetStore } from "./offsets.js";
import { LocationTailer, type TailedLine } from "./tailer.js";

const quiet = { info() {}, warn() {} };

function setup(onlyFuture = true) {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-tail-"));
  const file = path.join(dir, "access.log");
  const store = new OffsetStore(path.join(dir, "offsets.json"));
  const make = (s = store) => new LocationTailer({ location: file, log_format: "apache", only_future_events: onlyFuture }, { store: s, maxLineBytes: 1024, onlyFutureEvents: true, log: quiet, wake: () => {}, refreshMs: 0 });
  return { dir, file, store, make };
}

/** Polls until `n` lines arrived (committing each, as an acknowledgement would), or fails after 5 s. */
async function collect(tailer: LocationTailer, store: OffsetStore, n: number): Promise<TailedLine[]> {
  const got: TailedLine[] = [];
  const deadline = Date.now() + 5_000;
  while (got.length < n && Date.now() < deadline) {
    const batch: TailedLine[] = [];
    await tailer.poll(batch, 1000);
    for (const l of batch) store.commit(l.identity, l.generation, l.end);
    got.push(...batch);
    if (batch.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  return got;
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}\n`).join("");
const texts = (got: TailedLine[]) => got.map((l) => l.message);

test("first sight skips what is already there (only_future_events); new lines are read", async () => {
  const { file, store, make } = setup();
  writeFileSync(file, lines(1, 3));
  const t = make();
  await t.start();
  appendFileSync(file, lines(4, 5));
  assert.deepEqual(texts(await collect(t, store, 2)), ["line-4", "line-5"]);
  await t.close();
});

test("only_future_events: false reads a file's existing content", async () => {
  const { file, store, make } = setup(false);
  writeFileSync(file, lines(1, 2));
  const t = make();
  await t.start();
  assert.deepEqual(texts(await collect(t, store, 2)), ["line-1", "line-2"]);
  await t.close();
});

test("rename rotation: the rest of the old file first (even its unterminated last line), then the new file from its start", async () => {
  const { file, store, make } = setup();
  writeFileSync(file, "");
  const t = make();
  await t.start();
  appendFileSync(file, lines(1, 2));
  assert.equal((await collect(t, store, 2)).length, 2);
  appendFileSync(file, lines(3, 4) + "line-5-unterminated");
  renameSync(file, file + ".1");
  writeFileSync(file, lines(6, 7));
  const got = await collect(t, store, 5);
  assert.deepEqual(new Set(texts(got)), new Set(["line-3", "line-4", "line-5-unterminated", "line-6", "line-7"]));
  assert.ok(texts(got).indexOf("line-4") < texts(got).indexOf("line-6"), "old file's lines before the new file's");
  await t.close();
});

test("copytruncate: regrown to the same size, the different first bytes reveal it; ids differ by generation", async () => {
  const { file, store, make } = setup();
  writeFileSync(file, "");
  const t = make();
  await t.start();
  appendFileSync(file, lines(1, 3));
  const before = await collect(t, store, 3);
  copyFileSync(file, file + ".1");
  truncateSync(file, 0);
  appendFileSync(file, lines(7, 9)); // same length as before: a size check alone would miss it
  const after = await collect(t, store, 3);
  assert.deepEqual(texts(after), ["line-7", "line-8", "line-9"]);
  assert.equal(after[0].start, before[0].start);
  assert.notEqual(after[0].generation, before[0].generation);
  await t.close();
});

test("truncation below the read position restarts the file", async () => {
  const { file, store, make } = setup();
  writeFileSync(file, "");
  const t = make();
  await t.start();
  appendFileSync(file, lines(1, 5));
  await collect(t, store, 5);
  writeFileSync(file, "x\n");
  assert.deepEqual(texts(await collect(t, store, 1)), ["x"]);
  await t.close();
});

test("restart: resumes at the committed offset, and a file rotated while stopped is found and drained first", async () => {
  const { file, store, make } = setup();
  writeFileSync(file, "");
  const t = make();
  await t.start();
  appendFileSync(file, lines(1, 2));
  await collect(t, store, 2);
  await t.close();
  await store.flush();
  appendFileSync(file, lines(3, 4)); // written while the agent is down
  renameSync(file, file + ".1"); // and rotated while it is down
  writeFileSync(file, lines(5, 5));
  const reopened = await OffsetStore.open(store.file);
  const t2 = make(reopened);
  await t2.start();
  assert.deepEqual(texts(await collect(t2, reopened, 3)), ["line-3", "line-4", "line-5"]);
  await t2.close();
});
