#!/usr/bin/env node
// The `tld` front door: runs the compiled CLI (npm ci builds it through the `prepare` script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("tld: not built yet; run `npm ci` (or `npm run build`) in " + fileURLToPath(new URL("..", import.meta.url)));
  process.exit(2);
}
await import(entry.href);
