#!/usr/bin/env node
// `npm test`: unit tests (beside the code) and integration tests (test/) against a real stack, one node:test
// run, one summary. Finds or starts the stack first (see test/harness/stack.ts) and stops what it started.
//   --unit   unit tests only (no stack)
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const unitOnly = process.argv.includes("--unit");

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith(".test.js")) out.push(full);
  }
  return out;
}

const all = findTests(dist).sort();
const integrationDir = path.join(dist, "test") + path.sep;
const unit = all.filter((f) => !f.startsWith(integrationDir));
const integration = all.filter((f) => f.startsWith(integrationDir));

let stack = null;
let code = 1;
try {
  const env = { ...process.env };
  if (!unitOnly && integration.length > 0) {
    const { prepareStack } = await import(path.join(dist, "test/harness/stack.js"));
    stack = await prepareStack((line) => console.log(`[stack] ${line}`));
    Object.assign(env, stack.env);
  }
  const files = unitOnly ? unit : [...unit, ...integration];
  // Integration tests share one stack: run files one after another so they do not race on it.
  const args = ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files];
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", env });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
} catch (err) {
  console.error(`npm test: ${err?.stack ?? err}`);
  code = 1;
} finally {
  if (stack) await stack.stop().catch((err) => console.error(`[stack] stopping failed: ${err.message}`));
}
process.exit(code);
