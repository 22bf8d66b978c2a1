import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DiskBuffer } from "./diskBuffer.js";

const events = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, location: "/l", logFormat: "apache", message: "x".repeat(50), collectedAt: 1 }));

test("batches come out oldest first and survive a reopen (a restart)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-buffer-"));
  const b = await DiskBuffer.open(dir, 1_000_000);
  assert.ok(await b.append(events(2, "a")));
  assert.ok(await b.append(events(3, "b")));
  assert.equal(b.lines, 5);
  writeFileSync(path.join(dir, "000000000009-1.batch.tmp-123"), "half"); // a crash mid-write
  const again = await DiskBuffer.open(dir, 1_000_000);
  assert.equal(again.lines, 5);
  const first = await again.peek();
  assert.equal(first?.events[0].id, "a-0");
  await again.remove(first!.seq);
  assert.equal((await again.peek())?.events[0].id, "b-0");
  assert.ok(await again.append(events(1, "c")));
  assert.ok(!readdirSync(dir).some((n) => n.includes(".tmp-")));
  assert.deepEqual(readdirSync(dir).sort(), ["000000000002-3.batch", "000000000003-1.batch"]);
});

test("the buffer is bounded: a batch that does not fit is refused and nothing is written", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-buffer-"));
  const b = await DiskBuffer.open(dir, 2_000);
  let stored = 0;
  for (let i = 0; i < 10; i++) if (await b.append(events(5, `x${i}`))) stored++;
  assert.ok(stored >= 1 && stored < 10);
  assert.ok(b.bytes <= 2_000);
  assert.equal(readdirSync(dir).length, stored);
});
