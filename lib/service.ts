// What every service process shares: config, logger, metrics, the HTTP port with /healthz, /readyz and
// /metrics, and a graceful shutdown on SIGTERM/SIGINT that closes what was opened, in reverse order.
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import client from "prom-client";
import { loadConfig, type TldConfig } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import type { StageMetrics } from "./consume.js";

export interface ServiceContext {
  name: string;
  config: TldConfig;
  log: Logger;
  metrics: client.Registry;
  http: FastifyInstance;
  /** Marks the service ready (or not) for /readyz. */
  setReady(ready: boolean, reason?: string): void;
  /** Registers a closer; closers run in reverse order of registration on shutdown. */
  onShutdown(name: string, close: () => Promise<unknown> | unknown): void;
}

const SHUTDOWN_GRACE_MS = 15_000;
/** How often Node looks for connections past the header or request timeout: the slack on those bounds. */
const CONNECTIONS_CHECK_MS = 1_000;
/** A flood of refused connections is one warning per this, not one per connection (the counter has them all). */
const DROP_WARNING_EVERY_MS = 10_000;

export interface ServiceOptions {
  bodyLimit?: (config: TldConfig) => number;
  /** PEM key and certificate to serve HTTPS instead of HTTP (null: plain HTTP). */
  tls?: (config: TldConfig) => { key: Buffer; cert: Buffer } | null;
}

export function createService(name: string, options: ServiceOptions = {}): ServiceContext {
  const config = loadConfig();
  const log = createLogger(name, config.logLevel);
  const metrics = new client.Registry();
  metrics.setDefaultLabels({ service: name });
  // The event-loop delay histogram samples on a libuv timer: at prom-client's default 10 ms it woke every
  // service 100 times a second for nothing; 100 ms still shows the stalls that matter here.
  client.collectDefaultMetrics({ register: metrics, eventLoopMonitoringPrecision: 100 });
  const tls = options.tls?.(config) ?? null;
  // Bounds on what a client may hold (config.http): fastify sets no request or idle timeout of its own, so a client
  // sending its body a byte at a time held a connection for ever. Node checks the header and request timeouts
  // every connectionsCheckingInterval, so a slow client is cut within the timeout plus that.
  const limits = config.http;
  const serverLimits = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: CONNECTIONS_CHECK_MS };
  // A TLS handshake dragged out is a slow header too.
  const tlsLimits = { ...serverLimits, handshakeTimeout: limits.headersTimeoutMs };
  // With `https`, fastify's instance is typed over https.Server; routes and hooks are the same, so the cast only
  // lets both kinds share one ServiceContext type.
  const http = Fastify({
    ...(tls ? { https: { ...tls, ...tlsLimits } } : { http: serverLimits }),
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // pino's Logger is a FastifyBaseLogger; the cast only widens fastify's inferred logger type parameter.
    loggerInstance: log.child({ component: "http" }) as FastifyBaseLogger, bodyLimit: options.bodyLimit?.(config) ?? 1024 * 1024,
    // One log line per request would drown the pipeline's own logs; failures are logged where handled.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  http.server.maxConnections = limits.maxConnections;
  // Node times out slow headers only once a request has begun: a connection that sends nothing at all was held
  // until the idle timeout. Until its first request it gets the headers timeout, then the idle one.
  http.server.on(tls ? "secureConnection" : "connection", (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs));
  http.server.on("request", (req: IncomingMessage) => req.socket.setTimeout(limits.idleTimeoutMs));
  const dropped = new client.Counter({ name: "tld_http_connections_dropped_total", help: "Connections closed at once because http.maxConnections were open", registers: [metrics] });
  let lastDropWarning = 0;
  http.server.on("drop", (peer?: { remoteAddress?: string }) => {
    dropped.inc();
    if (Date.now() - lastDropWarning < DROP_WARNING_EVERY_MS) return;
    lastDropWarning = Date.now();
    log.warn({ maxConnections: limits.maxConnections, peer: peer?.remoteAddress }, "connection limit reached: new connections are closed (http.maxConnections, TLD_HTTP_MAX_CONNECTIONS)");
  });
  let ready = false;
  let notReadyReason = "starting";
  http.get("/healthz", async () => ({ status: "ok", service: name }));
  http.get("/readyz", async (_req, reply) => {
    if (!ready) return reply.code(503).send({ status: "not ready", service: name, reason: notReadyReason });
    return { status: "ready", service: name };
  });
  http.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.contentType);
    return metrics.metrics();
  });

  const closers: { name: string; close: () => Promise<unknown> | unknown }[] = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ready = false;
    notReadyReason = "stopping";
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    for (const closer of closers.reverse()) {
      try {
        await closer.close();
      } catch (err) {
        log.warn({ err, part: closer.name }, "error while closing");
      }
    }
    log.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.on("unhandledRejection", (err) => {
    log.fatal({ err }, "unhandled rejection");
    void shutdown("unhandledRejection");
  });

  return {
    name,
    config,
    log,
    metrics,
    http,
    setReady(value, reason) {
      ready = value;
      notReadyReason = reason ?? (value ? "" : "not ready");
    },
    onShutdown(partName, close) {
      closers.push({ name: partName, close });
    },
  };
}

/** Listens on the service's configured address (loopback by default). */
export async function listen(ctx: ServiceContext, host: string, port: number): Promise<void> {
  await ctx.http.listen({ host, port });
  ctx.onShutdown("http", () => ctx.http.close());
  ctx.log.info({ host, port }, "listening");
}

export function stageMetrics(registry: client.Registry, stage: string): StageMetrics {
  const consumed = new client.Counter({ name: "tld_stage_consumed_total", help: "Messages consumed by the stage", registers: [registry], labelNames: ["stage"] });
  const produced = new client.Counter({ name: "tld_stage_produced_total", help: "Records produced by the stage", registers: [registry], labelNames: ["stage"] });
  const dead = new client.Counter({ name: "tld_stage_dead_lettered_total", help: "Messages sent to tld.dlq", registers: [registry], labelNames: ["stage"] });
  return {
    consumed: (n) => consumed.inc({ stage }, n),
    produced: (n) => produced.inc({ stage }, n),
    deadLettered: (n) => dead.inc({ stage }, n),
  };
}
