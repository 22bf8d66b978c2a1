// The responder's pure core: which configured responses an alert triggers, on which agents, and what that
// does to each (agent, IP) block. No I/O: respond.ts reads the block state, asks here, writes what comes back.
//
//   alert --planResponses--> targets (agent, IP, response, command) + what was skipped and why
//   target + block state --decideHit--> new block | extended block | counted hit | replay | duplicate | stale
//
// Triggers follow Wazuh: a response fires when the alert's rule is in rulesId, OR its groups meet rulesGroup,
// OR its level is at least level. Each agent gets the first firing response whose command suits its OS (the
// use case binds firewall-drop and netsh to the same rule; Linux agents take the one, Windows the other).
import type { AllowReason } from "../../lib/allowList.js";
import type { AgentRecord } from "../../lib/agents.js";
import type { ActiveResponseConfig, ArCommand, ArResponse } from "../../lib/arConfig.js";
import { addCommandOf, blockableIp, commandId, type BlockState, type StoredBlock } from "../../lib/blocks.js";
import type { ActiveResponseCommand, Alert } from "../../lib/records.js";

export type SkipReason = "own_result" | "no_srcip" | "invalid_srcip" | "allow_listed" | "unknown_agent" | "no_command_for_os";

export interface Skip {
  reason: SkipReason;
  detail: string;
  agentId?: string;
}

export interface Target {
  agentId: string;
  ip: string;
  response: ArResponse;
  command: ArCommand;
}

export interface PlanContext {
  allowList: { covering(ip: string): { reason: AllowReason; entry: string } | null };
  /** The enrolled agents; needed only when a firing response has location all or defined-agent. */
  agents?: readonly Pick<AgentRecord, "id" | "os">[];
}

export interface Plan {
  targets: Target[];
  skipped: Skip[];
}

/** The enabled responses this alert's rule fires, in configuration order. */
export function firingResponses(alert: Alert, config: ActiveResponseConfig): ArResponse[] {
  if (config.disabled) return [];
  return config.responses.filter(
    (r) =>
      !r.disabled &&
      (r.rulesId.includes(alert.rule.id) || r.rulesGroup.some((g) => alert.rule.groups.includes(g)) || (r.level !== undefined && alert.rule.level >= r.level)),
  );
}

/** Whether planning these responses needs the agent registry (location all or defined-agent). */
export function needsAgents(responses: readonly ArResponse[]): boolean {
  return responses.some((r) => r.location !== "local");
}

/**
 * An alert about an active response itself (rules 650-658: the agent reporting a block or an unblock) carries
 * the blocked IP as srcip; answering it would extend the block for ever.
 */
export function isOwnResult(alert: Alert): boolean {
  return alert.location === "active-response" || alert.rule.groups.includes("active_response");
}

function suits(command: ArCommand, os: string | null): boolean {
  return command.os.length === 0 || os === null || command.os.includes(os);
}

export function planResponses(alert: Alert, config: ActiveResponseConfig, ctx: PlanContext): Plan {
  const responses = firingResponses(alert, config);
  const plan: Plan = { targets: [], skipped: [] };
  if (responses.length === 0) return plan;
  if (isOwnResult(alert)) {
    plan.skipped.push({ reason: "own_result", detail: `rule ${alert.rule.id} reports an active response; it never triggers one` });
    return plan;
  }
  const srcip = alert.fields.srcip;
  if (srcip === undefined || srcip === "") {
    plan.skipped.push({ reason: "no_srcip", detail: `rule ${alert.rule.id} fired on an event without srcip: nothing to block` });
    return plan;
  }
  const checked = blockableIp(srcip);
  if ("error" in checked) {
    plan.skipped.push({ reason: "invalid_srcip", detail: `srcip refused: ${checked.error}` });
    return plan;
  }
  const { ip } = checked;
  const allowed = ctx.allowList.covering(ip);
  if (allowed) {
    plan.skipped.push({ reason: "allow_listed", detail: `${ip} is never blocked: ${allowed.reason} (${allowed.entry})` });
    return plan;
  }
  const commands = new Map(config.commands.map((c) => [c.name, c]));
  const registry = new Map((ctx.agents ?? []).map((a) => [a.id, a]));
  const targeted = new Set<string>();
  const unsuited = new Map<string, string[]>();
  for (const response of responses) {
    // The schema guarantees the command exists.
    const command = commands.get(response.command)!;
    let agents: { id: string; os: string | null }[];
    if (response.location === "local") agents = [{ id: alert.agent.id, os: alert.agent.os }];
    else {
      if (!ctx.agents) throw new Error(`location ${response.location} needs the agent registry`);
      if (response.location === "all") agents = [...registry.values()].map((a) => ({ id: a.id, os: a.os }));
      else {
        agents = [];
        for (const id of response.agentIds) {
          const agent = registry.get(id);
          if (agent) agents.push({ id, os: agent.os });
          else plan.skipped.push({ reason: "unknown_agent", agentId: id, detail: `defined-agent ${id} is not enrolled` });
        }
      }
    }
    for (const agent of agents) {
      if (targeted.has(agent.id)) continue;
      if (!suits(command, agent.os)) {
        unsuited.set(agent.id, [...(unsuited.get(agent.id) ?? []), `${command.name} (${command.os.join(",")})`]);
        continue;
      }
      targeted.add(agent.id);
      unsuited.delete(agent.id);
      plan.targets.push({ agentId: agent.id, ip, response, command });
    }
  }
  for (const [agentId, tried] of unsuited) {
    if (!targeted.has(agentId)) plan.skipped.push({ reason: "no_command_for_os", agentId, detail: `agent ${agentId}: no firing response runs on its OS; tried ${tried.join(", ")}` });
  }
  return plan;
}

