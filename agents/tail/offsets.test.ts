import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OffsetStore } from "./offsets.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "tld-offsets-"));

test("offsets only move forward, and not for a generation before a truncation", () => {
  const s = new OffsetStore("/unused");
  s.set("1-2", { path: "/a", offset: 0, generation: 1, head: "" });
  s.commit("1-2", 1, 100);
  s.commit("1-2", 1, 50);
  assert.equal(s.get("1-2")?.offset, 100);
  s.commit("1-2", 0, 500); // a late acknowledgement of lines from before the truncation
  assert.equal(s.get("1-2")?.offset, 100);
});

test("a retired file's entry goes once its last line is committed", () => {
  const s = new OffsetStore("/unused");
  s.set("1-2", { path: "/a", offset: 10, generation: 0, head: "" });
  s.retire("1-2", 30);
  assert.ok(s.get("1-2"));
  s.commit("1-2", 0, 30);
  assert.equal(s.get("1-2"), undefined);
});

test("flush writes atomically (no temporary file left, mode 0600) and open reads it back", async () => {
  const dir = tmp();
  const file = path.join(dir, "offsets.json");
  const s = await OffsetStore.open(file);
  s.set("1-2", { path: "/var/log/x", offset: 42, generation: 3, head: "6162" });
  await Promise.all([s.flush(), s.flush(), s.flush()]);
  assert.deepEqual(readdirSync(dir), ["offsets.json"]);
  if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = await OffsetStore.open(file);
  assert.deepEqual(again.get("1-2"), { path: "/var/log/x", offset: 42, generation: 3, head: "6162" });
  assert.deepEqual(again.byPath("/var/log/x").map(([id]) => id), ["1-2"]);
});

test("an unreadable offsets file is set aside, not fatal", async () => {
  const dir = tmp();
  const file = path.join(dir, "offsets.json");
  writeFileSync(file, "{half");
  const warnings: string[] = [];
  const s = await OffsetStore.open(file, (m) => warnings.push(m));
  assert.equal(s.entries.size, 0);
  assert.equal(warnings.length, 1);
  assert.equal(existsSync(file), false);
});
