// The at-least-once consume loop every stage runs: decode a batch, process it, publish what it produced,
// and only after the broker acknowledged all of that mark the input offsets as done. A message that cannot
// be decoded or processed goes whole to tld.dlq and the loop goes on.
import type { Consumer, KafkaMessage } from "kafkajs";
import type { Logger } from "./logger.js";
import type { OutRecord, Publisher } from "./kafka.js";
import type { TopicSerde } from "./serde.js";
import type { DeadLetter } from "./records.js";
import { TOPICS } from "./topics.js";

export interface InputMeta {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  /** The record's Kafka timestamp (ms): when the producer made it, by the producer's clock. */
  timestamp?: number;
}

/** Turns one input into the records it produces. Throwing sends the input to the DLQ (a TransientError retries). */
export type StageHandler<In> = (input: In, meta: InputMeta) => OutRecord[] | Promise<OutRecord[]>;

/**
 * Optional per-chunk step run after decoding and before `handle`: lets a stage fetch what the whole chunk
 * needs in one round trip (e.g. every list lookup of 2000 events in one Redis pipeline).
 */
export type ChunkPrefetch<In> = (inputs: In[]) => Promise<void>;

/**
 * Optional per-chunk side effect of a stage with no Kafka output (the dashboard writing alerts to PostgreSQL):
 * called with the inputs the handler accepted, after it ran and before the chunk's offsets are resolved. A
 * failing sink throws, so the chunk is retried from the last committed offset: the sink must be idempotent.
 */
export type ChunkSink<In> = (accepted: In[]) => Promise<void>;

/**
 * A failure of something the stage depends on (Redis away), not of the input: the handler throws it to have the
 * chunk retried (the consumer restarts from the last committed offset) instead of dead-lettering a good input.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransientError";
  }
}

/**
 * Optional ordering key of a stage whose handler waits on I/O per input (the responder's Redis compare-and-set
 * per alert): inputs with different keys are handled concurrently (at most HANDLER_CONCURRENCY at once), those
 * with one key one after another, in input order. Without it inputs are handled one at a time. Outputs keep
 * input order either way.
 */
export type ConcurrencyKey<In> = (input: In) => string;

/** Keys handled at once within a chunk when a stage has a ConcurrencyKey: bounds the load put on Redis. */
export const HANDLER_CONCURRENCY = 64;

export interface StageMetrics {
  consumed(n: number): void;
  produced(n: number): void;
  deadLettered(n: number): void;
}

export interface ConsumeOptions<In> {
  stage: string;
  consumer: Consumer;
  publisher: Publisher;
  input: TopicSerde<In>;
  dlq: TopicSerde<DeadLetter>;
  handle: StageHandler<In>;
  prefetch?: ChunkPrefetch<In>;
  sink?: ChunkSink<In>;
  concurrencyKey?: ConcurrencyKey<In>;
  log: Logger;
  metrics?: StageMetrics;
  /** Inputs published per round trip to the broker; offsets advance after each chunk is acknowledged. */
  chunkSize?: number;
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  /** Told when each chunk starts (its first record's Kafka timestamp) and ends: the stage's queue delay (lib/pace.ts). */
  queueDelay?: { chunkStarted(oldestTimestampMs: number): () => void };
}

export function deadLetter(stage: string, meta: InputMeta, value: Buffer | null, err: unknown): DeadLetter {
  return {
    sourceTopic: meta.topic,
    sourcePartition: meta.partition,
    sourceOffset: meta.offset,
    key: meta.key,
    value,
    error: err instanceof Error ? err.message : String(err),
    stage,
    failedAt: Date.now(),
  };
}

