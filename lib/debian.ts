// Debian packages the stack, `tld demo`, the tests and the benchmarks need: this project starts on fresh
// machines, so when a package is missing and we run as root it is installed from the Debian archive with apt-get
// (an `apt-get update` once when the first try fails); otherwise the error says what to install.
import { execFile, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);
const APT_TIMEOUT_MS = 600_000;
/** Debian's hook for "may a package's scripts start a service now?": exit 101 says no. */
const POLICY_RC_D = "/usr/sbin/policy-rc.d";

/** Packages are missing and we may not install them: the message says what to run. */
export class DebianPackagesMissing extends Error {
  constructor(readonly missing: readonly string[], purpose: string) {
    super(`${purpose} needs ${missing.join(", ")}: sudo apt-get install ${missing.join(" ")}`);
    this.name = "DebianPackagesMissing";
  }
}

export interface InstallOptions {
  /** Keep the packages' own services from starting (a web server we run ourselves, a daemon we only time). */
  noServiceStart?: boolean;
  /** apt-get's progress on our stderr (a long download visibly moving), else quiet. */
  showOutput?: boolean;
}

function apt(args: string[], showOutput: boolean): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!showOutput) return run("apt-get", ["-qq", ...args], { timeout: APT_TIMEOUT_MS, env, maxBuffer: 64 * 1024 * 1024 }).then(() => undefined);
  return new Promise((resolve, reject) => {
    const child = spawn("apt-get", args, { stdio: ["ignore", 2, 2], env, timeout: APT_TIMEOUT_MS });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(" ")} exited with ${code}`))));
  });
}

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
export async function ensureDebianPackages(packages: readonly string[], purpose: string, log: (line: string) => void, options: InstallOptions = {}): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of packages) if ((await dpkgStatus(pkg)) !== "ii") missing.push(pkg);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) throw new DebianPackagesMissing(missing, purpose);
  log(`installing ${missing.join(", ")} from Debian's packages (for ${purpose})`);
  // A policy-rc.d someone else put there stays as it is; ours goes once the install is done.
  const ourPolicy = options.noServiceStart === true && !existsSync(POLICY_RC_D);
  if (ourPolicy) writeFileSync(POLICY_RC_D, "#!/bin/sh\n# ThreatLockDown: no service starts while it installs packages\nexit 101\n", { mode: 0o755 });
  try {
    const install = () => apt(["install", "-y", ...missing], options.showOutput === true);
    await install().catch(async () => {
      await apt(["update"], options.showOutput === true);
      await install();
    });
  } finally {
    if (ourPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  const still = [];
  for (const pkg of missing) if ((await dpkgStatus(pkg)) !== "ii") still.push(pkg);
  if (still.length > 0) throw new Error(`apt-get ran but ${still.join(", ")} is still not installed (see \`dpkg -l ${still.join(" ")}\`)`);
  return missing;
}
