// What the local stack needs from the machine: Java (two different minimums), Maven to fetch the JVM parts once,
// and Debian packages (redis-server, postgresql) that we install only when running as root. Every "missing"
// error says exactly what to install.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DebianPackagesMissing, ensureDebianPackages } from "../lib/debian.js";
import { StackError, type StackPaths } from "./process.js";
import { POM_PATH, type StackVersions } from "./versions.js";

/** First executable named `cmd` on PATH (plus the sbin dirs, which a non-login root shell may lack). */
export function which(cmd: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...extraDirs, "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Installs Debian packages when we are root; otherwise a StackError telling the user the command to run.
 * apt's own output goes to our stderr so a slow download is visibly progressing.
 */
export async function aptInstall(packages: string[], why: string, say: (line: string) => void): Promise<void> {
  if (!which("apt-get")) throw new StackError(`${why}: install ${packages.join(", ")} with your system's package manager and run \`tld up\` again`);
  try {
    await ensureDebianPackages(packages, why, say, { showOutput: true });
  } catch (err) {
    if (err instanceof DebianPackagesMissing) throw new StackError(`${why}: install it with \`sudo apt-get install -y ${packages.join(" ")}\` and run \`tld up\` again`);
    throw new StackError(`${why}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------- Java

/** Major version from a Java version string: "17.0.15" → 17, "25" → 25, "1.8.0_402" → 8. */
export function parseJavaMajor(version: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/** JAVA_VERSION from a JDK/JRE `release` file. */
export function javaVersionFromRelease(text: string): string | undefined {
  return /^JAVA_VERSION="([^"]+)"/m.exec(text)?.[1];
}

export interface JavaInfo {
  bin: string;
  major: number;
}

function javaMajorOf(bin: string): number | undefined {
  try {
    const home = path.dirname(path.dirname(realpathSync(bin)));
    const release = path.join(home, "release");
    if (existsSync(release)) {
      const v = javaVersionFromRelease(readFileSync(release, "utf8"));
      if (v) return parseJavaMajor(v);
    }
  } catch {
    // fall through to asking the binary itself
  }
  const res = spawnSync(bin, ["-version"], { encoding: "utf8", timeout: 10_000 });
  const m = /version "([^"]+)"/.exec(`${res.stderr ?? ""}${res.stdout ?? ""}`);
  return m ? parseJavaMajor(m[1]) : undefined;
}

/** Every Java we can see: $JAVA_HOME, `java` on PATH, then /usr/lib/jvm/* (newest first); deduplicated. */
export function javaCandidates(): JavaInfo[] {
  const bins: string[] = [];
  if (process.env.JAVA_HOME) bins.push(path.join(process.env.JAVA_HOME, "bin", "java"));
  const onPath = which("java");
  if (onPath) bins.push(onPath);
  try {
    for (const dir of readdirSync("/usr/lib/jvm").sort().reverse()) bins.push(path.join("/usr/lib/jvm", dir, "bin", "java"));
  } catch {
    // no /usr/lib/jvm: fine
  }
  const seen = new Set<string>();
  const found: JavaInfo[] = [];
  for (const bin of bins) {
    let real: string;
    try {
      accessSync(bin, constants.X_OK);
      real = realpathSync(bin);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const major = javaMajorOf(bin);
    if (major !== undefined) found.push({ bin: real, major });
  }
  return found;
}

/**
 * Picks a Java for a part: the first candidate within [min, preferredMax], else the first >= min.
 * Kafka 3.9 wants <= 23 (newer JDKs removed Subject APIs it still calls); Apicurio 3.3 needs >= 21.
 */
export function pickJava(candidates: JavaInfo[], min: number, preferredMax = Infinity): JavaInfo | undefined {
  return (
    candidates.find((j) => j.major >= min && j.major <= preferredMax) ?? candidates.find((j) => j.major >= min)
  );
}

export function requireJava(purpose: string, min: number, preferredMax: number, installHint: string): JavaInfo {
  const candidates = javaCandidates();
  const java = pickJava(candidates, min, preferredMax);
  if (java) return java;
  const seen = candidates.length ? candidates.map((j) => `${j.major} (${j.bin})`).join(", ") : "none";
  throw new StackError(`${purpose} needs Java ${min} or newer; found: ${seen}.\n${installHint}`);
}

// --------------------------------------------------------------------------------------------------- Maven fetch

export type JvmArtifact = "kafka" | "apicurio";

export interface ArtifactDirs {
  kafkaHome: string;
  kafkaLibs: string;
  apicurioHome: string;
}

export function artifactDirs(paths: StackPaths, versions: StackVersions): ArtifactDirs {
  const kafkaHome = path.join(paths.cache, `kafka-${versions.kafka}`);
  return { kafkaHome, kafkaLibs: path.join(kafkaHome, "libs"), apicurioHome: path.join(paths.cache, `apicurio-${versions.apicurio}`) };
}

/** Written after Maven succeeds, so a fetch interrupted half way is redone rather than trusted. */
const COMPLETE = ".tld-complete";

export function artifactPresent(dirs: ArtifactDirs, which: JvmArtifact): boolean {
  return existsSync(path.join(which === "kafka" ? dirs.kafkaHome : dirs.apicurioHome, COMPLETE));
}

/** Fetches (once) the Kafka jars and/or the Apicurio app into <stateDir>/cache with Maven. */
export function fetchArtifacts(
  paths: StackPaths,
  versions: StackVersions,
  wanted: JvmArtifact[],
  say: (line: string) => void,
): ArtifactDirs {
  const dirs = artifactDirs(paths, versions);
  const missing = wanted.filter((w) => !artifactPresent(dirs, w));
  if (missing.length === 0) return dirs;
  const mvn = which("mvn");
  if (!mvn) {
    throw new StackError(
      `Maven is needed once, to fetch ${missing.map((m) => (m === "kafka" ? `Kafka ${versions.kafka}` : `Apicurio Registry ${versions.apicurio}`)).join(" and ")} ` +
        `into ${paths.cache}: install it with \`apt-get install maven\` and run \`tld up\` again`,
    );
  }
  const goals = missing.map((m) => (m === "kafka" ? "dependency:copy-dependencies@kafka" : "dependency:unpack@apicurio"));
  say(`fetching ${missing.join(" and ")} with Maven into ${paths.cache} (first run only; ~200 MB on a cold Maven cache)`);
  const res = spawnSync(mvn, ["-B", "-q", "-f", POM_PATH, `-Dtld.cache=${paths.cache}`, ...goals], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) {
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    throw new StackError(`Maven could not fetch ${missing.join(" and ")} (exit ${res.status ?? res.signal}):\n${out}\n(pom: ${POM_PATH})`);
  }
  for (const m of missing) writeFileSync(path.join(m === "kafka" ? dirs.kafkaHome : dirs.apicurioHome, COMPLETE), `${new Date().toISOString()}\n`);
  return dirs;
}
