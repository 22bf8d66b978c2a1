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

/** The enrollment password, made (random, into the password file) when none is configured yet: enrollment opens. */
export function ensureEnrollmentPassword(config: TldConfig): string {
  return enrollmentPassword(config) ?? sharedSecret(enrollmentPasswordFile(config));
}

export function enrollmentPasswordFile(config: TldConfig): string {
  return config.collector.enrollmentPasswordFile || path.join(config.stateDir, "secrets", "enrollment.pass");
}

/** A dashboard secret: the configured value when set, else the file under <stateDir>/secrets (made on first use). */
export interface DashboardSecret {
  readonly value: string;
  /** Where it was read from, or null when it came from the configuration (TLD_* or the YAML file). */
  readonly file: string | null;
}

/** readOrCreate, for secrets two processes may make at once (`tld up` and the dashboard): the loser reads. */
function sharedSecret(file: string): string {
  try {
    return readOrCreate(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return readFileSync(file, "utf8").trim();
  }
}

export function dashboardSecretFile(config: TldConfig, which: "admin.pass" | "api.token" | "session.key"): string {
  return path.join(config.stateDir, "secrets", which);
}

/** The password of the dashboard user admin: dashboard.adminPassword (TLD_ADMIN_PASSWORD), else admin.pass. */
export function dashboardAdminPassword(config: TldConfig): DashboardSecret {
  if (config.dashboard.adminPassword) return { value: config.dashboard.adminPassword, file: null };
  const file = dashboardSecretFile(config, "admin.pass");
  return { value: sharedSecret(file), file };
}

/** The API's Bearer token (automation, `tld alerts`): dashboard.apiToken (TLD_API_TOKEN), else api.token. */
export function dashboardApiToken(config: TldConfig): DashboardSecret {
  if (config.dashboard.apiToken) return { value: config.dashboard.apiToken, file: null };
  const file = dashboardSecretFile(config, "api.token");
  return { value: sharedSecret(file), file };
}

/** The key that signs session cookies: kept in a file so sessions outlive a dashboard restart. */
export function dashboardSessionKey(config: TldConfig): string {
  return sharedSecret(dashboardSecretFile(config, "session.key"));
}
