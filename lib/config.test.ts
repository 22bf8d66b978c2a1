import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ConfigError, loadConfig, PACKAGE_ROOT } from "./config.js";

const fixture = (name: string) => path.join(PACKAGE_ROOT, "test", "fixtures", "config", name);

test("defaults (loopback, design ports) under the values the file sets", () => {
  const c = loadConfig({ env: {}, file: fixture("valid.yaml") });
  assert.equal(c.collector.host, "127.0.0.1");
  assert.equal(c.collector.port, 1514);
  assert.equal(c.kafka.partitions, 3);
  assert.equal(c.dashboard.port, 5602);
  assert.deepEqual(c.kafka.brokers, ["127.0.0.1:9092"]);
  assert.equal(c.stateDir, path.join(c.home, ".tld"));
});

test("TLD_* environment overrides the file", () => {
  const c = loadConfig({ env: { TLD_KAFKA_BROKERS: "a:1, b:2", TLD_KAFKA_PARTITIONS: "12", TLD_COLLECTOR_AGENT_KEY: "0123456789abcdef0123" }, file: fixture("valid.yaml") });
  assert.deepEqual(c.kafka.brokers, ["a:1", "b:2"]);
  assert.equal(c.kafka.partitions, 12);
  assert.equal(c.collector.agentKey, "0123456789abcdef0123");
});

test("every bad key is named, once, with the env var that sets it", () => {
  assert.throws(() => loadConfig({ env: {}, file: fixture("unknown_key.yaml") }), (err: ConfigError) => {
    assert.deepEqual(err.problems, ['kafka.partitons: Unrecognized key: "partitons"']);
    return true;
  });
  assert.throws(() => loadConfig({ env: { TLD_KAFKA_PARTITIONS: "zero" }, file: fixture("port_out_of_range.yaml") }), (err: ConfigError) => {
    assert.equal(err.problems.length, 2);
    assert.match(err.problems.join("\n"), /kafka\.partitions \(TLD_KAFKA_PARTITIONS\)/);
    assert.match(err.problems.join("\n"), /collector\.port \(TLD_COLLECTOR_PORT\)/);
    return true;
  });
});

test("a named config file that does not exist is an error, not silently defaults", () => {
  assert.throws(() => loadConfig({ env: { TLD_CONFIG: "/nonexistent/tld.yaml" } }), /does not exist/);
});

test("HTTP limits: every service's port has bounded timeouts and a connection cap by default; env sets them", () => {
  const c = loadConfig({ env: {}, file: fixture("valid.yaml") });
  assert.deepEqual(c.http, { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, idleTimeoutMs: 120_000, keepAliveTimeoutMs: 72_000, maxConnections: 10_000 });
  const e = loadConfig({ env: { TLD_HTTP_HEADERS_TIMEOUT_MS: "2000", TLD_HTTP_REQUEST_TIMEOUT_MS: "4000", TLD_HTTP_MAX_CONNECTIONS: "64" }, file: fixture("valid.yaml") });
  assert.deepEqual([e.http.headersTimeoutMs, e.http.requestTimeoutMs, e.http.maxConnections], [2000, 4000, 64]);
  assert.throws(() => loadConfig({ env: { TLD_HTTP_HEADERS_TIMEOUT_MS: "9000", TLD_HTTP_REQUEST_TIMEOUT_MS: "4000" }, file: fixture("valid.yaml") }), (err: ConfigError) => {
    assert.deepEqual(err.problems, ["http.headersTimeoutMs (TLD_HTTP_HEADERS_TIMEOUT_MS): headersTimeoutMs cannot be longer than requestTimeoutMs"]);
    return true;
  });
});
