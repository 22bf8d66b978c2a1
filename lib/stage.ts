// Wiring for a stage that consumes one topic: service context, registry serdes, producer, consumer and the
// at-least-once loop. A stage's main.ts passes its name, input topic and pure handler; nothing else.
import { consumeAtLeastOnce, type ChunkPrefetch, type ChunkSink, type ConcurrencyKey, type StageHandler } from "./consume.js";
import { Redis } from "ioredis";
import client from "prom-client";
import { createConsumer, createKafka, Publisher, runLastingConsumer, type FetchMode } from "./kafka.js";
import { QueueDelayReporter } from "./pace.js";
import type { DeadLetter } from "./records.js";
import { createRegistryClient, TopicSerde } from "./serde.js";
import { createService, listen, stageMetrics, type ServiceContext } from "./service.js";
import { TOPICS, type TopicName } from "./topics.js";

export interface StageDefinition<In> {
  name: "decoder" | "matcher" | "responder" | "dashboard";
  input: TopicName;
  /** Topics whose serdes the handler needs, resolved before the first message. */
  outputs: TopicName[];
  makeHandler(ctx: ServiceContext, serdes: SerdeSet): StageHandler<In> | Promise<StageHandler<In>>;
  /** Optional per-chunk step before the handler runs (see ChunkPrefetch). */
  makePrefetch?(ctx: ServiceContext): ChunkPrefetch<In> | Promise<ChunkPrefetch<In>>;
  /** Optional per-chunk side effect before offsets are resolved, for a stage with no Kafka output (see ChunkSink). */
  makeSink?(ctx: ServiceContext): ChunkSink<In> | Promise<ChunkSink<In>>;
  /** Called each time the consumer group (re)assigns partitions: state cached per partition is stale then. */
  onAssignment?(): void;
  /** Registers the stage's own HTTP routes; runs before the port listens (fastify takes no routes after). */
  setupHttp?(ctx: ServiceContext): void | Promise<void>;
  /** Inputs with different keys may be handled at once (see ConcurrencyKey); default: one at a time. */
  concurrencyKey?: ConcurrencyKey<In>;
  chunkSize?: number;
  /** "immediate" for a stage whose input is few, urgent records (the responder's alerts): no fetch batching delay. */
  fetch?: FetchMode;
}

export type SerdeSet = Map<TopicName, TopicSerde<unknown>>;

export async function runStage<In>(definition: StageDefinition<In>): Promise<ServiceContext> {
  const ctx = createService(definition.name);
  const { config, log } = ctx;
  const address = config[definition.name];
  if (definition.setupHttp) await definition.setupHttp(ctx);
  await listen(ctx, address.host, address.port);

  const registry = createRegistryClient(config.registry.url);
  const serdes: SerdeSet = new Map();
  for (const topic of new Set<TopicName>([definition.input, TOPICS.dlq, ...definition.outputs])) {
    serdes.set(topic, await retry(() => new TopicSerde(registry, topic).init(), log, `schema for ${topic}`));
  }
  const kafka = createKafka(config, log, `tld-${definition.name}`);
  const publisher = new Publisher(kafka);
  await publisher.connect();
  ctx.onShutdown("producer", () => publisher.disconnect());
  const queueDelay = queueDelayReporter(ctx, definition.name);
  const handle = await definition.makeHandler(ctx, serdes);
  const prefetch = definition.makePrefetch ? await definition.makePrefetch(ctx) : undefined;
  const sink = definition.makeSink ? await definition.makeSink(ctx) : undefined;
  const consumer = await runLastingConsumer(
    () => createConsumer(kafka, config, definition.name, definition.fetch),
    (c) =>
      consumeAtLeastOnce({
        stage: definition.name,
        consumer: c,
        publisher,
        input: serdes.get(definition.input) as TopicSerde<In>,
        dlq: serdes.get(TOPICS.dlq) as TopicSerde<DeadLetter>,
        handle,
        prefetch,
        sink,
        concurrencyKey: definition.concurrencyKey,
        log,
        metrics: stageMetrics(ctx.metrics, definition.name),
        chunkSize: definition.chunkSize,
        queueDelay,
        partitionsConsumedConcurrently: config.kafka.consumeConcurrency,
      }),
    log,
    {
      onJoin: (assignment) => {
        definition.onAssignment?.();
        ctx.setReady(true);
        log.info({ assignment }, "joined consumer group");
      },
      onCrash: (err, restarting) => {
        ctx.setReady(false, restarting ? "consumer crashed; restarting" : "consumer stopped");
        log.error({ err, restart: restarting }, "consumer crashed");
      },
    },
  );
  ctx.onShutdown("consumer", () => consumer.disconnect());
  log.info({ input: definition.input }, "stage running");
  return ctx;
}

/** The stage's queue delay, as a gauge and in Redis for the collector's bulk pacing (lib/pace.ts). */
function queueDelayReporter(ctx: ServiceContext, stage: string): QueueDelayReporter {
  const gauge = new client.Gauge({ name: "tld_stage_queue_delay_seconds", help: "How long the oldest input in progress has been in the pipeline since it was produced (waiting in Kafka and being worked on)", labelNames: ["stage"], registers: [ctx.metrics] });
  // Its own connection, failing fast: a report that cannot be written is skipped, never queued.
  const redis = new Redis(ctx.config.redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  redis.on("error", () => undefined);
  const reporter = new QueueDelayReporter(redis, stage, 50, (ms) => gauge.set({ stage }, ms / 1000));
  ctx.onShutdown("queue delay reports", async () => {
    reporter.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return reporter;
}

/** Retries a startup step until it succeeds: a registry that is still starting should delay us, not kill us. */
export async function retry<T>(step: () => Promise<T>, log: ServiceContext["log"], what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const delay = Math.min(5_000, 200 * 2 ** Math.min(attempt, 5));
      log.warn({ err, attempt, delay }, `waiting for ${what}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
