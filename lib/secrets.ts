// Secrets the stack makes for itself on first start, kept 0600 under the state folder and never logged.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TldConfig } from "./config.js";

function readOrCreate(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * The collector's static agent key (until enrollment issues per-agent keys): TLD_COLLECTOR_AGENT_KEY or
 * collector.agentKey when configured, else one generated into <stateDir>/secrets/agent.key.
 */
export function localAgentKey(config: TldConfig): string {
  return config.collector.agentKey ?? readOrCreate(path.join(config.stateDir, "secrets", "agent.key"));
}

/**
 * The password agents enroll with: collector.enrollmentPassword (TLD_ENROLLMENT_PASSWORD) when set, else the
 * first line of collector.enrollmentPasswordFile (default <stateDir>/secrets/enrollment.pass, like Wazuh's
 * authd.pass) when it exists. Never generated: with neither, enrollment stays closed. Read on each call so the
 * file can be written or changed without restarting the collector.
 */
export function enrollmentPassword(config: TldConfig): string | null {
  if (config.collector.enrollmentPassword) return config.collector.enrollmentPassword;
  const file = enrollmentPasswordFile(config);
  if (!existsSync(file)) return null;
  const password = readFileSync(file, "utf8").split(/\r?\n/)[0].trim();
  return password.length > 0 ? password : null;
}

export function enrollmentPasswordFile(config: TldConfig): string {
  return config.collector.enrollmentPasswordFile || path.join(config.stateDir, "secrets", "enrollment.pass");
}
