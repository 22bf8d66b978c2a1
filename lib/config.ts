// One configuration for every service and the CLI: defaults < YAML file < TLD_* environment.
// The zod schema is the single source of truth: it validates, types, and documents (`tld config --help`).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { z } from "zod";
import { activeResponseSchema } from "./arConfig.js";

/** The repository (or installed package) root: the parent of lib/ once compiled to dist/lib. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The `tld` command of this installation, for the processes it starts (agents, tests). */
export const TLD_BIN = path.join(PACKAGE_ROOT, "bin", "tld.js");
/**
 * Node flags the agent runs under (the README's service units and every process we start): V8's
 * optimize-for-size keeps the heap small and collects sooner, 95 -> 72 MB peak RSS tailing 5,000 lines/s for
 * ~1.5 points more CPU. V8 reads it only at start-up, so it cannot be set from inside `tld agent run`.
 */
export const AGENT_NODE_FLAGS = ["--optimize-for-size"];
/**
 * Node flags the pipeline's services run under. Each event allocates short-lived strings and objects (Avro
 * decode, fields, records), and V8's default 16 MB young generation promoted much of a 2000-event chunk to the
 * old generation before it was dead: a 64 MB semi-space lets it die young (GC was 17 % of the matcher's profile).
 */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=64"];

const hostPort = (host: string, port: number) => ({
  host: z.string().default(host).describe("address to listen on (loopback unless you mean it)"),
  port: z.number().int().min(0).max(65535).default(port).describe("TCP port"),
});

