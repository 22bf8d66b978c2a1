// Wiring of the agent's active response (used by agents/run.ts): the enforcer chosen by the configuration, the
// saved blocks, the responder, the push channel and its acknowledgements, and the queue that hands each result
// event to the agent's shipper (the same path, disk buffer included, as the tailed lines).
import { lookup } from "node:dns/promises";
import path from "node:path";
import type { CollectorEndpoint, ShippedEvent } from "../../lib/collectorClient.js";
import { parseNetwork } from "../../lib/ip.js";
import type { AgentConfig } from "../config.js";
import { ENFORCER_NAMES, type EnforcerName } from "../enforce/enforcer.js";
import { runProgram, type RunProgram } from "../enforce/exec.js";
import { chooseEnforcer, ENFORCERS } from "../enforce/registry.js";
import { Acker } from "./acks.js";
import { BlockStore } from "./blockState.js";
import { CommandChannel, type ChannelLog } from "./channel.js";
import { ActiveResponder, type ProtectedNetwork } from "./responder.js";

export const ACTIVE_RESPONSE_STATE_FILE = "active-response.json";

/** Never blocked on the agent: loopback, the unspecified address, and every address of the manager it talks to. */
export async function protectedNetworks(managerUrl: string, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<ProtectedNetwork[]> {
  const networks: ProtectedNetwork[] = [
    { network: parseNetwork("127.0.0.0/8")!, why: "it is a loopback address" },
    { network: parseNetwork("::1")!, why: "it is a loopback address" },
    { network: parseNetwork("0.0.0.0")!, why: "it is the unspecified address" },
    { network: parseNetwork("::")!, why: "it is the unspecified address" },
  ];
  const host = new URL(managerUrl).hostname.replace(/^\[|\]$/g, "");
  for (const address of await resolve(host).catch(() => [])) {
    const network = parseNetwork(address);
    if (network) networks.push({ network, why: `it is the manager's address (${host}); blocking it would cut this agent off` });
  }
  return networks;
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/** Hands result events to the shipper in order, a batch at a time, without making the responder wait. */
class ReportQueue {
  private readonly items: ShippedEvent[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly submit: (events: ShippedEvent[]) => Promise<unknown>,
    private readonly log: ChannelLog,
  ) {}

  push(event: ShippedEvent): void {
    this.items.push(event);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const batch = this.items.splice(0, 500);
      await this.submit(batch).catch((err: Error) => this.log.error({ events: batch.length, err: err.message }, "could not hand active-response results to the shipper"));
    }
  }

  async stop(): Promise<void> {
    while (this.running) await this.running;
  }
}

export interface ActiveResponse {
  responder: ActiveResponder;
  channel: CommandChannel;
  stop(): Promise<void>;
}

export interface ActiveResponseOptions {
  config: AgentConfig;
  agent: { id: string; name: string; key: string };
  endpoint: CollectorEndpoint;
  submit: (events: ShippedEvent[]) => Promise<unknown>;
  log: ChannelLog;
  /** How firewall tools are run (tests run them inside a network namespace). */
  run?: RunProgram;
}

/** Starts active response, or returns null when the configuration disables it. */
export async function startActiveResponse(options: ActiveResponseOptions): Promise<ActiveResponse | null> {
  const { config, agent, endpoint, log } = options;
  const settings = config.active_response;
  if (settings.disabled) {
    log.info({}, "active response is disabled in the agent configuration: commands are not received");
    return null;
  }
  const run = options.run ?? runProgram;
  const enforcer = await chooseEnforcer(settings.enforcer, run);
  const store = await BlockStore.open(path.join(config.state_dir, ACTIVE_RESPONSE_STATE_FILE), (m) => log.warn({}, m));
  const reports = new ReportQueue(options.submit, log);
  const responder = new ActiveResponder({
    enforcer,
    store,
    agent,
    report: (event) => reports.push(event),
    log,
    protectedNetworks: await protectedNetworks(config.manager),
    enforcerByName: (name) => ((ENFORCER_NAMES as readonly string[]).includes(name) ? ENFORCERS[name as EnforcerName](run) : null),
  });
  await responder.start();
  const acker = new Acker(endpoint, agent.key, log);
  const channel = new CommandChannel({
    endpoint,
    key: agent.key,
    log,
    onCommand: async ({ data }) => {
      const id = await responder.handle(data);
      if (id !== null) acker.ack(id);
    },
  });
  channel.start();
  log.info({ enforcer: enforcer.name, kernelTimeouts: enforcer.kernelTimeouts, inactive: responder.inactive, active: responder.activeBlocks().length }, "active response ready");
  return {
    responder,
    channel,
    async stop() {
      await channel.stop();
      await responder.stop();
      await acker.stop();
      await reports.stop();
    },
  };
}