/** The response's timeouts by repeated-offender step: timeout, then each repeatedOffenders entry. */
export function timeoutsOf(response: ArResponse): number[] {
  return [response.timeout ?? 0, ...response.repeatedOffenders];
}

/** A hit extends a block only when it moves the end by at least this: a burst of lines is one extension. */
export const MIN_EXTENSION_MS = 1_000;
/** A seen mark outlives the block it made by this: a replay that late is stale anyway (see decideHit). */
export const SEEN_SLACK_MS = 60_000;

export type HitDecision =
  /** A replayed alert whose command is still the block's: publish that command again, unchanged. */
  | { kind: "replay"; command: ActiveResponseCommand }
  /** A replayed alert whose effect is already in the state and on the wire: nothing to do. */
  | { kind: "duplicate" }
  /** An alert older than the block it would make: acted on this late, the block would have ended already. */
  | { kind: "stale"; ageMs: number }
  /** Write `block` (compare-and-set against `expectedRev`), publish `command` if any, mark `seenId` as applied. */
  | { kind: "new" | "extend" | "count"; block: StoredBlock; expectedRev: number | null; command: ActiveResponseCommand | null; seenId: string; seenTtlMs: number };

/** The id of the add command an alert makes for a target: the same alert always makes the same one. */
export function hitCommandId(target: Pick<Target, "agentId" | "ip">, alert: Pick<Alert, "id">): string {
  return commandId(target.agentId, target.ip, "add", alert.id);
}

export interface HitInput {
  target: Target;
  alert: Alert;
  state: BlockState;
  now: number;
  /** When the alert was published (its Kafka timestamp): how late we are acting on it. */
  producedAt: number;
}

/**
 * One live block per (agent, IP). A new block lasts the step's timeout, the step being how many earlier blocks
 * of this IP on this agent are remembered (repeated offenders). A hit during a block extends it to now + the
 * block's step timeout, never shortening it and never stacking a second block; hits during a block do not
 * escalate, so a burst of requests that got in before the firewall rule did counts as one offence.
 */
export function decideHit({ target, alert, state, now, producedAt }: HitInput): HitDecision {
  const { agentId, ip, response, command } = target;
  const id = hitCommandId(target, alert);
  const block = state.block;
  if (state.seen) return block?.commandId === id ? { kind: "replay", command: addCommandOf(block) } : { kind: "duplicate" };
  const timeouts = timeoutsOf(response);
  const step = block ? block.step : Math.min(state.offences, timeouts.length - 1);
  const ttlSeconds = timeouts[Math.min(step, timeouts.length - 1)];
  const ttlMs = ttlSeconds * 1000;
  const ageMs = Math.max(0, now - producedAt);
  if (ageMs >= ttlMs) return { kind: "stale", ageMs };
  const seen = { seenId: id, seenTtlMs: ttlMs + SEEN_SLACK_MS };
  const expiresAt = now + ttlMs;
  if (!block) {
    const next: StoredBlock = {
      agentId, ip, program: command.program, ruleId: alert.rule.id, alertId: alert.id, commandId: id,
      createdAt: now, expiresAt, hits: 1, manual: false, step, ttlSeconds, commandCreatedAt: now, rev: 0,
    };
    return { kind: "new", block: next, expectedRev: null, command: addCommandOf(next), ...seen };
  }
  if (expiresAt < block.expiresAt + MIN_EXTENSION_MS) {
    return { kind: "count", block: { ...block, hits: block.hits + 1 }, expectedRev: block.rev, command: null, ...seen };
  }
  // The program stays the block's: switching it mid-block would leave the agent's first rule behind.
  const next: StoredBlock = { ...block, ruleId: alert.rule.id, alertId: alert.id, commandId: id, expiresAt, hits: block.hits + 1, ttlSeconds, commandCreatedAt: now };
  return { kind: "extend", block: next, expectedRev: block.rev, command: addCommandOf(next), ...seen };
}

/**
 * A one-shot command (timeoutAllowed: false): nothing to undo, so no block is kept. ttlSeconds is 0 and
 * expiresAt only bounds delivery to an agent that is offline; null when the alert is already that old.
 */
export function oneShotCommand(target: Target, alert: Alert, now: number, producedAt: number, deliverySeconds: number): ActiveResponseCommand | null {
  if (now - producedAt >= deliverySeconds * 1000) return null;
  return {
    id: commandId(target.agentId, target.ip, "run", target.command.program, alert.id),
    agentId: target.agentId,
    action: "add",
    program: target.command.program,
    ip: target.ip,
    ttlSeconds: 0,
    expiresAt: now + deliverySeconds * 1000,
    alertId: alert.id,
    ruleId: alert.rule.id,
    createdAt: now,
  };
}
