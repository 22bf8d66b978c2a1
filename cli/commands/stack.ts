// `tld up`, `tld down`, `tld status`: the local stack (Kafka, schema registry, Redis, PostgreSQL and the five
// services) on this machine, without Docker. The logic lives in stack/; this file is only the user interface.
import type { Command } from "commander";
import { bootstrapPipeline } from "../../lib/bootstrap.js";
import { loadConfig, type TldConfig } from "../../lib/config.js";
import { PART_NAMES, type PartStatus } from "../../stack/part.js";
import { StackError, stackPaths } from "../../stack/process.js";
import { createContext, parseOnly, stackDown, stackStatus, stackUp } from "../../stack/stack.js";
import { stackVersions } from "../../stack/versions.js";
import { connectHost, formatHostPort } from "../../stack/net.js";
import { dashboardAdminPassword, dashboardApiToken } from "../../lib/secrets.js";
import { printJson, table, UserError } from "../output.js";

/** Stack failures are things the user can fix (install Java, free a port, read a log): no stack trace. */
async function asUserErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StackError) throw new UserError(err.message);
    throw err;
  }
}

const say = (line: string) => process.stderr.write(`tld: ${line}\n`);

/** Where the dashboard's login comes from (the file the password is in, never the password itself). */
function dashboardLogin(config: TldConfig): string {
  const password = dashboardAdminPassword(config);
  const token = dashboardApiToken(config);
  const url = `http://${formatHostPort({ host: connectHost(config.dashboard.host), port: config.dashboard.port })}`;
  return (
    `dashboard: ${url} — user admin, password ${password.file ? `in ${password.file}` : "from TLD_ADMIN_PASSWORD (dashboard.adminPassword)"}; ` +
    `API token ${token.file ? `in ${token.file}` : "from TLD_API_TOKEN (dashboard.apiToken)"}`
  );
}

function logsDir(): string {
  try {
    return stackPaths(loadConfig().stateDir).logs;
  } catch {
    return "<stateDir>/logs";
  }
}

