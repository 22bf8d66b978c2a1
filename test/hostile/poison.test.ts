// Poison on every topic the pipeline consumes, against the running stack: bytes that are not Avro, a wrong magic
// byte, an unknown schema id, truncated Avro, Avro with bytes after the value, another topic's valid value (its
// own schema id), a null value (tombstone) and an empty one. Each is produced on one partition, with a good
// message behind it on the same partition. Every consumer of the topic (tld.events.raw: decoder;
// tld.events.decoded: matcher; tld.alerts: responder and dashboard; tld.ar.commands: the collector's command
// feed) dead-letters each poison to tld.dlq whole (its bytes, key, stage, topic, partition and offset), and goes
// on: it commits past the good message, and the good message's effect is seen downstream.
// test/dlq.test.ts is the first, smaller form of this (tld.events.raw only, through `tld replay`).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { Admin, Kafka, Producer } from "kafkajs";
import { loadConfig, PACKAGE_ROOT } from "../../lib/config.js";
import { consumerGroupId, createKafka } from "../../lib/kafka.js";
import { createLogger } from "../../lib/logger.js";
import type { ActiveResponseCommand, Alert, DeadLetter, DecodedEvent, RawEvent } from "../../lib/records.js";
import { avroType } from "../../lib/schemas.js";
import { dashboardApiToken } from "../../lib/secrets.js";
import { createRegistryClient, TopicSerde } from "../../lib/serde.js";
import { TOPICS, TOPIC_SCHEMAS, type TopicName } from "../../lib/topics.js";
import { commandFeedGroup } from "../../services/collector/commandFeed.js";
import { decodeEvent, loadDecoderEngine } from "../../services/decoder/decode.js";
import { testAlert } from "../harness/dashboard.js";
import { accessLine, readTopicWithKcat, waitFor } from "../harness/tools.js";

const config = loadConfig();
const tag = `poison-${process.pid}-${Date.now()}`;
const startedAt = Date.now() - 5_000;
const registry = createRegistryClient(config.registry.url);
const group = (name: string) => consumerGroupId(config, name);

let kafka: Kafka;
let producer: Producer;
let admin: Admin;
let redis: Redis;
const serdes = new Map<TopicName, TopicSerde<unknown>>();

before(async () => {
  kafka = createKafka(config, createLogger("it-poison", "error"), "tld-test-poison");
  producer = kafka.producer();
  admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  redis = new Redis(config.redis.url);
  for (const topic of [TOPICS.raw, TOPICS.decoded, TOPICS.alerts, TOPICS.commands]) serdes.set(topic, await new TopicSerde(registry, topic).init());
});

after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  redis?.disconnect();
});

interface Consumer {
  stage: string;
  group: string;
}

interface TopicCase {
  topic: TopicName;
  consumers: Consumer[];
  /** A good value for the topic, and how to see that its consumers acted on it. */
  good(): { value: unknown; seen(): Promise<boolean> | boolean };
  /** A valid value of another topic, with that topic's serde (so: its schema id). */
  foreign: TopicName;
  /** A value that fits the schema but carries hostile content: data to handle, not poison. */
  hostile(): unknown;
}

const n = { i: 0 };
/** A 404 line: through the decoder, the stock rule 31101 (level 5) raises an alert for it, which the dashboard stores. */
const rawEvent = (agentName: string): RawEvent => ({ id: `${tag}-raw-${n.i++}`, agent: { id: agentName, name: agentName, ip: null, os: null }, location: "/var/log/apache2/access.log", logFormat: "apache", message: accessLine("198.51.100.61", 1, 404).replace("/page/1", `/${tag}`), collectedAt: Date.now(), receivedAt: Date.now() });

/** Whether the dashboard holds an alert matching `q`: the cheap way to see an effect at the end of the pipeline. */
async function inDashboard(q: string): Promise<boolean> {
  const url = new URL("/api/alerts", `http://${config.dashboard.host}:${config.dashboard.port}`);
  url.searchParams.set("q", q);
  const res = await fetch(url, { headers: { authorization: `Bearer ${dashboardApiToken(config).value}` } });
  return res.ok && ((await res.json()) as { total: number }).total >= 1;
}

