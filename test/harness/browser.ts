// A real browser for UI tests: Debian's Chromium driven by playwright-core (no browser download). Installed
// from Debian's packages when missing and running as root, the way the CI machine gets it.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { PACKAGE_ROOT } from "../../lib/config.js";

const run = promisify(execFile);
export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/** Screenshots and other things a person may want to look at after a run (ignored by git). */
export function artifactsDir(name: string): string {
  const dir = path.join(PACKAGE_ROOT, "test-artifacts", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function ensureChromium(log: (line: string) => void = () => undefined): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error("browser tests need Debian's chromium: sudo apt-get install chromium");
  log("installing chromium from Debian's packages");
  await run("apt-get", ["install", "-y", "-qq", "chromium"], { maxBuffer: 64 * 1024 * 1024 }).catch(async () => {
    await run("apt-get", ["update", "-qq"], { maxBuffer: 64 * 1024 * 1024 });
    await run("apt-get", ["install", "-y", "-qq", "chromium"], { maxBuffer: 64 * 1024 * 1024 });
  });
}

export async function launchBrowser(): Promise<Browser> {
  await ensureChromium((line) => console.error(line));
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}
