import { test } from "node:test";
import assert from "node:assert/strict";
import { Batcher } from "./batcher.js";

test("a batch is due at N lines or after the delay, whichever comes first", () => {
  const b = new Batcher<{ message: string }>({ maxLines: 3, maxBytes: 1_000_000, maxDelayMs: 100 });
  assert.equal(b.dueAt(), null);
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
