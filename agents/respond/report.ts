// Results back to the manager: one line per block, unblock or failure, in the layout of Wazuh's active-response
// log, which the stock decoder ar_log_json and rules 650-659 read:
//   2026/12/04 14:35:02 active-response/bin/firewall-drop: {"version":1,"origin":{...},"command":"add","parameters":{...}}
// A firewall that cannot act at all is written as text ("... firewall is inactive: <reason>", rule 658) with the
// command's details as a JSON tail, so the alert still carries the address and the command.
import { createHash } from "node:crypto";
import type { ShippedEvent } from "../../lib/collectorClient.js";

export const AR_LOCATION = "active-response";
export const AR_LOG_FORMAT = "ar";

export interface ArResult {
  /** Absent only for the report that the firewall cannot act at all, made when the agent starts. */
  command?: "add" | "delete";
  /** The program the manager named (firewall-drop, netsh, ...); null when it could not be read. */
  program: string | null;
  ip: string | null;
  commandId: string | null;
  alertId: string | null;
  ruleId: string | null;
  enforcer: string | null;
  ttlSeconds?: number;
  /** delete only: why the block ended (expired, unblocked by a command, ...). */
  reason?: string;
  error?: string;
}

/** Wazuh's timestamp: local time, YYYY/MM/DD HH:MM:SS. */
export function arTimestamp(at: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}/${p(at.getMonth() + 1)}/${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
}

/** The program in the line; a command whose program could not be read is reported under the agent's own name. */
function programName(result: ArResult): string {
  return result.program ?? "tld-agent";
}

export function formatArLine(result: ArResult, agentName: string, at: Date): string {
  const alert: Record<string, unknown> = {};
  if (result.alertId !== null) alert.id = result.alertId;
  if (result.ruleId !== null) alert.rule = { id: result.ruleId };
  if (result.ip !== null) alert.data = { srcip: result.ip };
  const parameters: Record<string, unknown> = { program: `active-response/bin/${programName(result)}`, alert, extra_args: [] };
  if (result.commandId !== null) parameters.command_id = result.commandId;
  if (result.enforcer !== null) parameters.enforcer = result.enforcer;
  if (result.ttlSeconds !== undefined) parameters.ttl_seconds = result.ttlSeconds;
  if (result.reason !== undefined) parameters.reason = result.reason;
  if (result.error !== undefined) parameters.error = result.error;
  const body = { version: 1, origin: { name: agentName, module: "tld-agent" }, command: result.command ?? "add", parameters };
  return `${arTimestamp(at)} active-response/bin/${programName(result)}: ${JSON.stringify(body)}`;
}

export function formatInactiveLine(result: ArResult, reason: string, at: Date): string {
  const detail: Record<string, unknown> = {};
  if (result.command !== undefined) detail.command = result.command;
  if (result.ip !== null) detail.srcip = result.ip;
  if (result.commandId !== null) detail.command_id = result.commandId;
  if (result.alertId !== null) detail.alert_id = result.alertId;
  if (result.ruleId !== null) detail.rule_id = result.ruleId;
  if (result.enforcer !== null) detail.enforcer = result.enforcer;
  // One line: a reason from a tool's output must not start a second one.
  return `${arTimestamp(at)} active-response/bin/${programName(result)}: firewall is inactive: ${reason.replace(/[\r\n]+/g, " ")} ${JSON.stringify(detail)}`;
}

/**
 * The event that carries a line. Its id is stable for one outcome of one command (a re-send after a crash is
 * counted once downstream) and short enough for the collector whatever the command id is.
 */
export function arEvent(agentId: string, outcome: string, message: string, at: number): ShippedEvent {
  const digest = createHash("sha256").update(outcome).digest("hex").slice(0, 32);
  return { id: `${agentId}-ar-${digest}`, location: AR_LOCATION, logFormat: AR_LOG_FORMAT, message, collectedAt: at };
}
