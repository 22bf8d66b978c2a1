// `tld demo`: the use case "blocking a known malicious actor" on this machine (demo/usecase.ts does the work).
import type { Command } from "commander";
import { DemoError, runDemo } from "../../demo/usecase.js";
import { printJson, UserError } from "../output.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .summary("reproduce the use case: a reputation-listed attacker is blocked on its second request, let back after the TTL")
    .description(
      "Run the use case \"blocking a known malicious actor\" end to end on this machine, with real parts only " +
        "(needs root: it makes network namespaces and changes the victim's firewall).",
    )
    .option("--ttl <seconds>", "how long the block lasts (the use case's active-response timeout)", "60")
    .option("--json", "print the facts as one JSON object on stdout (the narration goes to stderr)")
    .addHelpText(
      "after",
      `
What it does:
  1. starts the manager if it is not running (tld up), and stops again what it started
  2. makes an attacker and a victim network namespace joined by veth, and runs Debian's Apache in the victim
     (apache2 and nftables are installed from Debian's packages when missing)
  3. imports an AlienVault-format .ipset list with the attacker's address appended, as blacklist-alienvault
     (or appends the address to the list already imported), and checks rule 100100 is in
     etc/rules/local_rules.xml exactly as the use case writes it (writing it when missing)
  4. restarts the responder with firewall-drop on rule 100100, location local, timeout --ttl
  5. enrolls an agent (demo-ubuntu) in the victim that tails Apache's access log and enforces with nftables
  6. request 1 from the attacker passes; the attacker is blocked in the victim's kernel; request 2 is dropped;
     the dashboard query rule.id:(651 OR 100100) finds the 100100 alert and the 651 block; after the TTL the
     kernel lifts the block, request 3 passes and 652 appears
Everything it made is removed on exit and on Ctrl-C; the responder gets its own configuration back.

--json prints: first_request_ok, second_request_blocked, after_ttl_request_ok, alerts (rule.id, agent.name,
data.srcip, ...), unblock_alerts, line_to_block_ms (Apache writing the line -> block in the kernel), and more.

Examples:
  sudo npx tld demo
  sudo npx tld demo --ttl 8 --json`,
    )
    .action(async (options: { ttl: string; json?: boolean }) => {
      const ttlSeconds = Number(options.ttl);
      // At least 5 s: a dropped request is given 3 s, and TCP's own retries must not outlast a shorter block.
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 5 || ttlSeconds > 3600) throw new UserError(`--ttl takes whole seconds from 5 to 3600, got "${options.ttl}"`);
      const say = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
      try {
        const result = await runDemo({ ttlSeconds, say });
        if (options.json) printJson(result);
        else {
          const verdict = result.first_request_ok && result.second_request_blocked && result.after_ttl_request_ok;
          say(
            verdict
              ? `use case reproduced: the attacker got one request through, was dropped for ${ttlSeconds} s (line -> block ${result.line_to_block_ms} ms), then let back`
              : "use case NOT reproduced: see the steps above",
          );
        }
        if (!(result.first_request_ok && result.second_request_blocked && result.after_ttl_request_ok)) process.exitCode = 1;
      } catch (err) {
        if (err instanceof DemoError) throw new UserError(`demo: ${err.message}`);
        throw err;
      }
    });
}
