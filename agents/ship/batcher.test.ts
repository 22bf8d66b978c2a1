import { test } from "node:test";
import assert from "node:assert/strict";
import { Batcher } from "./batcher.js";

test("a batch is due at N lines or after the delay, whichever comes first", () => {
  const b = new Batcher<{ message: string }>({ maxLines: 3, maxBytes: 1_000_000, maxDelayMs: 100 });
  assert.equal(b.dueAt(), null);
  b.add({ message: "first" }, 950);
  b.take(950); // a batch left 50 ms ago: the stream is busy, so the next one is batched
  b.add({ message: "a" }, 1000);
  assert.equal(b.shouldFlush(1099), false);
  assert.equal(b.shouldFlush(1100), true, "a lone line leaves after 100 ms");
  b.add({ message: "b" }, 1001);
  b.add({ message: "c" }, 1002);
  assert.equal(b.isFull(), true);
  assert.equal(b.room, 0);
  assert.deepEqual(b.take().map((x) => x.message), ["a", "b", "c"]);
  assert.equal(b.size, 0);
  assert.equal(b.dueAt(), null);
});

test("a batch is full by bytes too", () => {
  const b = new Batcher<{ message: string }>({ maxLines: 1000, maxBytes: 1024, maxDelayMs: 100 });
  b.add({ message: "x".repeat(1000) }, 0);
  assert.equal(b.isFull(), true);
});

test("after a quiet spell the first lines leave at once; a busy stream is batched", () => {
  const b = new Batcher<{ message: string }>({ maxLines: 1000, maxBytes: 1_000_000, maxDelayMs: 100 });
  b.add({ message: "lone attacker line" }, 5_000);
  assert.equal(b.shouldFlush(5_000), true, "nothing left before: no reason to wait");
  assert.equal(b.take(5_000).length, 1);
  b.add({ message: "next" }, 5_001);
  assert.equal(b.shouldFlush(5_050), false, "a batch left 1 ms before: this one waits its 100 ms");
  assert.equal(b.dueAt(), 5_101);
  b.add({ message: "and next" }, 5_060);
  assert.equal(b.take(5_101).length, 2);
  b.add({ message: "after a pause" }, 5_250);
  assert.equal(b.dueAt(), 5_250, "149 ms without a batch: quiet again");
});
