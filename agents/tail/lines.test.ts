import { test } from "node:test";
import assert from "node:assert/strict";
import { splitLines } from "./lines.js";

const split = (text: string, offset = 0, max = 100, room = 100, skipping = false) => {
  const b = Buffer.from(text);
  return splitLines(b, b.length, offset, max, room, skipping);
};

test("complete lines carry their byte offsets; a partial last line waits", () => {
  const r = split("ab\ncd\nef", 10);
  assert.deepEqual(r.lines.map((l) => [l.text, l.start, l.end]), [["ab", 10, 13], ["cd", 13, 16]]);
  assert.equal(r.consumed, 6);
});

test("CRLF (Windows logs) is stripped; blank lines are consumed but not handed out", () => {
  const r = split("a\r\n\r\n\nb\r\n");
  assert.deepEqual(r.lines.map((l) => l.text), ["a", "b"]);
  assert.equal(r.consumed, 9);
});

test("room limits the lines taken; the rest is left for the next read", () => {
  const r = split("1\n2\n3\n", 0, 100, 2);
  assert.equal(r.lines.length, 2);
  assert.equal(r.consumed, 4);
});

test("an over-long line is cut and the rest of it skipped, even across reads", () => {
  const r = split("x".repeat(30), 0, 10);
  assert.equal(r.lines[0].text, "x".repeat(10));
  assert.ok(r.lines[0].truncated);
  assert.equal(r.skipping, true);
  const next = split("yyy\nok\n", 30, 10, 100, true);
  assert.deepEqual(next.lines.map((l) => l.text), ["ok"]);
  assert.equal(next.skipping, false);
  const complete = split("z".repeat(20) + "\n", 0, 10);
  assert.equal(complete.lines[0].text.length, 10);
  assert.equal(complete.skipping, false);
});

test("multi-byte characters survive", () => {
  assert.equal(split("café ☕\n").lines[0].text, "café ☕");
});
