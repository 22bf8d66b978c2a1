// The collector's HTTP face for agents: authenticated batch ingestion into tld.events.raw.
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import client from "prom-client";
import type { Publisher } from "../../lib/kafka.js";
import type { RawEvent } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { TOPICS } from "../../lib/topics.js";
import { readBatch, type BatchLimits } from "./batch.js";

export interface IngestOptions {
  agentKey: string;
  limits: BatchLimits;
  publisher: Publisher;
  raw: TopicSerde<RawEvent>;
  metrics: client.Registry;
  /** Requests per second allowed per agent key. */
  ratePerSecond?: number;
}

const RETRY_AFTER_SECONDS = 5;

function keyMatches(header: string | undefined, expected: Buffer): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function registerIngest(app: FastifyInstance, options: IngestOptions): Promise<void> {
  const expected = Buffer.from(options.agentKey);
  const accepted = new client.Counter({ name: "tld_collector_events_accepted_total", help: "Log lines accepted into tld.events.raw", registers: [options.metrics] });
  const refused = new client.Counter({ name: "tld_collector_requests_refused_total", help: "Agent requests refused", labelNames: ["reason"], registers: [options.metrics] });

  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req: FastifyRequest) => req.headers.authorization ?? req.ip,
  });

  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!keyMatches(req.headers.authorization, expected)) {
      refused.inc({ reason: "unauthenticated" });
      return reply.code(401).header("www-authenticate", "Bearer").send({ error: "missing or invalid agent key" });
    }
  };

  app.post(
    "/v1/events",
    {
      onRequest: authenticate,
      config: { rateLimit: { max: options.ratePerSecond ?? 200, timeWindow: 1000 } },
    },
    async (req, reply) => {
      const batch = readBatch(req.body, options.limits, req.ip);
      if (!batch.ok) {
        refused.inc({ reason: "malformed" });
        return reply.code(400).send({ error: batch.error });
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

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) refused.inc({ reason: "too_large" });
    if (status >= 500) req.log.error({ err }, "request failed");
    return reply.code(status).send({ error: status === 413 ? "request body too large" : err.message });
  });
}
