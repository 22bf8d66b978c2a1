// `tld blocks ls|add|rm`: the active blocks on the agents, and manual block / unblock. The work is in
// lib/blocks.ts (the same calls the responder and the dashboard API make); this file is the user interface.
import type { Command } from "commander";
import { readAgents } from "../../lib/agents.js";
import { BlockError, openBlockControl, type BlockControl, type BlockView } from "../../lib/blocks.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { printJson, table, UserError } from "../output.js";

const HELP = `
A block drops every packet from one IP on one agent's firewall until its time is up; the agent lifts it then,
even if it lost contact with the manager. The responder makes blocks from alerts (the activeResponse section of
etc/tld.yaml); these commands show them and add or lift them by hand. There is one live block per agent and IP:
a new alert for a blocked IP extends its block, and \`tld blocks add\` on a blocked IP sets its time anew.

Addresses on the allow-list (loopback, the manager's own, activeResponse.allowList) are never blocked.

Examples:
  tld blocks ls                                  every active block, soonest to end first
  tld blocks ls --agent ubuntu --json
  tld blocks add ubuntu 203.0.113.9 --ttl 600    block for 10 minutes on the agent named ubuntu
  tld blocks add 002 2001:db8::66 --ttl 60 --program netsh
  tld blocks rm 001 203.0.113.9                  lift it now (and forget its earlier blocks)`;

/** "45s", "9m 30s", "2h 5m": what is left of a block, as a person reads it. */
export function formatTimeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

function parseTtl(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UserError(`--ttl takes whole seconds, e.g. --ttl 60 (got ${JSON.stringify(text)})`, 2);
  return Number(text);
}

/** Opens the block control from the configuration, runs fn, closes; unreachable parts and refusals become clear errors. */
async function withBlocks<T>(fn: (control: BlockControl) => Promise<T>): Promise<T> {
  const config = loadConfig();
  let control: Awaited<ReturnType<typeof openBlockControl>> | undefined;
  try {
    // kafkajs warns about its own settings on every connect; only errors belong on a user's terminal.
    control = await openBlockControl(config, createLogger("tld", "error"));
    return await fn(control);
  } catch (err) {
    if (err instanceof BlockError) throw new UserError(err.message);
    if (err instanceof Error && /^cannot reach /.test(err.message)) throw new UserError(err.message);
    throw err;
  } finally {
    await control?.close();
  }
}

function viewJson(block: BlockView) {
  return { ...block, timeLeftSeconds: Math.ceil(block.timeLeftMs / 1000) };
}

export function registerBlocksCommands(program: Command): void {
  const blocks = program.command("blocks").description("active blocks on the agents' firewalls: list, block an IP by hand, lift a block").addHelpText("after", HELP);

  blocks
    .command("ls")
    .description("list active blocks: agent, IP, program, rule, hits, time left")
    .option("--agent <agent>", "only this agent's (id or name)")
    .option("--json", "print as JSON (times in ms since the epoch; timeLeftMs and timeLeftSeconds)")
    .action(async (options: { agent?: string; json?: boolean }) => {
      await withBlocks(async (control) => {
        const agents = new Map((await readAgents(control.store.redis)).map((a) => [a.id, a]));
        let agentId: string | undefined;
        if (options.agent) {
          agentId = agents.has(options.agent) ? options.agent : [...agents.values()].find((a) => a.name === options.agent)?.id;
          if (!agentId) throw new UserError(`no agent ${JSON.stringify(options.agent)} is enrolled (see \`tld agents ls\`)`);
        }
        const list = await control.list({ agentId });
        if (options.json) return printJson(list.map(viewJson));
        if (list.length === 0) return console.log(agentId ? `no active block on agent ${agentId}` : "no active blocks");
        const rows = [["AGENT", "NAME", "IP", "PROGRAM", "RULE", "HITS", "TIME LEFT", "SINCE"]];
        for (const b of list) {
          rows.push([b.agentId, agents.get(b.agentId)?.name ?? "-", b.ip, b.program, b.manual && !b.ruleId ? "manual" : (b.ruleId ?? "-"), String(b.hits), formatTimeLeft(b.timeLeftMs), new Date(b.createdAt).toISOString()]);
        }
        console.log(table(rows));
      });
    });

  blocks
    .command("add")
    .description("block IP on AGENT for --ttl seconds (replaces the time of a block it already has)")
    .argument("<agent>", "agent id (001) or name")
    .argument("<ip>", "IPv4 or IPv6 address of one host")
    .requiredOption("--ttl <seconds>", "how long the block lasts, in seconds")
    .option("--program <name>", "active-response program the agent runs (default: netsh on Windows agents, else firewall-drop)")
    .option("--json", "print the block and the command as JSON")
    .action(async (agent: string, ip: string, options: { ttl: string; program?: string; json?: boolean }) => {
      const ttlSeconds = parseTtl(options.ttl);
      await withBlocks(async (control) => {
        const { block, command } = await control.block({ agent, ip, ttlSeconds, program: options.program });
        if (options.json) return printJson({ block: viewJson(block), command });
        console.log(`blocked ${block.ip} on agent ${block.agentId} with ${block.program} for ${formatTimeLeft(block.timeLeftMs)} (until ${new Date(block.expiresAt).toISOString()}; command ${command.id})`);
      });
    });

  blocks
    .command("rm")
    .description("lift the block of IP on AGENT now")
    .argument("<agent>", "agent id (001) or name")
    .argument("<ip>", "the blocked IP")
    .option("--json", "print the lifted block and the unblock command as JSON")
    .action(async (agent: string, ip: string, options: { json?: boolean }) => {
      await withBlocks(async (control) => {
        const { block, command } = await control.unblock({ agent, ip });
        if (options.json) return printJson({ block: viewJson(block), command });
        console.log(`unblocked ${block.ip} on agent ${block.agentId} (${formatTimeLeft(block.timeLeftMs)} were left; command ${command.id})`);
      });
    });
}
