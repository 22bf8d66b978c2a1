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
