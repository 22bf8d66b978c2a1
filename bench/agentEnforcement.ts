// Active response, agent side, with the agent running inside a namespace lab's victim (as in
// test/active-response.test.ts) and its real nftables enforcer:
//   - command received -> rule in the kernel: manual blocks (lib/blocks.ts) delivered over the push channel; the
//     agent logs, for each, when the command arrived and how long until `nft` had committed the element
//     (appliedMs). Every element is then checked in the victim's ruleset.
//   - alert -> rule in the kernel: an alert for the victim's agent published on tld.alerts (as the matcher
//     publishes one), through the responder and the push channel to the agent's firewall;
//   - log line appended on the agent -> rule in the kernel: an access-log line from a listed address is appended
//     to the file the agent tails and travels the whole pipeline (collector, decoder, matcher rule 100100,
//     responder, collector push channel) back to the agent's firewall. The stack's responder runs with a
//     response for 100100 for the duration and gets its configuration back after.
// Bounded: a fixed number of samples, each waiting at most 15 s. Figures only, nothing asserted.
import { appendFileSync } from "node:fs";
import { openBlockControl } from "../lib/blocks.js";
import type { TldConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createLab, labUnavailable } from "../demo/lab.js";
import { nftBlocked, runAgentInVictim, startLabCollector } from "../demo/victim.js";
import { enrollVictimAgent } from "../test/harness/activeResponse.js";
import { ensureFirewallTools } from "../test/harness/firewall.js";
import { alertPublisher, testAlert, useResponderConfig } from "../test/harness/responder.js";
import { accessLine, tld } from "../test/harness/tools.js";
import { latencySummary } from "./stats.js";

const WARMUP = 5;

export type Latency = { p50: number; p99: number; samples: number };
export interface AgentEnforcementFigures {
  command_to_rule_ms?: Latency;
  alert_to_block_ms?: Latency;
  /** A line appended to the file the agent tails (no web server): the idle path, 60 samples. */
  file_line_to_block_ms?: Latency;
  agent_enforcement_note?: string;
}

export async function benchAgentEnforcement(config: TldConfig, samples = 60, say: (line: string) => void = () => undefined): Promise<AgentEnforcementFigures> {
  const unavailable = await labUnavailable();
  if (unavailable) {
    say(`agent enforcement bench skipped: ${unavailable}`);
    return { agent_enforcement_note: `skipped: ${unavailable}` };
  }
  await ensureFirewallTools(say);
  const lab = await createLab();
  const log = createLogger("bench-agent-enforcement", "warn");
  const cleanup: (() => Promise<unknown>)[] = [() => lab.destroy()];
  try {
    const collector = await startLabCollector(lab);
    cleanup.unshift(() => collector.stop());
    // The agent's default batching (100 ms), as a user runs it.
    const agent = await enrollVictimAgent(collector.baseUrl, "nftables", { batchMaxDelayMs: 100 });
    cleanup.unshift(() => tld("agents", "rm", agent.id).catch(() => undefined));
    const running = await runAgentInVictim(lab, agent);
    cleanup.unshift(() => running.stop());
    const control = await openBlockControl(config, log);
    cleanup.unshift(() => control.close());

    /** When the rule for `ip` went into the kernel (epoch ms) and how long after its command arrived. */
    const blocked = async (ip: string, from: number) => {
      const line = await running.logged(new RegExp(`"ip":"${ip.replace(/\./g, "\\.")}".*"msg":"blocked"`), 15_000, from);
      const { receivedAt, appliedMs } = JSON.parse(line) as { receivedAt: number; appliedMs: number };
      return { at: receivedAt + appliedMs, appliedMs };
    };

    const commandTimes: number[] = [];
    const commandIps: string[] = [];
    for (let i = 0; i < WARMUP + samples; i++) {
      const ip = `198.18.${(i >> 8) & 255}.${(i & 255) + 1}`;
      const from = running.output().length;
      await control.block({ agent: agent.id, ip, ttlSeconds: 300 });
      const { appliedMs } = await blocked(ip, from);
      commandIps.push(ip);
      if (i >= WARMUP) commandTimes.push(appliedMs);
      if ((i + 1) % 20 === 0) say(`command -> rule: ${i + 1} of ${WARMUP + samples}`);
    }
    const inKernel = new Set(await nftBlocked(lab));
    const missing = commandIps.filter((ip) => !inKernel.has(ip));
    if (missing.length > 0) throw new Error(`the agent logged blocks the victim's ruleset does not hold: ${missing.join(", ")}`);
    const figures: AgentEnforcementFigures = { command_to_rule_ms: latencySummary(commandTimes) };

    // The whole pipeline: a listed address's request in the agent's access log. A failure here (the stack's
    // responder busy restarting for another bench, say) keeps the figure above and says why.
    try {
      const responder = await useResponderConfig({ responses: [{ command: "firewall-drop", location: "local", rulesId: [100100], timeout: 300 }] });
      cleanup.unshift(() => responder.restore());
      figures.alert_to_block_ms = await alertToBlock();
      figures.file_line_to_block_ms = await lineToBlock();
    } catch (err) {
      figures.agent_enforcement_note = `alert / log line -> block not measured: ${(err as Error).message.split("\n")[0]}`;
      say(figures.agent_enforcement_note);
    }
    return figures;

    async function alertToBlock(): Promise<Latency> {
      const alerts = await alertPublisher();
      cleanup.unshift(() => alerts.close());
      const times: number[] = [];
      for (let i = 0; i < WARMUP + samples; i++) {
        const ip = `198.18.100.${i + 1}`;
        const from = running.output().length;
        const published = Date.now();
        await alerts.publish(testAlert(`bench-alert-block-${process.pid}-${i}:100100`, { id: agent.id, name: agent.name, os: "linux" }, ip, "100100"));
        const { at } = await blocked(ip, from);
        if (i >= WARMUP) times.push(at - published);
        if ((i + 1) % 20 === 0) say(`alert -> block: ${i + 1} of ${WARMUP + samples}`);
      }
      return latencySummary(times);
    }

    async function lineToBlock(): Promise<Latency> {
      const listed = Array.from({ length: WARMUP + samples }, (_, i) => `198.18.200.${i + 1}`);
      await tld("lists", "add", "blacklist-alienvault", ...listed);
      cleanup.unshift(() => tld("lists", "remove", "blacklist-alienvault", ...listed).catch(() => undefined));
      const lineTimes: number[] = [];
      for (const [i, ip] of listed.entries()) {
        const from = running.output().length;
        const appended = Date.now();
        appendFileSync(agent.logFile, accessLine(ip, i) + "\n");
        const { at } = await blocked(ip, from);
        if (i >= WARMUP) lineTimes.push(at - appended);
        if ((i + 1) % 20 === 0) say(`log line -> block: ${i + 1} of ${listed.length}`);
      }
      return latencySummary(lineTimes);
    }
  } finally {
    for (const step of cleanup) await step().catch((err: Error) => say(`cleanup: ${err.message}`));
  }
}
