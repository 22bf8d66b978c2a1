// Debian packages that tests and benchmarks need (never the product itself): CI and acceptance run on fresh
// machines, so when a package is missing and we run as root it is installed from the Debian archive with
// apt-get (an `apt-get update` once when the first try fails); otherwise the error says what to install.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const APT_TIMEOUT_MS = 600_000;

/** dpkg's status of a package in short form ("ii" installed; "iF" half-configured; "" unknown to dpkg). */
export async function dpkgStatus(pkg: string): Promise<string> {
  return run("dpkg-query", ["-W", "-f=${db:Status-Abbrev}", pkg]).then(
    (r) => r.stdout.trim(),
    () => "",
  );
}

export async function debianVersion(pkg: string): Promise<string | null> {
  return run("dpkg-query", ["-W", "-f=${Version}", pkg]).then(
    (r) => r.stdout.trim() || null,
    () => null,
  );
}

/**
 * Installs the packages of `packages` that are not fully installed. Returns those it installed (empty when all
 * were there already). `purpose` finishes the sentence "... needs <packages>" in the error for non-root users.
 */
export async function ensureDebianPackages(packages: readonly string[], purpose: string, log: (line: string) => void): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of packages) if ((await dpkgStatus(pkg)) !== "ii") missing.push(pkg);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) throw new Error(`${purpose} needs ${missing.join(", ")}: sudo apt-get install ${missing.join(" ")}`);
  log(`installing ${missing.join(", ")} from Debian's packages`);
  const install = () => run("apt-get", ["install", "-y", "-qq", ...missing], { timeout: APT_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  await install().catch(async () => {
    await run("apt-get", ["update", "-qq"], { timeout: APT_TIMEOUT_MS });
    await install();
  });
  const still = [];
  for (const pkg of missing) if ((await dpkgStatus(pkg)) !== "ii") still.push(pkg);
  if (still.length > 0) throw new Error(`apt-get ran but ${still.join(", ")} is still not installed (see \`dpkg -l ${still.join(" ")}\`)`);
  return missing;
}
