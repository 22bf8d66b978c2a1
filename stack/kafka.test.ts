import assert from "node:assert/strict";
import { test } from "node:test";
import { log4jProperties, newClusterId, serverProperties } from "./kafka.js";

function parse(props: string): Map<string, string> {
  return new Map(
    props
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]),
  );
}

test("server.properties describes one KRaft node with the settings the pipeline relies on", () => {
  const p = parse(
    serverProperties({ listen: { host: "127.0.0.1", port: 9092 }, controllerPort: 9093, logDir: "/s/data/kafka/logs", partitions: 6 }),
  );
  assert.equal(p.get("process.roles"), "broker,controller");
  assert.equal(p.get("node.id"), "1");
  assert.equal(p.get("controller.quorum.voters"), "1@127.0.0.1:9093");
  assert.equal(p.get("listeners"), "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
  assert.equal(p.get("advertised.listeners"), "PLAINTEXT://127.0.0.1:9092");
  assert.equal(p.get("controller.listener.names"), "CONTROLLER");
  assert.equal(p.get("log.dirs"), "/s/data/kafka/logs");
  assert.equal(p.get("num.partitions"), "6");
  assert.equal(p.get("offsets.topic.replication.factor"), "1");
  assert.equal(p.get("transaction.state.log.replication.factor"), "1");
  assert.equal(p.get("transaction.state.log.min.isr"), "1");
  assert.equal(p.get("min.insync.replicas"), "1");
  assert.equal(p.get("auto.create.topics.enable"), "false");
  assert.equal(p.get("group.initial.rebalance.delay.ms"), "0");
});

test("server.properties follows a non-default port and partition count", () => {
  const p = parse(
    serverProperties({ listen: { host: "127.0.0.1", port: 19092 }, controllerPort: 19093, logDir: "/x", partitions: 12 }),
  );
  assert.equal(p.get("listeners"), "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
  assert.equal(p.get("num.partitions"), "12");
});

test("log4j writes a rolling file in the logs folder", () => {
  const p = parse(log4jProperties("/s/logs/kafka.log"));
  assert.equal(p.get("log4j.appender.file"), "org.apache.log4j.RollingFileAppender");
  assert.equal(p.get("log4j.appender.file.File"), "/s/logs/kafka.log");
  assert.match(p.get("log4j.rootLogger") ?? "", /^INFO, file$/);
});

test("cluster ids look like Kafka's: 22 base64url characters, random", () => {
  const a = newClusterId();
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a, newClusterId());
});
