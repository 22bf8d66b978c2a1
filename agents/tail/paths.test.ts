import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expandLocation, fromGlobResult, globPattern, isGlob, watchFolder } from "./paths.js";

test("Windows locations: separators become glob slashes, wildcards are recognised, results come back with backslashes", () => {
  const w = path.win32;
  assert.equal(globPattern("C:\\Apache24\\logs\\access.log", w), "C:/Apache24/logs/access.log");
  assert.equal(isGlob("C:\\Apache24\\logs\\access.log", w), false);
  assert.equal(isGlob("C:\\Apache24\\logs\\*.log", w), true);
  assert.equal(watchFolder("C:\\Apache24\\logs\\access.log", w), "C:\\Apache24\\logs");
  assert.equal(watchFolder("C:\\Apache24\\*\\logs\\*.log", w), "C:\\Apache24");
  assert.equal(fromGlobResult("C:/Apache24/logs/access.log", w), "C:\\Apache24\\logs\\access.log");
});

test("POSIX locations: the same rules with forward slashes", () => {
  const p = path.posix;
  assert.equal(globPattern("/var/log/apache2/access.log", p), "/var/log/apache2/access.log");
  assert.equal(isGlob("/var/log/apache2/*.log", p), true);
  assert.equal(watchFolder("/var/log/apache2/access.log", p), "/var/log/apache2");
  assert.equal(watchFolder("/var/log/*/access.log", p), "/var/log");
});

test("a glob expands to the matching files; a plain path stands for itself even before it exists", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-paths-"));
  for (const name of ["a.log", "b.log", "c.txt"]) writeFileSync(path.join(dir, name), "");
  assert.deepEqual(await expandLocation(path.join(dir, "*.log")), [path.join(dir, "a.log"), path.join(dir, "b.log")]);
  assert.deepEqual(await expandLocation(path.join(dir, "missing.log")), [path.join(dir, "missing.log")]);
});
