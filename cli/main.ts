// `tld`: the single front door for users. Each command group lives in cli/commands/ and registers itself here.
import { Command } from "commander";
import { registerStackCommands } from "./commands/stack.js";
import { registerReplayCommand } from "./commands/replay.js";
import { exitWithError } from "./output.js";

const program = new Command("tld")
  .description("ThreatLockDown: spot known malicious actors in server logs and block them at the endpoint's firewall.")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerStackCommands(program);
registerReplayCommand(program);

program.parseAsync(process.argv).catch(exitWithError);
