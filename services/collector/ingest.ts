// The collector's HTTP face for agents: authenticated batch ingestion into tld.events.raw.
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import client from "prom-client";
import type { Publisher } from "../../lib/kafka.js";
import type { RawEvent } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { TOPICS } from "../../lib/topics.js";
import type { BulkGate } from "../../lib/pace.js";
import type { Authenticate } from "./auth.js";
import { readBatch, type BatchLimits } from "./batch.js";

export interface IngestOptions {
  authenticate: Authenticate;
  limits: BatchLimits;
  publisher: Publisher;
  raw: TopicSerde<RawEvent>;
  metrics: client.Registry;
  /** Counter of refused requests, shared with the other agent routes. */
  refused: client.Counter<"reason">;
  /** Requests per second allowed per agent. */
  ratePerSecond?: number;
  /** The HTTP body limit (the collector's bodyLimitBytes), to bound how much of a refused body is read. */
  bodyLimitBytes: number;
  /** Paces bulk batches on the pipeline's queue delay (lib/pace.ts); absent: bulk goes in as it comes. */
  bulkGate?: BulkGate;
}

const RETRY_AFTER_SECONDS = 5;
/** How long a bulk batch is held for the pipeline before it gets a 429 (the client retries it). */
const BULK_MAX_HOLD_MS = 10_000;

/** Reads a request body to its end without keeping it; gives up (the connection then closes) past the bounds. */
function discardBody(raw: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  // A declared length past what would be read anyway is answered at once: waiting would only hold the
  // connection (a client announcing 100 GB and sending nothing got its 413 only after the timeout).
  if (Number(raw.headers["content-length"]) > maxBytes) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.removeListener("data", onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    raw.on("data", onData);
    raw.once("end", finish);
    raw.once("error", finish);
    raw.resume();
  });
}

export async function registerIngest(app: FastifyInstance, options: IngestOptions): Promise<void> {
  const accepted = new client.Counter({ name: "tld_collector_events_accepted_total", help: "Log lines accepted into tld.events.raw", registers: [options.metrics] });
  const { refused, bulkGate } = options;
  const heldSeconds = new client.Counter({ name: "tld_collector_bulk_hold_seconds_total", help: "Time bulk batches were held until the pipeline's queues were short", registers: [options.metrics] });
  if (bulkGate) {
    new client.Gauge({
      name: "tld_pipeline_queue_delay_seconds",
      help: "Queue delay along the blocking path (decoder + matcher + responder), as last read for bulk pacing",
      registers: [options.metrics],
      collect() {
        this.set(bulkGate.delayMs / 1000);
      },
    });
    new client.Gauge({
      name: "tld_collector_bulk_lines_per_second",
      help: "Rate at which bulk lines are let in, steered to hold the queue delay at collector.bulkQueueDelayMs",
      registers: [options.metrics],
      collect() {
        this.set(Math.round(bulkGate.linesPerSecond));
      },
    });
  }

  app.post(
    "/v1/events",
    {
      onRequest: options.authenticate,
      config: { rateLimit: { max: options.ratePerSecond ?? 200, timeWindow: 1000 } },
    },
    async (req, reply) => {
      const caller = req.caller;
      const batch = readBatch(req.body, options.limits, req.ip, Date.now(), caller?.kind === "agent" ? caller.agent : undefined);
      if (!batch.ok) {
        refused.inc({ reason: "malformed" });
        return reply.code(400).send({ error: batch.error });
      }
      if (batch.bulk && bulkGate) {
        const holdStart = Date.now();
        try {
          await bulkGate.admit(batch.events.length, BULK_MAX_HOLD_MS);
          heldSeconds.inc((Date.now() - holdStart) / 1000);
        } catch {
          heldSeconds.inc((Date.now() - holdStart) / 1000);
          refused.inc({ reason: "pipeline_busy" });
          return reply.code(429).header("retry-after", "1").send({ error: "pipeline busy with earlier bulk batches, retry later" });
        }
      }
      const records = batch.events.map((event) => ({ topic: TOPICS.raw, key: event.agent.id, value: options.raw.encode(event) }));
      try {
        await options.publisher.publish(records);
      } catch (err) {
        refused.inc({ reason: "kafka_unavailable" });
        req.log.warn({ err, agent: batch.agent.id }, "cannot publish batch; asking the agent to retry");
        return reply.code(503).header("retry-after", String(RETRY_AFTER_SECONDS)).send({ error: "event bus unavailable, retry later" });
      }
      accepted.inc(records.length);
      return reply.code(202).send({ accepted: records.length });
    },
  );

  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) {
      refused.inc({ reason: "too_large" });
      // Answering while the client is still sending makes the kernel reset the connection, and the client
      // sees EPIPE instead of the 413. Read (and discard) the rest first, within bounds.
      await discardBody(req.raw, options.bodyLimitBytes * 4, 5_000);
    }
    if (status >= 500) req.log.error({ err }, "request failed");
    return reply.code(status).send({ error: status === 413 ? "request body too large" : err.message });
  });
}
