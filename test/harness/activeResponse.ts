// The full active-response path in a namespace lab, for the integration tests and the bench: an agent enrolled
// with the lab's collector (demo/victim.ts starts it and runs the agent inside the victim) and a probe of the
// victim's iptables.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EnforcerName } from "../../agents/enforce/enforcer.js";
import type { Lab } from "../../demo/lab.js";
import { testEnrollmentPassword } from "./agent.js";
import { tld } from "./tools.js";

export interface VictimAgent {
  id: string;
  name: string;
  dir: string;
  configFile: string;
  logFile: string;
}

/**
 * An agent enrolled with the lab collector, configured with the given enforcer (its files in a temp folder).
 * `password`: the enrollment password of another manager than the configured one (an isolated stack's).
 */
export async function enrollVictimAgent(collectorUrl: string, enforcer: EnforcerName, options: { name?: string; batchMaxDelayMs?: number; password?: string } = {}): Promise<VictimAgent> {
  const name = options.name ?? `victim-${enforcer}-${process.pid}-${Date.now() % 100_000}`;
  const dir = mkdtempSync(path.join(tmpdir(), "tld-victim-"));
  const logFile = path.join(dir, "access.log");
  writeFileSync(logFile, "");
  const configFile = path.join(dir, "agent.yml");
  writeFileSync(
    configFile,
    [
      `manager: ${collectorUrl}`,
      `name: ${name}`,
      `state_dir: ${path.join(dir, "state")}`,
      `batch_max_delay_ms: ${options.batchMaxDelayMs ?? 20}`,
      "localfile:",
      `  - location: ${logFile}`,
      "    log_format: apache",
      "active_response:",
      `  enforcer: ${enforcer}`,
      "",
    ].join("\n"),
  );
  const pw = path.join(dir, "pw");
  writeFileSync(pw, (options.password ?? testEnrollmentPassword()) + "\n", { mode: 0o600 });
  const { stdout } = await tld("agent", "enroll", "--config", configFile, "--password-file", pw, "--json");
  return { id: (JSON.parse(stdout) as { id: string }).id, name, dir, configFile, logFile };
}

/** Whether the victim's iptables holds the agent's DROP rule for the address in INPUT. */
export async function iptablesBlocks(lab: Lab, ip: string): Promise<boolean> {
  return (await lab.exec(lab.victim, "iptables", ["-S", "INPUT"])).stdout.includes(`-A INPUT -s ${ip}/32 -m comment --comment tld-agent -j DROP`);
}
