// The cost of moving one record through Kafka with kafkajs and nothing else: no Avro, no logic, the stages'
// producer and consumer settings, big sends and fetches (the cheapest case). Every event pays it at each hop, so
// it bounds what any stage built on kafkajs can do on this machine (bench/ceiling.ts adds it up).
import { randomUUID } from "node:crypto";
import type { TldConfig } from "../lib/config.js";
import { consumerGroupId, createConsumer, createKafka, Publisher, type OutRecord } from "../lib/kafka.js";
import { createLogger } from "../lib/logger.js";
import { procFigures, stackPids } from "./proc.js";

export interface KafkaFloorFigures {
  kafka_floor_records: number;
  /** Producer CPU per record (this process), µs. */
  kafka_produce_us_per_record: number;
  /** Consumer CPU per record (this process, eachBatch doing nothing), µs. */
  kafka_consume_us_per_record: number;
  /** Broker CPU per record produced and per record fetched, µs, net of its idle rate. */
  kafka_broker_produce_us_per_record: number;
  kafka_broker_consume_us_per_record: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** As tld.events.decoded's values and keys in the end-to-end run (~465 and ~12 bytes). */
const VALUE_BYTES = 465;
const SEND_RECORDS = 2_000;
const WARM_UP_RECORDS = 30_000;

export async function benchKafkaFloor(config: TldConfig, records = 300_000, say: (line: string) => void = () => undefined): Promise<KafkaFloorFigures> {
  const brokerPid = (await stackPids()).kafka;
  if (!brokerPid) throw new Error("the Kafka floor needs the stack's broker (tld status shows no kafka pid)");
  const brokerSeconds = () => procFigures(brokerPid).cpuSeconds;
  const log = createLogger("bench-kafka-floor", "error");
  const kafka = createKafka(config, log, "tld-bench-floor");
  const admin = kafka.admin();
  await admin.connect();
  const topic = `tld.bench.floor.${randomUUID().slice(0, 8)}`;
  const publisher = new Publisher(kafka);
  const group = `bench-floor-${randomUUID().slice(0, 8)}`;
  const consumer = createConsumer(kafka, config, group);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: config.kafka.partitions }], waitForLeaders: true });
    await publisher.connect();
    // The broker's own rate while idle (the stack's heartbeats and commits), taken off its figures below.
    const idleFrom = brokerSeconds();
    const idleStart = Date.now();
    await sleep(3_000);
    const brokerIdlePerMs = Math.max(0, brokerSeconds() - idleFrom) / (Date.now() - idleStart);
    const value = Buffer.alloc(VALUE_BYTES, "x");

    const produce = async (from: number, to: number) => {
      for (let sent = from; sent < to; sent += SEND_RECORDS) {
        const batch: OutRecord[] = [];
        for (let i = sent; i < Math.min(to, sent + SEND_RECORDS); i++) {
          batch.push({ topic, key: `198.18.${(i >> 8) & 255}.${i & 255}`, value: Buffer.from(value) });
        }
        await publisher.publish(batch);
      }
    };
    // Untimed first: the floor is the warm cost, not the JIT's first pass over kafkajs.
    await produce(0, WARM_UP_RECORDS);
    say(`kafka floor: producing ${records.toLocaleString("en")} records`);
    let cpu = process.cpuUsage();
    let broker = brokerSeconds();
    let started = Date.now();
    await produce(WARM_UP_RECORDS, WARM_UP_RECORDS + records);
    const produceCpu = process.cpuUsage(cpu);
    const produceBroker = brokerSeconds() - broker - brokerIdlePerMs * (Date.now() - started);

    say("kafka floor: consuming them");
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let received = 0;
    let timedFrom = 0;
    let consumedTimed = 0;
    let allIn: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allIn = resolve));
    let consumeCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
    let consumeBroker = 0;
    await consumer.run({
      partitionsConsumedConcurrently: config.kafka.partitions,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        // Timed from the first batch after the warm-up records (the group join is not per-record work either).
        if (!timedFrom && received >= WARM_UP_RECORDS) {
          timedFrom = received;
          cpu = process.cpuUsage();
          broker = brokerSeconds();
          started = Date.now();
        }
        for (const message of batch.messages) if (message.value) received++;
        if (timedFrom && received >= WARM_UP_RECORDS + records) {
          consumedTimed = received - timedFrom;
          consumeCpu = process.cpuUsage(cpu);
          consumeBroker = brokerSeconds() - broker - brokerIdlePerMs * (Date.now() - started);
          allIn();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the Kafka floor consumer read ${received} of ${WARM_UP_RECORDS + records} records in 2 minutes`)), 120_000);
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    const us = (usage: NodeJS.CpuUsage, n: number) => Number(((usage.user + usage.system) / n).toFixed(2));
    const brokerUs = (seconds: number, n: number) => Number(((Math.max(0, seconds) * 1e6) / n).toFixed(2));
    return {
      kafka_floor_records: records,
      kafka_produce_us_per_record: us(produceCpu, records),
      kafka_consume_us_per_record: us(consumeCpu, consumedTimed),
      kafka_broker_produce_us_per_record: brokerUs(produceBroker, records),
      kafka_broker_consume_us_per_record: brokerUs(consumeBroker, consumedTimed),
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await publisher.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([consumerGroupId(config, group)]).catch(() => undefined);
    await admin.disconnect();
  }
}
