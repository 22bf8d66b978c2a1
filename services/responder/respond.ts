// The responder's step for one alert: plan (policy.ts), then for each target read the block state in Redis,
// decide, and write it back with a compare-and-set, so several responder instances touching one block (location
// all) never lose a hit nor stack a block. What to publish comes back to the consume loop, which commits the
// alert only once the broker has the commands: state first, then commands, and a replayed alert republishes
// the command it made (decideHit's "replay") instead of making another.
import type { AgentRecord } from "../../lib/agents.js";
import type { ActiveResponseConfig } from "../../lib/arConfig.js";
import type { BlockStore, StoredBlock } from "../../lib/blocks.js";
import type { ActiveResponseCommand, Alert } from "../../lib/records.js";
import { decideHit, firingResponses, hitCommandId, needsAgents, oneShotCommand, planResponses, type PlanContext, type Skip, type Target } from "./policy.js";

export type Outcome = "new" | "extend" | "count" | "replay" | "duplicate" | "stale" | "one_shot";

export interface Response {
  commands: ActiveResponseCommand[];
  skipped: Skip[];
  /** What happened to each target, for logs and metrics. */
  outcomes: { target: Target; outcome: Outcome; commandId?: string }[];
}

export interface ResponderDeps {
  config: ActiveResponseConfig;
  store: BlockStore;
  allowList: PlanContext["allowList"];
  /** The enrolled agents (cached by the caller); read only for responses with location all or defined-agent. */
  agents: () => Promise<readonly AgentRecord[]>;
  now?: () => number;
}

/**
 * Compare-and-set attempts per target before the alert is retried as a whole. Contention on one block comes
 * from instances handling other agents' alerts for the same IP (location all): a few writers, rarely many.
 */
const CAS_ATTEMPTS = 50;
/** After a lost compare-and-set, wait a little (random, growing) so the writers of one block spread out. */
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 1 + attempt)));

export class BlockContention extends Error {
  constructor(target: Target) {
    super(`block of ${target.ip} on agent ${target.agentId} kept changing during ${CAS_ATTEMPTS} attempts`);
    this.name = "BlockContention";
  }
}

export function createResponder(deps: ResponderDeps): (alert: Alert, producedAt: number) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const { config, store } = deps;

  // The block this instance last wrote, per (agent, IP): the next hit decides against it and writes at once,
  // one Redis round trip instead of two (a flood of hits on one listed address is the responder's main work).
  // The write's compare-and-set on the revision catches any change made elsewhere (another instance, `tld
  // blocks rm`, a replayed alert already seen); then the state is read from Redis as before.
  const lastWritten = new Map<string, StoredBlock>();
  const LAST_WRITTEN_MAX = 10_000;

  async function hit(target: Target, alert: Alert, producedAt: number, out: Response): Promise<void> {
    if (!target.command.timeoutAllowed) {
      const command = oneShotCommand(target, alert, now(), producedAt, config.statelessDeliverySeconds);
      if (!command) return void out.outcomes.push({ target, outcome: "stale" });
      const recorded = await store.rememberOneShot(command, config.statelessDeliverySeconds * 1000);
      out.commands.push(recorded);
      return void out.outcomes.push({ target, outcome: "one_shot", commandId: recorded.id });
    }
    const key = `${target.agentId} ${target.ip}`;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const at = now();
      const known = attempt === 0 ? lastWritten.get(key) : undefined;
      const state = known && known.expiresAt > at ? { block: known, offences: 0, seen: false } : await store.read(target.agentId, target.ip, { candidateId: hitCommandId(target, alert), now: at });
      const decision = decideHit({ target, alert, state, now: at, producedAt });
      if (decision.kind === "replay") {
        out.commands.push(decision.command);
        return void out.outcomes.push({ target, outcome: "replay", commandId: decision.command.id });
      }
      if (decision.kind === "duplicate" || decision.kind === "stale") return void out.outcomes.push({ target, outcome: decision.kind });
      const written = await store.writeRevision(decision.block, {
        expectedRev: decision.expectedRev,
        seen: { id: decision.seenId, ttlMs: decision.seenTtlMs },
        newOffence: decision.kind === "new",
        offenderMemoryMs: config.offenderMemorySeconds * 1000,
        now: at,
      });
      if (written === "conflict" || written === "seen") lastWritten.delete(key);
      if (written === "conflict") {
        if (!known) await backoff(attempt); // a stale copy of ours is no contention: read again at once
        continue;
      }
      if (written === "seen") continue; // applied meanwhile by another instance: read again, it is a replay now
      if (lastWritten.size >= LAST_WRITTEN_MAX) lastWritten.clear();
      lastWritten.set(key, { ...decision.block, rev: written });
      if (decision.command) out.commands.push(decision.command);
      return void out.outcomes.push({ target, outcome: decision.kind, commandId: decision.command?.id });
    }
    throw new BlockContention(target);
  }

  return async (alert, producedAt) => {
    const out: Response = { commands: [], skipped: [], outcomes: [] };
    const responses = firingResponses(alert, config);
    if (responses.length === 0) return out;
    const plan = planResponses(alert, config, { allowList: deps.allowList, agents: needsAgents(responses) ? await deps.agents() : undefined });
    out.skipped = plan.skipped;
    for (const target of plan.targets) await hit(target, alert, producedAt, out);
    return out;
  };
}
