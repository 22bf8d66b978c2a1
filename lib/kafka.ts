// The only module that touches kafkajs (in maintenance mode): the rest of the code sees this small
// interface, so the client can be swapped without touching a stage.
import { Kafka, logLevel as KafkaLogLevel, Partitioners, type Consumer, type Producer, type LogEntry, type RetryOptions } from "kafkajs";
import type { TldConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { TOPICS } from "./topics.js";

export interface OutRecord {
  topic: string;
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

const KAFKA_TO_PINO: Record<number, "error" | "warn" | "info" | "debug"> = {
  [KafkaLogLevel.ERROR]: "error",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.INFO]: "info",
  [KafkaLogLevel.DEBUG]: "debug",
};

/** Retries forever with capped backoff: a broker that goes away must stall a stage, not kill it. */
const RETRY_FOREVER = { initialRetryTime: 200, maxRetryTime: 5_000, retries: Number.MAX_SAFE_INTEGER };

export function createKafka(config: TldConfig, log: Logger, clientId = config.kafka.clientId, retry: RetryOptions = RETRY_FOREVER): Kafka {
  const kafkaLog = log.child({ component: "kafkajs" });
  return new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: KafkaLogLevel.WARN,
    retry,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      kafkaLog[KAFKA_TO_PINO[entry.level] ?? "info"]({ namespace: entry.namespace, ...extra }, message);
    },
  });
}

/** A caller's records waiting for the next send, and how to tell it the outcome. */
interface PendingPublish {
  records: OutRecord[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Value bytes at most in one merged send: a partition's share of a request must stay under the broker's
 * message.max.bytes (1 MB by default); a single larger publish still goes alone, as before.
 */
const MERGED_SEND_MAX_BYTES = 768 * 1024;

/**
 * An idempotent producer; `publish` resolves only once every record is acknowledged by all in-sync replicas.
 * kafkajs' idempotent producer allows one request in flight, so publishes from partitions worked on at once used
 * to queue one round trip each (the sixth waited for five acks). Publishes that arrive while a send is in flight
 * now leave together in the next one: fewer produce requests for the broker, and no caller waits for more than
 * the send in flight and its own. Each caller's records keep their order; a failed send fails every caller in it,
 * and each retries its own chunk (downstream effects are idempotent).
 */
export class Publisher {
  private readonly producer: Producer;
  private readonly pending: PendingPublish[] = [];
  private sending = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1, // kafkajs's idempotent producer is only safe with one request in flight
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    });
  }
  connect(): Promise<void> {
    return this.producer.connect();
  }
  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
  publish(records: OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += r.value.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ records, bytes, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.length > 0) {
        let bytes = this.pending[0].bytes;
        let n = 1;
        while (n < this.pending.length && bytes + this.pending[n].bytes <= MERGED_SEND_MAX_BYTES) bytes += this.pending[n++].bytes;
        const group = this.pending.splice(0, n);
        try {
          await this.send(group.length === 1 ? group[0].records : group.flatMap((g) => g.records));
          for (const g of group) g.resolve();
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(records: OutRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string | Buffer | null; value: Buffer; headers?: Record<string, string> }[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value, headers: r.headers });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}

/**
 * How a consumer fetches. The default batches (see below); a consumer of few, urgent records (alerts, block
 * commands) takes each as soon as it is there instead of waiting up to fetchMaxWaitMs for more.
 */
export type FetchMode = "batch" | "immediate";

/** The Kafka group id of a stage's consumer group `group` (what createConsumer joins). */
export function consumerGroupId(config: TldConfig, group: string): string {
  return `${config.kafka.consumerGroupPrefix}.${group}`;
}

/**
 * Deletes consumer groups (Kafka group ids) of instances gone for good, e.g. a collector started on a port of its
 * own for one run: nobody resumes them, and each would stay listed in Kafka. Best effort, never throws: a group
 * that is unknown or still has members is left as it is, and so is everything when the broker cannot be reached.
 */