export const configSchema = z
  .object({
    home: z.string().default(PACKAGE_ROOT).describe("manager home holding etc/ and ruleset/ (TLD_HOME)"),
    stateDir: z.string().default("").describe("runtime state, logs and caches; default <home>/.tld"),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1).default(["127.0.0.1:9092"]).describe("bootstrap brokers"),
        clientId: z.string().default("tld"),
        partitions: z.number().int().min(1).default(6).describe("partitions for topics created at startup"),
        replicationFactor: z.number().int().min(1).default(1),
        consumerGroupPrefix: z.string().default("tld"),
        consumeConcurrency: z
          .number()
          .int()
          .min(1)
          .default(6)
          .describe("partitions a stage works on at once (default: all of the default 6): overlaps one partition's round trips with another's CPU work"),
        fetchMinBytes: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe("a fetch waits for this much data (or fetchMaxWaitMs); 1: it returns as soon as a record is there, and under load it brings what came in while the last chunk was processed"),
        fetchMaxWaitMs: z.number().int().min(0).max(1000).default(500).describe("longest a fetch waits for fetchMinBytes: with fetchMinBytes 1 how often an idle consumer asks again (a record ends the wait at once); with more, the latency added per hop at low rates"),
        sessionTimeoutMs: z
          .number()
          .int()
          .min(6_000)
          .max(300_000)
          .default(10_000)
          .describe("a consumer silent this long is dropped from its group: how long a stage killed -9 holds up its replacement (heartbeats go every tenth of it)"),
      })
      .strict()
      .prefault({}),
    registry: z
      .object({
        url: z.string().url().default("http://127.0.0.1:8081/apis/ccompat/v7").describe("Confluent-compatible API"),
      })
      .strict()
      .prefault({}),
    redis: z.object({ url: z.string().default("redis://127.0.0.1:6379") }).strict().prefault({}),
    postgres: z
      .object({ url: z.string().default("postgres://postgres@127.0.0.1:5432/tld") })
      .strict()
      .prefault({}),
    http: z
      .object({
        headersTimeoutMs: z
          .number()
          .int()
          .min(500)
          .default(10_000)
          .describe("a client has this long to send a request's headers, else 408 and closed (slowloris)"),
        requestTimeoutMs: z
          .number()
          .int()
          .min(500)
          .default(60_000)
          .describe("a client has this long to send a whole request, body included, else 408 and closed: a 5 MB batch needs 0.7 Mbit/s"),
        idleTimeoutMs: z
          .number()
          .int()
          .min(500)
          .default(120_000)
          .describe("a connection with no traffic either way for this long is closed (open command channels get a ping every 15 s)"),
        keepAliveTimeoutMs: z.number().int().min(100).default(72_000).describe("how long a kept-alive connection may wait for its next request"),
        maxConnections: z
          .number()
          .int()
          .min(1)
          .default(10_000)
          .describe("connections one service holds at once; past it new ones are closed at once (each agent holds 1-2; mind `ulimit -n`)"),
      })
      .strict()
      .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, { message: "headersTimeoutMs cannot be longer than requestTimeoutMs", path: ["headersTimeoutMs"] })
      .prefault({})
      .describe("limits of every service's HTTP port (the collector's above all: agents and anyone who can reach it)"),
    collector: z
      .object({
        ...hostPort("127.0.0.1", 1514),
        agentKey: z
          .string()
          .min(16)
          .optional()
          .describe("static agent key accepted until enrollment lands (TLD_COLLECTOR_AGENT_KEY)"),
        bodyLimitBytes: z.number().int().min(1024).default(5 * 1024 * 1024),
        maxLinesPerBatch: z.number().int().min(1).default(10_000),
        maxLineBytes: z.number().int().min(64).default(64 * 1024),
        enrollmentPassword: z
          .string()
          .min(8)
          .optional()
          .describe("shared password agents enroll with (TLD_ENROLLMENT_PASSWORD); none configured: enrollment refused"),
        enrollmentPasswordFile: z
          .string()
          .default("")
          .describe("file holding the enrollment password when none is set directly; default <stateDir>/secrets/enrollment.pass, read at each enrollment"),
        requestsPerSecondPerAgent: z.number().int().min(1).default(200).describe("requests one agent (one key) may make per second"),
        enrollmentsPerMinute: z.number().int().min(1).default(60).describe("enrollment attempts allowed per client address per minute (password guessing)"),
        bulkQueueDelayMs: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe("bulk batches (tld replay) go in at a rate steered to hold the decoder, matcher and responder queues at about this wait in all, so live lines do not queue behind a replay; 0 turns pacing off"),
        agentDisconnectionSeconds: z
          .number()
          .int()
          .min(5)
          .default(60)
          .describe("an agent with no keepalive for this long is shown as disconnected"),
        tlsCertFile: z.string().optional().describe("PEM certificate: serve agents over HTTPS (with tlsKeyFile)"),
        tlsKeyFile: z.string().optional().describe("PEM private key of tlsCertFile"),
      })
      .strict()
      .prefault({}),
    decoder: z.object(hostPort("127.0.0.1", 9611)).strict().prefault({}),
    matcher: z
      .object({
        ...hostPort("127.0.0.1", 9612),
        alertLevel: z
          .number()
          .int()
          .min(0)
          .max(16)
          .default(3)
          .describe("rules of at least this level raise an Alert on tld.alerts (Wazuh's log_alert_level); lower ones are only counted"),
      })
      .strict()
      .prefault({}),
    ruleset: z
      .object({
        defaultRuleset: z
          .boolean()
          .default(true)
          .describe("load the stock decoders and rules shipped with ThreatLockDown (<package>/ruleset/) before the dirs below"),
        decoderDirs: z
          .array(z.string().min(1))
          .default(["etc/decoders"])
          .describe("decoder directories, relative to home, read in this order after the stock ones (Wazuh's <decoder_dir>)"),
        ruleDirs: z
          .array(z.string().min(1))
          .default(["etc/rules"])
          .describe("rule directories, relative to home, read in this order after the stock ones (Wazuh's <rule_dir>)"),
        decoderExclude: z.array(z.string().min(1)).default([]).describe("decoder file names to skip in every directory (Wazuh's <decoder_exclude>)"),
        ruleExclude: z.array(z.string().min(1)).default([]).describe("rule file names to skip in every directory (Wazuh's <rule_exclude>)"),
        lists: z
          .array(z.string().min(1))
          .default(["etc/lists"])
          .describe("list files, or directories of list files, relative to home (Wazuh's <list>); rules name a list by this path"),
      })
      .strict()
      .prefault({}),
    responder: z.object(hostPort("127.0.0.1", 9613)).strict().prefault({}),
    activeResponse: activeResponseSchema.prefault({}).describe("what the responder blocks, where and for how long (lib/arConfig.ts)"),
    dashboard: z
      .object({
        ...hostPort("127.0.0.1", 5601),
        adminPassword: z
          .string()
          .min(8)
          .optional()
          .describe("password of the dashboard user admin (TLD_ADMIN_PASSWORD); else generated into <stateDir>/secrets/admin.pass"),
        apiToken: z
          .string()
          .min(8)
          .optional()
          .describe("Bearer token for the API and `tld alerts` (TLD_API_TOKEN); else generated into <stateDir>/secrets/api.token"),
        retentionDays: z.number().int().min(1).default(90).describe("alerts older than this are deleted from the alert store"),
        sessionHours: z.number().int().min(1).max(24 * 30).default(12).describe("a login session lasts this long"),
        loginsPerMinute: z.number().int().min(1).default(10).describe("login attempts allowed per client address per minute (password guessing)"),
        maxPageSize: z.number().int().min(1).max(10_000).default(1_000).describe("most alerts one API page may hold"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TldConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Environment variables that map onto config keys. Arrays are comma-separated, numbers parsed.
 * Kept explicit (not derived from names) so a typo in an env var name is not silently a new key.
 */
export const ENV_KEYS: Record<string, string> = {
  TLD_HOME: "home",
  TLD_STATE_DIR: "stateDir",
  TLD_LOG_LEVEL: "logLevel",
  TLD_KAFKA_BROKERS: "kafka.brokers",
  TLD_KAFKA_PARTITIONS: "kafka.partitions",
  TLD_KAFKA_REPLICATION_FACTOR: "kafka.replicationFactor",
  TLD_KAFKA_GROUP_PREFIX: "kafka.consumerGroupPrefix",
  TLD_KAFKA_CONSUME_CONCURRENCY: "kafka.consumeConcurrency",
  TLD_KAFKA_FETCH_MIN_BYTES: "kafka.fetchMinBytes",
  TLD_KAFKA_FETCH_MAX_WAIT_MS: "kafka.fetchMaxWaitMs",
  TLD_KAFKA_SESSION_TIMEOUT_MS: "kafka.sessionTimeoutMs",
  TLD_REGISTRY_URL: "registry.url",
  TLD_REDIS_URL: "redis.url",
  TLD_POSTGRES_URL: "postgres.url",
  TLD_COLLECTOR_HOST: "collector.host",
  TLD_COLLECTOR_PORT: "collector.port",
  TLD_COLLECTOR_AGENT_KEY: "collector.agentKey",
  TLD_ENROLLMENT_PASSWORD: "collector.enrollmentPassword",
  TLD_ENROLLMENT_PASSWORD_FILE: "collector.enrollmentPasswordFile",
  TLD_COLLECTOR_REQUESTS_PER_SECOND: "collector.requestsPerSecondPerAgent",
  TLD_COLLECTOR_ENROLLMENTS_PER_MINUTE: "collector.enrollmentsPerMinute",
  TLD_COLLECTOR_BULK_QUEUE_DELAY_MS: "collector.bulkQueueDelayMs",
  TLD_AGENT_DISCONNECTION_SECONDS: "collector.agentDisconnectionSeconds",
  TLD_COLLECTOR_TLS_CERT: "collector.tlsCertFile",
  TLD_COLLECTOR_TLS_KEY: "collector.tlsKeyFile",
  TLD_DECODER_HOST: "decoder.host",
  TLD_DECODER_PORT: "decoder.port",
  TLD_MATCHER_HOST: "matcher.host",
  TLD_MATCHER_PORT: "matcher.port",
  TLD_MATCHER_ALERT_LEVEL: "matcher.alertLevel",
  TLD_RESPONDER_HOST: "responder.host",
  TLD_RESPONDER_PORT: "responder.port",
  TLD_AR_ALLOW_LIST: "activeResponse.allowList",
  TLD_AR_MANAGER_ADDRESSES: "activeResponse.managerAddresses",
  TLD_DASHBOARD_HOST: "dashboard.host",
  TLD_DASHBOARD_PORT: "dashboard.port",
  TLD_ADMIN_PASSWORD: "dashboard.adminPassword",
  TLD_API_TOKEN: "dashboard.apiToken",
  TLD_ALERT_RETENTION_DAYS: "dashboard.retentionDays",
  TLD_HTTP_HEADERS_TIMEOUT_MS: "http.headersTimeoutMs",
  TLD_HTTP_REQUEST_TIMEOUT_MS: "http.requestTimeoutMs",
  TLD_HTTP_IDLE_TIMEOUT_MS: "http.idleTimeoutMs",
  TLD_HTTP_KEEPALIVE_TIMEOUT_MS: "http.keepAliveTimeoutMs",
  TLD_HTTP_MAX_CONNECTIONS: "http.maxConnections",
};

const ARRAY_KEYS = new Set(["kafka.brokers", "activeResponse.allowList", "activeResponse.managerAddresses"]);

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function envValue(key: string, raw: string): unknown {
  if (ARRAY_KEYS.has(key)) return raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (/^-?\d+$/.test(raw) && !/(url|key|host|home|dir|password|file|token)$/i.test(key)) return Number(raw);
  return raw;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** YAML file; default $TLD_CONFIG, else <home>/etc/tld.yaml when it exists. */
  file?: string;
  overrides?: Record<string, unknown>;
}

/** Reads and validates the configuration; throws ConfigError naming every bad key at once. */
export function loadConfig(options: LoadConfigOptions = {}): TldConfig {
  const env = options.env ?? process.env;
  const home = env.TLD_HOME ?? PACKAGE_ROOT;
  const file = options.file ?? env.TLD_CONFIG ?? path.join(home, "etc", "tld.yaml");
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = YAML.parse(readFileSync(file, "utf8")) ?? {};
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("top level must be a mapping");
      raw = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`${file}: ${(err as Error).message}`]);
    }
  } else if (options.file ?? env.TLD_CONFIG) {
    throw new ConfigError([`config file ${file} does not exist`]);
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(raw, key, envValue(key, value));
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(raw, key, value);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const envByKey = Object.fromEntries(Object.entries(ENV_KEYS).map(([e, k]) => [k, e]));
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = [...issue.path, ...("keys" in issue ? issue.keys : [])].join(".") || "(top level)";
        const via = envByKey[key] ? ` (${envByKey[key]})` : "";
        return `${key}${via}: ${issue.message}`;
      }),
    );
  }
  const config = result.data;
  if (!config.stateDir) config.stateDir = path.join(config.home, ".tld");
  return config;
}