const cases: TopicCase[] = [
  {
    topic: TOPICS.raw,
    consumers: [{ stage: "decoder", group: group("decoder") }],
    foreign: TOPICS.alerts,
    hostile: () => ({ ...rawEvent(`it-${tag}-raw`), agent: { id: "../../etc", name: "\u0000", ip: "$(id)", os: null }, message: `${'] "'.repeat(20_000)}\u0000\ud800${"{".repeat(5_000)}` }),
    good() {
      const event = rawEvent(`it-${tag}-raw`);
      return { value: event, seen: () => inDashboard(`agent.name:"${event.agent.name}" and rule.id:31101`) };
    },
  },
  {
    topic: TOPICS.decoded,
    consumers: [{ stage: "matcher", group: group("matcher") }],
    foreign: TOPICS.raw,
    hostile: (): DecodedEvent => ({ ...rawEvent(`it-${tag}-decoded`), decodedAt: Date.now(), decoder: "web-accesslog", parentDecoder: null, srcip: "$(id)", fields: { srcip: "1.2.3.4;reboot", id: "404", url: "/$(id)", ["__proto__"]: "x", constructor: "y" }, category: "web-log" }),
    good() {
      // What the decoder makes of the 404 line.
      const decoded: DecodedEvent = decodeEvent(loadDecoderEngine({ decoderDirs: [path.join(PACKAGE_ROOT, "ruleset/decoders")], decoderExclude: [] }), rawEvent(`it-${tag}-decoded`));
      return { value: decoded, seen: () => inDashboard(`agent.name:"${decoded.agent.name}" and rule.id:31101`) };
    },
  },
  {
    topic: TOPICS.alerts,
    consumers: [
      { stage: "responder", group: group("responder") },
      { stage: "dashboard", group: group("dashboard") },
    ],
    foreign: TOPICS.commands,
    hostile: () => testAlert({ agent: { id: `it-${tag}`, name: `it-${tag}` }, rule: { id: "100100", level: 10 }, fields: { srcip: "1.2.3.4;reboot", "__proto__.x": "y" } }),
    good() {
      const alert: Alert = testAlert({ agent: { id: `it-${tag}`, name: `it-${tag}` }, rule: { id: "31108", level: 5, description: `marker ${tag}` } });
      return { value: alert, seen: () => inDashboard(`id:"${alert.id}"`) };
    },
  },
  {
    topic: TOPICS.commands,
    // Every collector instance reads the topic in a group of its own: the stack's is checked here.
    consumers: [{ stage: "collector", group: group(commandFeedGroup(hostname(), config.collector.port)) }],
    foreign: TOPICS.decoded,
    hostile: (): ActiveResponseCommand => ({ id: `${tag}-\u0000-${"x".repeat(10_000)}`, agentId: `it-${tag}}{x`, action: "add", program: "../../bin/sh", ip: "$(id)", ttlSeconds: 30, expiresAt: Date.now() + 30_000, alertId: "'; DROP TABLE x", ruleId: null, createdAt: Date.now() }),
    good() {
      const now = Date.now();
      // For an agent nobody runs, so nothing acts on it; the store's keys expire with it (30 s).
      const command: ActiveResponseCommand = { id: `${tag}-command`, agentId: `it-${tag}`, action: "add", program: "firewall-drop", ip: "198.51.100.62", ttlSeconds: 30, expiresAt: now + 30_000, alertId: null, ruleId: null, createdAt: now };
      return { value: command, seen: async () => (await redis.hget(`{tld:ar:${command.agentId}}:due`, command.id)) !== null };
    },
  },
];

/** A valid value for each topic, to be framed or cut into poison. */
function sampleOf(topic: TopicName): unknown {
  return cases.find((c) => c.topic === topic)!.good().value;
}

