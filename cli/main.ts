// `tld`: the single front door for users. Each command group lives in cli/commands/ and registers itself here.
import { Command } from "commander";
import { registerStackCommands } from "./commands/stack.js";
import { registerReplayCommand } from "./commands/replay.js";
import { registerLogtestCommand } from "./commands/logtest.js";
import { registerListsCommands } from "./commands/lists.js";
import { registerAgentCommands } from "./commands/agent.js";
import { exitWithError } from "./output.js";

const program = new Command("tld")
  .description("ThreatLockDown: spot known malicious actors in server logs and block them at the endpoint's firewall.")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerStackCommands(program);
registerReplayCommand(program);
registerLogtestCommand(program);
registerListsCommands(program);
registerAgentCommands(program);

program.parseAsync(process.argv).catch(exitWithError);
