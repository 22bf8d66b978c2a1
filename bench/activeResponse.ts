// Active response, manager side: from an alert published on tld.alerts to the command arriving on an agent's
// SSE channel (responder: Redis state + publish; collector: tld.ar.commands -> Redis -> push channel -> SSE).
// The agent side measures command -> rule in the kernel; together they make alert -> block.
// The stack's responder runs with a bench rule for the duration and gets its configuration back after.
import { performance } from "node:perf_hooks";
import { collectorBase, enrolledAgent } from "../test/harness/agent.js";
import { alertPublisher, SseClient, testAlert, useResponderConfig } from "../test/harness/responder.js";
import { tld } from "../test/harness/tools.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { latencySummary } from "./stats.js";

const RULE = "190701";
const WARMUP = 5;

export interface ActiveResponseFigures {
  alert_to_command_ms: { p50: number; p99: number; samples: number };
}

/** `samples` alerts one after another (each waits for its command, at most 10 s), after a few unmeasured ones. */
export async function benchAlertToCommand(samples = 100, say: (line: string) => void = () => undefined): Promise<ActiveResponseFigures> {
  const agent = await enrolledAgent(`bench-ar-${process.pid}-${Date.now() % 100_000}`);
  const { key } = JSON.parse(readFileSync(path.join(agent.stateDir, "agent.key"), "utf8")) as { key: string };
  const responder = await useResponderConfig({ responses: [{ command: "firewall-drop", location: "local", rulesId: [RULE], timeout: 60 }] });
  const alerts = await alertPublisher();
  const sse = await SseClient.open(collectorBase(), key);
  try {
    if (sse.status !== 200) throw new Error(`the agent's command channel answered ${sse.status}`);
    const times: number[] = [];
    for (let i = 0; i < WARMUP + samples; i++) {
      // A new IP each time: every sample is a new block, the common case.
      const ip = `198.19.${(i >> 8) & 255}.${(i & 255) + 1}`;
      // Listen before publishing: the command may arrive before the broker's acknowledgement does.
      const arrived = sse.waitFor(`for ${ip}`, (c) => c.ip === ip, 10_000);
      const started = performance.now();
      await alerts.publish(testAlert(`bench-ar-${process.pid}-${i}:${RULE}`, { id: agent.id, name: agent.name }, ip, RULE));
      await arrived;
      if (i >= WARMUP) times.push(performance.now() - started);
      if ((i + 1) % 25 === 0) say(`alert -> command: ${i + 1} of ${WARMUP + samples}`);
    }
    return { alert_to_command_ms: latencySummary(times) };
  } finally {
    await sse.close();
    await alerts.close();
    await responder.restore();
    await tld("agents", "rm", agent.id).catch(() => undefined);
  }
}
