// A whole stack of its own for tests that break things (test/faults/): its own state dir, Kafka, registry, Redis
// and service ports, and its own database on the configured PostgreSQL server, all through configuration
// (TLD_* variables given to `tld up`), so killing a part here never touches the shared stack other tests and
// benchmarks use. stop() takes down everything it started and drops its database.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { loadConfig, TLD_BIN, type TldConfig } from "../../lib/config.js";
import { alive, cmdlineMatches, parsePidFile, readCmdline } from "../../lib/pidFile.js";
import { freePort } from "../../demo/victim.js";
import { pgTarget, quoteIdent, withDatabase } from "../../stack/postgres.js";
import { stackPaths, tailFile } from "../../stack/process.js";
import { artifactDirs, artifactPresent } from "../../stack/system.js";
import { stackVersions } from "../../stack/versions.js";
import { readTopicWithKcatAsync, type KcatRecord } from "./tools.js";

const run = promisify(execFile);

export interface IsolatedStackOptions {
  /** Short lowercase name: in the state dir's and the database's names. */
  name: string;
  /** More TLD_* settings (collector host, TLD_CONFIG, ...); the isolating ones below always win. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface StatusPart {
  name: string;
  state: string;
  healthy: boolean;
  pid: number | null;
  endpoint: string;
}

export interface IsolatedStack {
  /** The environment every command against this stack runs with. */
  readonly env: NodeJS.ProcessEnv;
  readonly config: TldConfig;
  readonly stateDir: string;
  /** `tld ...` against this stack; rejects on a non-zero exit (with stdout/stderr on the error). */
  tld(args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  status(): Promise<StatusPart[]>;
  pid(part: string): Promise<number | null>;
  /** The topic from `sinceMs` (message time) to its end, read with kcat without blocking the event loop. */
  readTopic(topic: string, sinceMs?: number): Promise<KcatRecord[]>;
  /** The end of a part's log, for failure messages. */
  logTail(part: string, lines?: number): string;
  stop(): Promise<void>;
}

async function portFree(port: number, host: string): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => server.once("error", () => resolve(false)).listen(port, host, () => resolve(true)));
  if (ok) await new Promise((r) => server.close(r));
  return ok;
}

/** Kafka takes two ports: the broker's and, next to it, its controller's. */
async function freePortPair(host: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host);
    if (port < 65535 && (await portFree(port + 1, host))) return port;
  }
  throw new Error("no two free ports in a row for an isolated Kafka");
}

export async function isolatedStack(options: IsolatedStackOptions): Promise<IsolatedStack> {
  if (!/^[a-z][a-z0-9]{0,15}$/.test(options.name)) throw new Error(`isolated stack name must be short lowercase letters/digits, got ${options.name}`);
  const log = options.log ?? ((line: string) => console.log(`# ${line}`));
  const shared = loadConfig();
  const stateDir = mkdtempSync(path.join(tmpdir(), `tld-${options.name}-`));
  // The JVM parts' jars are the same whatever the stack: reuse the shared stack's Maven fetch when it is there.
  const versions = stackVersions();
  const sharedDirs = artifactDirs(stackPaths(shared.stateDir), versions);
  if (artifactPresent(sharedDirs, "kafka") && artifactPresent(sharedDirs, "apicurio")) {
    symlinkSync(stackPaths(shared.stateDir).cache, stackPaths(stateDir).cache);
  }
  const host = "127.0.0.1";
  const kafkaPort = await freePortPair(host);
  const database = `tld_${options.name}_${process.pid}`;
  const postgresUrl = withDatabase(shared.postgres.url, database);
  const ports: Record<string, number> = {};
  for (const name of ["registry", "redis", "collector", "decoder", "matcher", "responder", "dashboard"]) ports[name] = await freePort(host);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    TLD_STATE_DIR: stateDir,
    TLD_KAFKA_BROKERS: `${host}:${kafkaPort}`,
    TLD_REGISTRY_URL: `http://${host}:${ports.registry}/apis/ccompat/v7`,
    TLD_REDIS_URL: `redis://${host}:${ports.redis}`,
    TLD_POSTGRES_URL: postgresUrl,
    TLD_COLLECTOR_PORT: String(ports.collector),
    TLD_DECODER_PORT: String(ports.decoder),
    TLD_MATCHER_PORT: String(ports.matcher),
    TLD_RESPONDER_PORT: String(ports.responder),
    TLD_DASHBOARD_PORT: String(ports.dashboard),
  };
  const config = loadConfig({ env });

  const tld = (args: string[], timeoutMs = 240_000) =>
    run(process.execPath, [TLD_BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
  const status = async () => {
    // `tld status` exits 1 when a part is down, still printing the JSON.
    const out = await tld(["status", "--json"], 60_000).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? "");
    return (JSON.parse(out) as { parts: StatusPart[] }).parts;
  };
  const logFile = (part: string) => path.join(stackPaths(stateDir).logs, `${part}.log`);

  const stop = async () => {
    let clean = true;
    await tld(["down"], 180_000).catch((err: Error & { stderr?: string }) => {
      clean = false;
      log(`isolated stack ${options.name}: tld down failed (${err.stderr || err.message}); killing what is left of it`);
      killLeftovers(stateDir, log);
    });
    await dropDatabase(postgresUrl).catch((err: Error) => log(`isolated stack ${options.name}: could not drop database ${database}: ${err.message}`));
    if (!clean || process.env.TLD_KEEP_ISOLATED_STATE) log(`isolated stack ${options.name}: state and logs kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  };

  log(`isolated stack ${options.name}: starting in ${stateDir} (Kafka ${env.TLD_KAFKA_BROKERS}, Redis ${env.TLD_REDIS_URL}, database ${database})`);
  const t0 = Date.now();
  try {
    await tld(["up"], 300_000);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    await stop();
    throw new Error(`isolated stack ${options.name} did not start: ${e.stderr || e.message}`, { cause: err });
  }
  log(`isolated stack ${options.name}: up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  return {
    env,
    config,
    stateDir,
    tld,
    status,
    pid: async (part) => (await status()).find((p) => p.name === part)?.pid ?? null,
    readTopic: (topic, sinceMs = 0) => readTopicWithKcatAsync(topic, sinceMs, config.kafka.brokers),
    logTail: (part, lines = 30) => (existsSync(logFile(part)) ? tailFile(logFile(part), lines) : `(no log at ${logFile(part)})`),
    stop,
  };
}

/**
 * When `tld down` itself fails (a broken build, say): SIGKILL each process of this stack's pid files, but only
 * one that still runs the recorded argv AND carries this state dir in its environment. The shared stack's
 * services have the same argv; the environment is what tells them apart.
 */
function killLeftovers(stateDir: string, log: (line: string) => void): void {
  const runDir = stackPaths(stateDir).run;
  const files = existsSync(runDir) ? readdirSync(runDir).filter((f) => f.endsWith(".pid")) : [];
  for (const file of files) {
    const record = parsePidFile(readFileSync(path.join(runDir, file), "utf8"));
    if (!record || !alive(record.pid) || !cmdlineMatches(record.argv, readCmdline(record.pid))) continue;
    let environ = "";
    try {
      environ = readFileSync(`/proc/${record.pid}/environ`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    if (!environ.split("\0").includes(`TLD_STATE_DIR=${stateDir}`)) continue;
    process.kill(record.pid, "SIGKILL");
    log(`isolated stack: killed ${file.replace(/\.pid$/, "")} (pid ${record.pid})`);
  }
}

async function dropDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres"), connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    // FORCE: a dashboard killed -9 may leave a session the server has not noticed yet.
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(pgTarget(url).database)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
