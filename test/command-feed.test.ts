// A collector instance is ready only once its command feed has read what tld.ar.commands held when it started
// (services/collector/commandFeed.ts feedCaughtUp): checked against the real Kafka on a topic of its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createKafka } from "../lib/kafka.js";
import { createLogger } from "../lib/logger.js";
import { feedCaughtUp } from "../services/collector/commandFeed.js";
import { config } from "./harness/tools.js";

test("feedCaughtUp: false while the group has not committed a partition's end (a new group: nothing), true once it has; an empty partition needs nothing", async () => {
  const kafka = createKafka(config(), createLogger("it-command-feed", "error"));
  const admin = kafka.admin();
  const producer = kafka.producer();
  const topic = `it-feed-${process.pid}-${Date.now()}`;
  const group = `it-feed-group-${process.pid}-${Date.now()}`;
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: 0, value: `command ${i}` })) });
    assert.equal(await feedCaughtUp(kafka, group, topic, 300, 50), false, "a new group has read nothing");
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "2" }] });
    assert.equal(await feedCaughtUp(kafka, group, topic, 300, 50), false, "one record still behind");
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "3" }] });
    assert.equal(await feedCaughtUp(kafka, group, topic, 5_000, 50), true, "at the end of partition 0; partition 1 is empty");
  } finally {
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await producer.disconnect();
    await admin.disconnect();
  }
});