function versionsText(): string {
  try {
    const v = stackVersions();
    return `Kafka ${v.kafka}, Apicurio Registry ${v.apicurio}`;
  } catch {
    return "Kafka and Apicurio Registry";
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The stack's tables are indented under the lines that introduce them. */
const indentedTable = (rows: string[][]): string => table(rows).replace(/^/gm, "  ");

function stateWord(s: PartStatus): string {
  return s.state === "stopped" ? "stopped" : s.healthy ? s.state : `${s.state}, unhealthy`;
}

const ONLY_HELP = `comma-separated parts (${PART_NAMES.join(", ")}) or groups (infra, services, all)`;

export function registerStackCommands(program: Command): void {
  program
    .command("up")
    .summary("start the local stack (Kafka, registry, Redis, PostgreSQL, services) in the background")
    .description(
      "Start everything ThreatLockDown needs on this machine, in the background, and return once every part is healthy.",
    )
    .option("--only <parts>", ONLY_HELP)
    .addHelpText(
      "after",
      () => `
What it starts (each only if it is not already running):
  redis      the machine's Redis if redis.url answers PING (left alone), else a redis-server of ours
  postgres   the machine's PostgreSQL if postgres.url connects (left alone), else a private cluster
             from Debian's binaries; the URL's database is created if missing
  kafka      a single-node KRaft Kafka at kafka.brokers[0] (controller on the next port)
  registry   Apicurio Registry, Confluent-compatible API at registry.url (schemas in an H2 file under data/registry)
             (${versionsText()}: fetched once with Maven into <stateDir>/cache)
  then       topics and schemas (idempotent), then collector, decoder, matcher, responder, dashboard

Needs: Java 17 (Kafka) and Java 21+ (the registry), Maven on first run; redis-server and postgresql
are installed with apt-get when missing and you are root.
Logs: ${logsDir()}/<part>.log (Kafka: kafka.log, JVM output in kafka.out); pid files in run/, data in data/.
Running \`tld up\` again starts only what is missing; \`tld down\` stops what it started.

Examples:
  tld up
  tld up --only infra            # Kafka, registry, Redis, PostgreSQL without the services
  TLD_KAFKA_BROKERS=127.0.0.1:19092 tld up --only kafka`,
    )
    .action(async (opts: { only?: string }) =>
      asUserErrors(async () => {
        const config: TldConfig = loadConfig();
        const ctx = createContext(config, say);
        const only = parseOnly(opts.only);
        const report = await stackUp(ctx, only);
        if (report.alreadyRunning) {
          process.stdout.write(`everything is already running (${only.join(", ")}); nothing to do\n`);
        }
        const rows = report.results.map((r) => [
          r.status.name,
          r.started ? `started in ${secs(r.ms)}` : r.status.state === "external" ? "external (not ours)" : "already running",
          r.status.pid ? `pid ${r.status.pid}` : "",
          r.status.endpoint,
        ]);
        process.stdout.write(indentedTable(rows) + "\n");
        if (!report.alreadyRunning) {
          process.stdout.write(`all healthy in ${secs(report.totalMs)}; logs in ${ctx.paths.logs}; stop with \`tld down\`\n`);
        }
        if (report.results.some((r) => r.status.name === "dashboard")) process.stdout.write(dashboardLogin(config) + "\n");
      }),
    );

  program
    .command("down")
    .summary("stop what `tld up` started")
    .description(
      "Stop the parts `tld up` started, services first, infrastructure last. The machine's own Redis or PostgreSQL, and any process tld did not start, are never touched. Data (Kafka topics, the private PostgreSQL cluster) stays in <stateDir>/data.",
    )
    .option("--only <parts>", ONLY_HELP)
    .action(async (opts: { only?: string }) =>
      asUserErrors(async () => {
        const ctx = createContext(loadConfig(), say);
        const report = await stackDown(ctx, parseOnly(opts.only));
        process.stdout.write(report.stopped.length ? `stopped: ${report.stopped.join(", ")}\n` : "nothing of ours was running\n");
        for (const s of report.leftAlone) process.stdout.write(`left running (not started by tld): ${s.name} at ${s.endpoint}\n`);
      }),
    );

  program
    .command("bootstrap")
    .summary("create the topics and register the schemas (idempotent)")
    .description(
      "Create the pipeline's topics (kafka.partitions each) and register each topic's schema under <topic>-value with BACKWARD compatibility, against the configured Kafka and registry. `tld up` does this itself; use it when Kafka and the registry run elsewhere (docker compose, a cluster). Running it twice changes nothing.",
    )
    .action(async () =>
      asUserErrors(async () => {
        await bootstrapPipeline(loadConfig(), { info: (fields, msg) => process.stdout.write(`${msg ?? ""} ${JSON.stringify(fields)}\n`) });
      }),
    );

  program
    .command("status")
    .summary("show each part of the local stack: endpoint, managed/external/stopped, health, pid")
    .description(
      "Show each part of the local stack. managed: started by `tld up`; external: answering but not ours; stopped: nothing answers. Exits 0 only when every part is healthy.",
    )
    .option("--json", 'one JSON document: {"parts":[{"name","endpoint","state","managed","healthy","pid"}...],"healthy"}')
    .option("--only <parts>", ONLY_HELP)
    .addHelpText("after", () => `\nLogs: ${logsDir()}/<part>.log`)
    .action(async (opts: { json?: boolean; only?: string }) =>
      asUserErrors(async () => {
        const ctx = createContext(loadConfig(), say);
        const report = await stackStatus(ctx, parseOnly(opts.only));
        if (opts.json) {
          printJson(report);
        } else {
          const rows = [["PART", "STATE", "HEALTHY", "PID", "ENDPOINT"]];
          for (const s of report.parts) {
            rows.push([s.name, stateWord(s), s.healthy ? "yes" : "no", s.pid ? String(s.pid) : "-", s.endpoint + (s.detail ? `  (${s.detail})` : "")]);
          }
          process.stdout.write(indentedTable(rows) + "\n");
        }
        if (!report.healthy) process.exitCode = 1;
      }),
    );
}
