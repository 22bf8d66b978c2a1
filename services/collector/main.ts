// collector: the agents' only door. Wiring only; validation lives in batch.ts, callers in auth.ts, the agent
// registry in registry.ts, routes in ingest.ts and agentRoutes.ts; active-response delivery (the agents' push
// channel fed from tld.ar.commands) in commandStore.ts, commandChannel.ts and commandFeed.ts.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import client from "prom-client";
import { createKafka, Publisher } from "../../lib/kafka.js";
import type { ActiveResponseCommand, DeadLetter, RawEvent } from "../../lib/records.js";
import { enrollmentPassword, localAgentKey } from "../../lib/secrets.js";
import { createRegistryClient, TopicSerde } from "../../lib/serde.js";
import { BulkGate } from "../../lib/pace.js";
import { createService, listen } from "../../lib/service.js";
import { retry } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import { registerAgentRoutes } from "./agentRoutes.js";
import { registerAuth } from "./auth.js";
import { CommandHub, registerCommandRoutes } from "./commandChannel.js";
import { startCommandFeed } from "./commandFeed.js";
import { CommandStore } from "./commandStore.js";
import { registerIngest } from "./ingest.js";
import { AgentRegistry } from "./registry.js";

const ctx = createService("collector", {
  bodyLimit: (c) => c.collector.bodyLimitBytes,
  // HTTPS when both a certificate and its key are configured; agents pin the CA with ca_file.
  tls: (c) => {
    const { tlsCertFile, tlsKeyFile } = c.collector;
    if (!tlsCertFile && !tlsKeyFile) return null;
    if (!tlsCertFile || !tlsKeyFile) throw new Error("collector.tlsCertFile (TLD_COLLECTOR_TLS_CERT) and collector.tlsKeyFile (TLD_COLLECTOR_TLS_KEY) go together");
    return { cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile) };
  },
});
const { config, log } = ctx;
const schemaRegistry = createRegistryClient(config.registry.url);
const raw = await retry(() => new TopicSerde<RawEvent>(schemaRegistry, TOPICS.raw).init(), log, "schema for tld.events.raw");
const commands = await retry(() => new TopicSerde<ActiveResponseCommand>(schemaRegistry, TOPICS.commands).init(), log, "schema for tld.ar.commands");
const dlq = await retry(() => new TopicSerde<DeadLetter>(schemaRegistry, TOPICS.dlq).init(), log, "schema for tld.dlq");
const kafka = createKafka(config, log, "tld-collector");
const publisher = new Publisher(kafka);
await retry(() => publisher.connect(), log, "Kafka");
ctx.onShutdown("producer", () => publisher.disconnect());

// Reconnects for ever; while Redis is away, agent calls get 503 + Retry-After (see auth.ts) rather than 401.
// Auto-pipelining: the command feed stores many commands at once, one write for those of a tick.
const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
redis.on("error", (err: Error) => log.warn({ err: err.message }, "redis connection error"));
if (redis.status !== "ready") {
  log.info("waiting for Redis");
  await once(redis, "ready");
}
ctx.onShutdown("redis", () => redis.quit());
const registry = new AgentRegistry(redis, config.collector.agentDisconnectionSeconds * 1000);

const refused = new client.Counter({ name: "tld_collector_requests_refused_total", help: "Agent requests refused", labelNames: ["reason"], registers: [ctx.metrics] });
const authenticate = await registerAuth(ctx.http, {
  managerKey: localAgentKey(config),
  registry,
  onRefused: (reason) => refused.inc({ reason }),
});
await registerIngest(ctx.http, {
  authenticate,
  limits: config.collector,
  publisher,
  raw,
  metrics: ctx.metrics,
  refused,
  ratePerSecond: config.collector.requestsPerSecondPerAgent,
  bodyLimitBytes: config.collector.bodyLimitBytes,
  bulkGate: config.collector.bulkQueueDelayMs > 0 ? new BulkGate(redis, { targetMs: config.collector.bulkQueueDelayMs }) : undefined,
});
await registerAgentRoutes(ctx.http, {
  authenticate,
  registry,
  enrollmentPassword: () => enrollmentPassword(config),
  enrollmentsPerMinute: config.collector.enrollmentsPerMinute,
  refused,
});
const commandStore = new CommandStore(redis);
const hub = new CommandHub(commandStore, ctx.metrics);
await registerCommandRoutes(ctx.http, { authenticate, hub, store: commandStore, metrics: ctx.metrics });
await listen(ctx, config.collector.host, config.collector.port);
// Open channels never end by themselves: closed before the HTTP server (closers run in reverse), so it can stop.
ctx.onShutdown("command channels", () => hub.closeAll());
await startCommandFeed({ ctx, kafka, publisher, commands, dlq, store: commandStore, hub });
ctx.setReady(true);