function poisonsFor(c: TopicCase): { name: string; value: Buffer | null }[] {
  const own = serdes.get(c.topic)!;
  const valid = own.encode(sampleOf(c.topic));
  const foreign = serdes.get(c.foreign)!.encode(sampleOf(c.foreign));
  const withMagic = Buffer.from(valid);
  withMagic[0] = 1;
  const unknownId = Buffer.from(valid);
  unknownId.writeUInt32BE(0x7ffffff0, 1);
  return [
    { name: "not-avro", value: Buffer.from(`this is not avro ${tag}`) },
    { name: "wrong-magic", value: withMagic },
    { name: "unknown-schema-id", value: unknownId },
    { name: "truncated", value: valid.subarray(0, Math.floor(valid.length / 2)) },
    { name: "header-only", value: valid.subarray(0, 5) },
    { name: "trailing-bytes", value: Buffer.concat([valid, Buffer.from([0xff, 0xff, 0xff])]) },
    { name: `a-${TOPIC_SCHEMAS[c.foreign]}`, value: foreign },
    { name: "tombstone", value: null },
    { name: "empty", value: Buffer.alloc(0) },
  ];
}

async function committed(groupId: string, topic: string, partition: number): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
}

for (const c of cases) {
  test(`${c.topic}: each poison is dead-lettered whole by ${c.consumers.map((x) => x.stage).join(" and ")}, which go on`, async () => {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    for (const consumer of c.consumers) assert.ok(groups.includes(consumer.group), `${consumer.group} is running (groups: ${groups.join(", ")})`);
    const partition = Math.floor(Math.random() * config.kafka.partitions);
    const poisons = poisonsFor(c);
    const good = c.good();
    const messages = [
      ...poisons.map((p) => ({ key: `${p.name}-${tag}`, value: p.value, partition })),
      { key: `hostile-${tag}`, value: serdes.get(c.topic)!.encode(c.hostile()), partition },
      { key: `good-${tag}`, value: serdes.get(c.topic)!.encode(good.value), partition },
    ];
    const [sent] = await producer.send({ topic: c.topic, messages });
    const base = Number(sent.baseOffset);
    const goodOffset = base + poisons.length + 1;

    const type = avroType("DeadLetter");
    const letters = await waitFor(`${poisons.length} dead letters from each of ${c.consumers.map((x) => x.stage)}`, () => {
      const mine = readTopicWithKcat(TOPICS.dlq, startedAt)
        .filter((r) => r.key.endsWith(tag))
        .map((r) => ({ record: r, letter: type.fromBuffer(r.value.subarray(5)) as DeadLetter }))
        .filter(({ letter }) => letter.sourceTopic === c.topic);
      return c.consumers.every((x) => mine.filter((m) => m.letter.stage === x.stage).length >= poisons.length) ? mine : undefined;
    }, 60_000, 1_000);
    for (const consumer of c.consumers) {
      poisons.forEach((p, i) => {
        const key = `${p.name}-${tag}`;
        const found = letters.filter(({ letter }) => letter.stage === consumer.stage && letter.key?.toString() === key);
        assert.ok(found.length >= 1, `${consumer.stage}: no dead letter for ${p.name}`);
        const { record, letter } = found[0];
        assert.equal(record.value[0], 0, "dead letters are in the wire format too");
        assert.deepEqual([letter.sourcePartition, letter.sourceOffset], [partition, String(base + i)], `${p.name}: where it came from`);
        assert.deepEqual(letter.value, p.value, `${p.name}: the original bytes, whole`);
        assert.ok(letter.error.length > 0 && letter.error.length < 2_000, `${p.name}: a bounded reason`);
      });
      for (const key of [`good-${tag}`, `hostile-${tag}`]) assert.ok(!letters.some(({ letter }) => letter.stage === consumer.stage && letter.key?.toString() === key), `${key}: a valid value is handled, not dead-lettered`);
    }
    console.log(`${c.topic}: reasons: ${[...new Set(letters.map(({ letter }) => letter.error.replace(/\d+/g, "N").slice(0, 70)))].join(" | ")}`);

    await waitFor("the good message's effect downstream", async () => ((await good.seen()) ? true : undefined), 60_000, 1_000);
    for (const consumer of c.consumers) {
      await waitFor(`${consumer.group} to commit past the good message`, async () => ((await committed(consumer.group, c.topic, partition)) > goodOffset ? true : undefined), 30_000);
    }
  });
}
