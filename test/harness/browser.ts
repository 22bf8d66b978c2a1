// A real browser for UI tests: Debian's Chromium driven by playwright-core (no browser download). Installed
// from Debian's packages when missing and running as root, the way the CI machine gets it.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { PACKAGE_ROOT } from "../../lib/config.js";
import { ensureDebianPackages } from "../../lib/debian.js";

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
  await ensureDebianPackages(["chromium"], "the browser tests", log);
}

export async function launchBrowser(): Promise<Browser> {
  await ensureChromium((line) => console.error(line));
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}