/** Processes one chunk of messages; returns what to publish (outputs and dead letters) without publishing it. */
export async function processChunk<In>(
  options: Pick<ConsumeOptions<In>, "stage" | "input" | "dlq" | "handle" | "log" | "prefetch" | "sink" | "concurrencyKey">,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  /** Publishes the outputs; given, it runs beside the sink (one round trip less per chunk). */
  publish?: (out: OutRecord[]) => Promise<void>,
): Promise<{ out: OutRecord[]; dead: number }> {
  const out: OutRecord[] = [];
  let dead = 0;
  const toDeadLetter = (message: KafkaMessage, meta: InputMeta, err: unknown) => {
    dead++;
    options.log.warn({ err, topic, partition, offset: message.offset }, "message sent to the dead-letter topic");
    out.push({ topic: TOPICS.dlq, key: message.key, value: options.dlq.encode(deadLetter(options.stage, meta, message.value, err)) });
  };
  // Decode the whole chunk first so a prefetch step can see it; a value that cannot be decoded is dead-lettered
  // in place, keeping the chunk's outputs in input order.
  const decoded: ({ input: In; meta: InputMeta } | { error: unknown; meta: InputMeta })[] = [];
  for (const message of messages) {
    const meta: InputMeta = { topic, partition, offset: message.offset, key: message.key, timestamp: Number(message.timestamp) };
    try {
      decoded.push({ input: await options.input.decode(message.value), meta });
    } catch (error) {
      if (error instanceof TransientError) throw error; // the registry is away: retry the chunk, lose nothing
      decoded.push({ error, meta });
    }
  }
  // A failing prefetch (e.g. Redis away) throws: the chunk is retried, never dead-lettered for an outage.
  if (options.prefetch) await options.prefetch(decoded.flatMap((d) => ("input" in d ? [d.input] : [])));
  const results = await handleAll(options, decoded);
  const accepted: In[] = [];
  for (let i = 0; i < messages.length; i++) {
    const item = decoded[i];
    const result = results[i];
    if (!("input" in item)) toDeadLetter(messages[i], item.meta, item.error);
    else if ("error" in result) toDeadLetter(messages[i], item.meta, result.error);
    else {
      for (const record of result.produced) out.push(record);
      if (options.sink) accepted.push(item.input);
    }
  }
  // The sink (the matcher's frequency state, the dashboard's rows) and the outputs are independent: both must be
  // done before the offsets move, neither needs the other first. A failure of either retries the whole chunk.
  const sunk = options.sink && accepted.length > 0 ? options.sink(accepted) : undefined;
  const published = publish?.(out);
  // Both settle before a failure is thrown, so nothing of this chunk is still writing when it is retried.
  for (const outcome of await Promise.allSettled([sunk, published])) if (outcome.status === "rejected") throw outcome.reason;
  return { out, dead };
}

type Handled = { produced: OutRecord[] } | { error: unknown };

/**
 * Runs the handler on every decoded input: one at a time, or per ConcurrencyKey (see there). A TransientError
 * fails the chunk, but only once every input already started has finished, so no handler is still writing when
 * the chunk is retried.
 */
async function handleAll<In>(
  options: Pick<ConsumeOptions<In>, "handle" | "concurrencyKey">,
  decoded: ({ input: In; meta: InputMeta } | { error: unknown; meta: InputMeta })[],
): Promise<Handled[]> {
  const results: Handled[] = new Array(decoded.length);
  const lanes = new Map<string, number[]>();
  decoded.forEach((item, i) => {
    if (!("input" in item)) return void (results[i] = { error: item.error });
    const key = options.concurrencyKey ? options.concurrencyKey(item.input) : "";
    const lane = lanes.get(key);
    if (lane) lane.push(i);
    else lanes.set(key, [i]);
  });
  let transient: TransientError | undefined;
  const runLane = async (lane: number[]) => {
    for (const i of lane) {
      if (transient) return;
      const item = decoded[i] as { input: In; meta: InputMeta };
      try {
        results[i] = { produced: await options.handle(item.input, item.meta) };
      } catch (error) {
        if (error instanceof TransientError) transient ??= error;
        else results[i] = { error };
      }
    }
  };
  const pending = [...lanes.values()];
  const workers = Array.from({ length: Math.min(HANDLER_CONCURRENCY, pending.length) }, async () => {
    for (let lane = pending.shift(); lane; lane = pending.shift()) await runLane(lane);
  });
  await Promise.all(workers);
  if (transient) throw transient;
  return results;
}

/**
 * How often a stage commits the offsets it resolved. A crash replays what was resolved since the last commit
 * (at-least-once: the stages' effects are idempotent and replays are counted as duplicates), so this bounds
 * the repeat work; a commit per fetch cost every partition a broker round trip per batch under load.
 */
export const COMMIT_INTERVAL_MS = 500;

export async function consumeAtLeastOnce<In>(options: ConsumeOptions<In>): Promise<void> {
  const { consumer, publisher, log } = options;
  const chunkSize = options.chunkSize ?? 2_000;
  await consumer.subscribe({ topic: options.input.topic, fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    // Commits only offsets we resolved, i.e. after the outputs were acknowledged, at most every
    // COMMIT_INTERVAL_MS (and when leaving the group): released kafkajs committed after every batch, one
    // awaited round trip per partition per fetch; patches/kafkajs+2.2.4.patch makes it honour the interval.
    autoCommit: true,
    autoCommitInterval: COMMIT_INTERVAL_MS,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(start, start + chunkSize);
        const chunkDone = options.queueDelay?.chunkStarted(Number(chunk[0].timestamp));
        let result: Awaited<ReturnType<typeof processChunk>>;
        try {
          result = await processChunk(options, batch.topic, batch.partition, chunk, (out) => publisher.publish(out));
        } finally {
          chunkDone?.();
        }
        const { out, dead } = result;
        resolveOffset(chunk[chunk.length - 1].offset);
        options.metrics?.consumed(chunk.length);
        options.metrics?.produced(out.length - dead);
        if (dead > 0) options.metrics?.deadLettered(dead);
        await commitOffsetsIfNecessary();
        await heartbeat();
      }
      log.debug({ topic: batch.topic, partition: batch.partition, n: batch.messages.length }, "batch done");
    },
  });
}