export async function deleteConsumerGroups(config: TldConfig, log: Logger, groupIds: string[]): Promise<void> {
  // A few retries only: cleanup must not hang a demo whose broker is gone.
  const admin = createKafka(config, log, "tld-cleanup", { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 }).admin();
  try {
    await admin.connect();
    await admin.deleteGroups(groupIds);
  } catch (err) {
    log.debug({ err, groupIds }, "consumer groups not deleted");
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function createConsumer(kafka: Kafka, config: TldConfig, group: string, fetch: FetchMode = "batch"): Consumer {
  return kafka.consumer({
    groupId: consumerGroupId(config, group),
    allowAutoTopicCreation: false,
    // minBytes 1 (the default): a fetch returns as soon as anything is there, so a live line waits for no timer at
    // any hop (idle line -> block p50 84 -> 23 ms); under load each fetch brings what arrived while the previous
    // chunk was processed, so chunks grow with the load by themselves. A fetch held for 64 KB cost up to
    // fetchMaxWaitMs per hop at low rates and, behind the bulk pacing (lib/pace.ts), read as queue delay that
    // throttled the replay: 11.3k -> 12.7k events/s and the same broker CPU once it went (bench, 300k lines).
    maxWaitTimeInMs: fetch === "immediate" ? Math.max(config.kafka.fetchMaxWaitMs, 100) : config.kafka.fetchMaxWaitMs,
    minBytes: fetch === "immediate" ? 1 : config.kafka.fetchMinBytes,
    maxBytes: 16 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
    // A member killed -9 never leaves its group: its replacement's join waits until this runs out (the stage is
    // not ready meanwhile). kafkajs heartbeats only between chunks, so it must outlast the slowest chunk.
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(config.kafka.sessionTimeoutMs / 10)),
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: Number.MAX_SAFE_INTEGER },
  });
}

export interface ConsumerEvents {
  /** The group (re)assigned partitions to this member. */
  onJoin?(assignment: unknown): void;
  /** The consumer crashed; `rebuilding` says it is being replaced (always, unless the process is stopping). */
  onCrash?(error: unknown, rebuilding: boolean): void;
}

/** A consumer kept alive for the life of the process. */
export interface LastingConsumer {
  disconnect(): Promise<void>;
}

/**
 * How long a consumer may go without starting a fetch or a batch before it counts as hung. kafkajs fetches every
 * fetchMaxWaitMs even when idle, and a chunk takes seconds at most, so a minute of silence means its loop is
 * stuck (a known kafkajs failure after broker trouble: alive, no crash, consuming nothing).
 */
export const CONSUMER_STALL_MS = 60_000;

/**
 * Runs `start` on a consumer from `create` and keeps one running for the life of the process:
 *   - on a crash kafkajs gives up on (a non-retriable error: while the broker restarts, "Failed to find group
 *     coordinator"), builds a new one and starts it again, with a backoff. kafkajs restarts a crashed consumer
 *     only for errors it deems retriable, so a stage otherwise stopped consuming for good while its process
 *     looked healthy (found by the fault suite);
 *   - when a consumer has started no fetch and no batch for `stallMs`, replaces it the same way.
 * The first start is awaited: a stage that cannot start at all still fails at startup.
 */
export async function runLastingConsumer(
  create: () => Consumer,
  start: (consumer: Consumer) => Promise<void>,
  log: Logger,
  events: ConsumerEvents = {},
  stallMs = CONSUMER_STALL_MS,
): Promise<LastingConsumer> {
  let current: Consumer;
  let stopping = false;
  let attempt = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const relaunch = (old: Consumer, why: string) => {
    clearInterval(watchdog);
    const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt++, 5));
    log.warn({ delay, why }, "consumer stopped for good: starting a new one");
    setTimeout(async () => {
      if (stopping) return;
      // A hung consumer may not finish disconnecting either: its group drops it after the session timeout.
      await Promise.race([old.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
      try {
        await launch();
      } catch (err) {
        log.error({ err }, "could not start a new consumer; trying again");
        relaunch(current, "start failed");
      }
    }, delay);
  };
  const launch = async () => {
    const consumer = create();
    current = consumer;
    let lastActivity = Date.now();
    const active = () => void (lastActivity = Date.now());
    consumer.on(consumer.events.FETCH_START, active);
    consumer.on(consumer.events.START_BATCH_PROCESS, active);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      active();
      attempt = 0;
      events.onJoin?.(e.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const rebuilding = !e.payload.restart && !stopping;
      events.onCrash?.(e.payload.error, e.payload.restart || rebuilding);
      if (rebuilding) relaunch(consumer, "crashed"); // else kafkajs restarts it itself, or we are stopping
      else active(); // kafkajs' own restart starts from a clean slate
    });
    await consumer.connect();
    await start(consumer);
    clearInterval(watchdog);
    watchdog = setInterval(() => {
      if (stopping || current !== consumer || Date.now() - lastActivity <= stallMs) return;
      events.onCrash?.(new Error(`no fetch for ${Math.round((Date.now() - lastActivity) / 1000)} s`), true);
      relaunch(consumer, "hung");
    }, Math.min(5_000, stallMs / 4));
    watchdog.unref();
  };
  await launch();
  return {
    async disconnect() {
      stopping = true;
      clearInterval(watchdog);
      await current.disconnect();
    },
  };
}

/** Creates the pipeline's topics when missing; an existing topic is left as it is. */
export async function ensureTopics(kafka: Kafka, config: TldConfig): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(TOPICS).filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: config.kafka.partitions,
          replicationFactor: config.kafka.replicationFactor,
          configEntries: topic === TOPICS.dlq ? [{ name: "retention.ms", value: String(30 * 24 * 3600 * 1000) }] : [],
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
