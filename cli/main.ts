// `tld`: the single front door for users. Each command group lives in cli/commands/ and registers itself here.
import { Command } from "commander";
import { exitWithError } from "./output.js";

type Register = (program: Command) => void;

/**
 * Every command group: the top-level commands it defines and the module that registers them. Only the group
 * being run is loaded (all of them for `tld`, `tld help` or an unknown word), so a long-running
 * `tld agent run` holds the agent's code in memory, not Kafka's, the registry client's or the stack's.
 */
const GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ["up", "down", "status", "bootstrap"], load: async () => (await import("./commands/stack.js")).registerStackCommands },
  { commands: ["replay"], load: async () => (await import("./commands/replay.js")).registerReplayCommand },
  { commands: ["logtest"], load: async () => (await import("./commands/logtest.js")).registerLogtestCommand },
  { commands: ["lists"], load: async () => (await import("./commands/lists.js")).registerListsCommands },
  { commands: ["agent", "agents"], load: async () => (await import("./commands/agent.js")).registerAgentCommands },
  { commands: ["blocks"], load: async () => (await import("./commands/blocks.js")).registerBlocksCommands },
  { commands: ["alerts"], load: async () => (await import("./commands/alerts.js")).registerAlertsCommands },
  { commands: ["demo"], load: async () => (await import("./commands/demo.js")).registerDemoCommand },
];

const program = new Command("tld")
  .description("ThreatLockDown: spot known malicious actors in server logs and block them at the endpoint's firewall.")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

try {
  const word = process.argv[2];
  const chosen = GROUPS.filter((group) => group.commands.includes(word));
  for (const group of chosen.length > 0 ? chosen : GROUPS) (await group.load())(program);
  await program.parseAsync(process.argv);
} catch (err) {
  exitWithError(err);
}
