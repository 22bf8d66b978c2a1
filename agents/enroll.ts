// Enrollment: the shared password buys an agent id and key from the manager. The key is kept in the agent's
// state folder, mode 0600 (on Windows the folder's ACL is what protects it: see README), written atomically so
// a crash never leaves half a key behind.
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { callCollector, type CollectorEndpoint } from "../lib/collectorClient.js";
import { PACKAGE_ROOT } from "../lib/config.js";
import type { AgentConfig } from "./config.js";
import { writeFileAtomic } from "./tail/atomicFile.js";

export interface Enrollment {
  id: string;
  name: string;
  key: string;
  manager: string;
  enrolledAt: string;
}

export const ENROLLMENT_FILE = "agent.key";

/** Names the OS the way RawEvent.agent.os shows it: "linux", "windows", "darwin", ... */
export function agentOs(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "windows" : platform;
}

export function agentVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown"; // an agent copied without its package.json still runs
  }
}

export function collectorEndpoint(config: AgentConfig): CollectorEndpoint {
  return { baseUrl: config.manager, ca: config.ca_file ? readFileSync(config.ca_file) : undefined, timeoutMs: 15_000 };
}

export function readEnrollment(stateDir: string): Enrollment | null {
  const file = path.join(stateDir, ENROLLMENT_FILE);
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<Enrollment>;
  if (!parsed.id || !parsed.key || !parsed.name) throw new Error(`${file} is not a valid enrollment file; enroll again with --force`);
  return parsed as Enrollment;
}

export function writeEnrollment(stateDir: string, enrollment: Enrollment): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, ENROLLMENT_FILE);
  writeFileAtomic(file, JSON.stringify(enrollment, null, 2) + "\n", 0o600);
  if (process.platform !== "win32") chmodSync(file, 0o600); // in case an older file had wider bits
  return file;
}

export async function enrollAgent(config: AgentConfig, password: string, options: { force?: boolean } = {}): Promise<{ enrollment: Enrollment; file: string; replacedId: string | null }> {
  const answer = await callCollector<{ id: string; name: string; key: string; replacedId: string | null }>(collectorEndpoint(config), "POST", "/v1/agents/enroll", {
    body: { password, name: config.name, groups: config.groups, os: agentOs(), version: agentVersion(), force: options.force ?? false },
  });
  const enrollment: Enrollment = { id: answer.id, name: answer.name, key: answer.key, manager: config.manager, enrolledAt: new Date().toISOString() };
  return { enrollment, file: writeEnrollment(config.state_dir, enrollment), replacedId: answer.replacedId };
}

