// `tld agent enroll|run` (on an endpoint) and `tld agents ls|rm` (on the manager). The agent's logic lives in
// agents/; the registry in the collector. `tld agents` talks to the collector with the manager's own key.
import { mkdirSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { AgentConfigError, loadAgentConfig, type AgentConfig } from "../../agents/config.js";
import { enrollAgent, readEnrollment } from "../../agents/enroll.js";
import { acquireInstanceLock, AgentAlreadyRunning } from "../../agents/instanceLock.js";
import { startAgent } from "../../agents/run.js";
import type { AgentView } from "../../lib/agents.js";
import { callCollector, closeCollectorConnections, CollectorRefused, CollectorUnreachable } from "../../lib/collectorClient.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { localAgentKey } from "../../lib/secrets.js";
import { printJson, table, UserError } from "../output.js";

function agentConfig(file: string): AgentConfig {
  try {
    return loadAgentConfig(file);
  } catch (err) {
    if (err instanceof AgentConfigError) throw new UserError(err.message, 2);
    throw err;
  }
}

/** Collector failures as messages the user can act on. */
async function talking<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CollectorRefused || err instanceof CollectorUnreachable) throw new UserError(err.message);
    throw err;
  } finally {
    closeCollectorConnections();
  }
}

function readPassword(file: string | undefined): string {
  if (file) {
    try {
      const password = readFileSync(file, "utf8").split(/\r?\n/)[0].trim();
      if (password) return password;
    } catch (err) {
      throw new UserError(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    throw new UserError(`the password file ${file} is empty`);
  }
  if (process.env.TLD_ENROLLMENT_PASSWORD) return process.env.TLD_ENROLLMENT_PASSWORD;
  throw new UserError("give the enrollment password with --password-file FILE (or TLD_ENROLLMENT_PASSWORD)");
}

function manager() {
  const config = loadConfig();
  return { endpoint: { baseUrl: `http://${config.collector.host}:${config.collector.port}` }, key: localAgentKey(config) };
}

function ago(ms: number | null): string {
  if (ms === null) return "-";
  const s = Math.round((Date.now() - ms) / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command("agent").description("the endpoint agent: enroll with the manager, then tail and ship logs");

  agent
    .command("enroll")
    .description("ask the manager for an agent id and key (stored in state_dir, mode 0600)")
    .requiredOption("-c, --config <file>", "agent configuration (YAML)")
    .option("--password-file <file>", "file whose first line is the manager's enrollment password (else TLD_ENROLLMENT_PASSWORD)")
    .option("--force", "enroll again even if state_dir already holds a key; replaces an agent of the same name")
    .option("--json", "print the result as JSON (without the key)")
    .addHelpText(
      "after",
      `
Example agent.yml:
  manager: https://manager.example:1514
  name: ubuntu
  state_dir: /var/lib/tld-agent
  ca_file: /etc/tld-agent/manager-ca.pem     # optional: pin the manager's CA (HTTPS)
  localfile:
    - location: /var/log/apache2/access.log
      log_format: apache

Then: tld agent run --config agent.yml`,
    )
    .action(async (options: { config: string; passwordFile?: string; force?: boolean; json?: boolean }) => {
      const config = agentConfig(options.config);
      const password = readPassword(options.passwordFile);
      const existing = readEnrollment(config.state_dir);
      if (existing && !options.force) {
        throw new UserError(`already enrolled as agent ${existing.id} (${existing.name}); the key is in ${config.state_dir}. Use --force to enroll again`);
      }
      const { enrollment, file, replacedId } = await talking(() => enrollAgent(config, password, { force: options.force }));
      if (options.json) printJson({ id: enrollment.id, name: enrollment.name, manager: enrollment.manager, keyFile: file, replacedId });
      else console.log(`enrolled as agent ${enrollment.id} (${enrollment.name}); key stored in ${file}${replacedId ? ` (replaces agent ${replacedId})` : ""}`);
    });

  agent
    .command("run")
    .description("tail the configured files and ship their lines to the manager until stopped (SIGINT/SIGTERM)")
    .requiredOption("-c, --config <file>", "agent configuration (YAML)")
    .addHelpText(
      "after",
      `
Each localfile is tailed with file-system events and a polling fallback (poll_interval_ms), through rotation by
rename, copytruncate and truncation. Offsets are saved in state_dir only once the manager has acknowledged the
lines (or they are in the disk buffer), so a restart or a kill -9 re-sends at most the batch in flight and skips
nothing. A file seen for the first time is read from its end (only_future_events: true) unless told otherwise.

While the manager is unreachable, batches wait in state_dir/buffer (at most buffer_max_mb, default 100 MB; what
does not fit is dropped and counted in \`tld agents ls\`), then go out in order once it answers.

One agent per state_dir: a second \`tld agent run\` on the same state_dir asks the running one to stop (it saves
its offsets) and takes over, so no line is shipped twice.

As a service, start it as \`node --optimize-for-size bin/tld.js agent run ...\` (the README's units do): V8 then
keeps the heap smaller (about 70 MB peak RSS instead of 95 MB at 5,000 lines/s) for a little more CPU.

Tuning keys (defaults): batch_max_lines (5000), batch_max_bytes (1 MiB), batch_max_delay_ms (100: a lone line
leaves within that), notify_time (10 s between keepalives), max_line_bytes (64 KiB), only_future_events (true).`,
    )
    .action(async (options: { config: string }) => {
      const config = agentConfig(options.config);
      const enrollment = readEnrollment(config.state_dir);
      if (!enrollment) throw new UserError(`not enrolled yet: run \`tld agent enroll --config ${options.config} --password-file FILE\` first`);
      const log = createLogger("agent");
      mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
      const lock = await acquireInstanceLock(config.state_dir, log).catch((err: unknown) => {
        throw err instanceof AgentAlreadyRunning ? new UserError(err.message) : err;
      });
      const running = await startAgent(config, enrollment, log);
      const stop = (signal: string) => {
        log.info({ signal }, "stopping: sending what was read, saving offsets");
        void running.stop();
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
      await running.done.finally(() => lock.release());
      log.info("agent stopped");
    });

  const agents = program.command("agents").description("the manager's agent registry");

  agents
    .command("ls")
    .description("list enrolled agents with their status (active, disconnected, never_connected)")
    .option("--json", "print as JSON")
    .action(async (options: { json?: boolean }) => {
      const { endpoint, key } = manager();
      const { agents: list } = await talking(() => callCollector<{ agents: AgentView[] }>(endpoint, "GET", "/v1/agents", { key }));
      if (options.json) return printJson(list);
      if (list.length === 0) return console.log("no agents enrolled");
      const rows = [["ID", "NAME", "IP", "OS", "VERSION", "GROUPS", "STATUS", "LAST KEEPALIVE", "BUFFERED", "DROPPED"]];
      for (const a of list) rows.push([a.id, a.name, a.ip ?? "-", a.os ?? "-", a.version ?? "-", a.groups.join(",") || "-", a.status, ago(a.lastKeepalive), String(a.buffered), String(a.dropped)]);
      console.log(table(rows));
    });

  agents
    .command("rm")
    .description("remove an agent: its key stops working at once")
    .argument("<id>", "agent id, e.g. 001")
    .action(async (id: string) => {
      const { endpoint, key } = manager();
      await talking(() => callCollector(endpoint, "DELETE", `/v1/agents/${encodeURIComponent(id)}`, { key }));
      console.log(`removed agent ${id}; its key is revoked`);
    });
}
