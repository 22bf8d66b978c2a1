// responder: tld.alerts → tld.ar.commands. Wiring only: the policy is in policy.ts, the per-alert step with
// its Redis compare-and-set in respond.ts (alerts about different addresses handled at once), the block state in lib/blocks.ts. The active-response section of
// the configuration is read once, at start: restart the responder to apply a change.
import { Redis } from "ioredis";
import client from "prom-client";
import { AllowList } from "../../lib/allowList.js";
import { readAgents, type AgentRecord } from "../../lib/agents.js";
import { BlockStore, commandRecords, shown } from "../../lib/blocks.js";
import { loadConfig } from "../../lib/config.js";
import { TransientError } from "../../lib/consume.js";
import type { ActiveResponseCommand, Alert } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import { createResponder } from "./respond.js";

const config = loadConfig();
const ar = config.activeResponse;
// Up to HANDLER_CONCURRENCY hits wait on Redis at once: auto-pipelining sends the commands issued in one tick in one
// write instead of a write (a system call) each, which was a fifth of the responder's CPU under a flood of hits.
const redis = new Redis(config.redis.url, { enableAutoPipelining: true });
redis.on("error", () => undefined); // reported through the failing commands, which retry the chunk

/** The registry, re-read at most every few seconds: location "all" should not cost a Redis scan per alert. */
const AGENTS_CACHE_MS = 5_000;
let agentsCache: { at: number; agents: readonly AgentRecord[] } | null = null;
async function agents(): Promise<readonly AgentRecord[]> {
  if (!agentsCache || Date.now() - agentsCache.at > AGENTS_CACHE_MS) agentsCache = { at: Date.now(), agents: await readAgents(redis) };
  return agentsCache.agents;
}

const respond = createResponder({ config: ar, store: new BlockStore(redis), allowList: new AllowList(ar), agents });

const ctx = await runStage<Alert>({
  name: "responder",
  input: TOPICS.alerts,
  outputs: [TOPICS.commands],
  fetch: "immediate",
  // Each hit waits on Redis (read, then compare-and-set): alerts about different addresses go at once, those
  // about one address in order, so a flood of alerts does not queue behind one round trip each.
  concurrencyKey: (alert) => alert.fields.srcip ?? "",
  makeHandler: (ctx, serdes) => {
    const out = serdes.get(TOPICS.commands) as TopicSerde<ActiveResponseCommand>;
    const commands = new client.Counter({ name: "tld_responder_commands_total", help: "Commands published, by action and program", labelNames: ["action", "program"], registers: [ctx.metrics] });
    const outcomes = new client.Counter({ name: "tld_responder_outcomes_total", help: "What each (agent, IP) hit did: new, extend, count, replay, duplicate, stale, one_shot", labelNames: ["outcome"], registers: [ctx.metrics] });
    const skipped = new client.Counter({ name: "tld_responder_skipped_total", help: "Firing responses not acted on, by reason (allow_listed, invalid_srcip, ...)", labelNames: ["reason"], registers: [ctx.metrics] });
    return async (alert, meta) => {
      let response;
      try {
        response = await respond(alert, meta.timestamp ?? alert.timestamp);
      } catch (err) {
        // Redis away or a block in contention: not the alert's fault; the chunk is retried, never dead-lettered.
        throw new TransientError(`block state unavailable: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      for (const skip of response.skipped) {
        skipped.inc({ reason: skip.reason });
        const fields = { alert: alert.id, rule: alert.rule.id, agent: skip.agentId ?? alert.agent.id, reason: skip.reason };
        // A refused srcip is reported loudly: someone may be trying to inject into a firewall command.
        if (skip.reason === "invalid_srcip") ctx.log.warn({ ...fields, srcip: shown(alert.fields.srcip ?? "") }, skip.detail);
        else ctx.log.info(fields, skip.detail);
      }
      for (const { target, outcome, commandId } of response.outcomes) {
        outcomes.inc({ outcome });
        // A hit only counted on a block already there (or a replayed alert already applied) changes nothing on the
        // agent: a flood from one blocked address would otherwise write a log line per alert (the counter has them).
        const level = outcome === "count" || outcome === "duplicate" ? "debug" : "info";
        ctx.log[level]({ alert: alert.id, rule: alert.rule.id, agent: target.agentId, ip: target.ip, program: target.command.program, outcome, command: commandId }, `active response: ${outcome}`);
      }
      for (const c of response.commands) commands.inc({ action: c.action, program: c.program });
      return commandRecords(out, response.commands);
    };
  },
});
ctx.onShutdown("redis", () => redis.quit().catch(() => redis.disconnect()));
ctx.log.info(
  { responses: ar.disabled ? 0 : ar.responses.filter((r) => !r.disabled).length, commands: ar.commands.map((c) => c.name), allowList: ar.allowList },
  ar.responses.length === 0 || ar.disabled ? "active response: no response configured; alerts are consumed and nothing is blocked" : "active response configured",
);
