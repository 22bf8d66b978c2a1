import assert from "node:assert/strict";
import { test } from "node:test";
import { bindAddress, connectHost, formatHostPort, isLocalHost, parseHostPort, parseSsUsers, redactUrl, urlHostPort } from "./net.js";

test("urlHostPort reads the port, else the scheme's default", () => {
  assert.deepEqual(urlHostPort("http://127.0.0.1:8081/apis/ccompat/v7"), { host: "127.0.0.1", port: 8081 });
  assert.deepEqual(urlHostPort("redis://127.0.0.1"), { host: "127.0.0.1", port: 6379 });
  assert.deepEqual(urlHostPort("postgres://postgres@db.example:5433/tld"), { host: "db.example", port: 5433 });
  assert.deepEqual(urlHostPort("postgresql://u:p@localhost/tld"), { host: "localhost", port: 5432 });
  assert.deepEqual(urlHostPort("http://[::1]:8081/x"), { host: "::1", port: 8081 });
  assert.throws(() => urlHostPort("foo://host/x"), /no port/);
});

test("parseHostPort handles Kafka broker notation, including IPv6", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:9092"), { host: "127.0.0.1", port: 9092 });
  assert.deepEqual(parseHostPort("[::1]:9092"), { host: "::1", port: 9092 });
  assert.throws(() => parseHostPort("127.0.0.1"), /host:port/);
  assert.throws(() => parseHostPort("h:0"), /out of range/);
  assert.equal(formatHostPort({ host: "::1", port: 9093 }), "[::1]:9093");
  assert.equal(formatHostPort({ host: "127.0.0.1", port: 9093 }), "127.0.0.1:9093");
});

test("local vs remote hosts, and where a private server binds", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "0.0.0.0"]) assert.equal(isLocalHost(h), true, h);
  for (const h of ["10.0.0.5", "kafka", "db.example"]) assert.equal(isLocalHost(h, new Set(["127.0.0.1", "192.0.2.7"])), false, h);
  // An address of one of this machine's interfaces (the LAN address agents reach the collector by) is local too.
  assert.equal(isLocalHost("192.0.2.7", new Set(["127.0.0.1", "192.0.2.7"])), true);
  assert.equal(isLocalHost("127.0.0.1", new Set()), true);
  assert.equal(bindAddress("192.0.2.7", new Set(["192.0.2.7"])), "192.0.2.7", "a configured interface address is honoured");
  assert.equal(bindAddress("192.0.2.8", new Set(["192.0.2.7"])), "127.0.0.1", "an address that is not ours: loopback");
  assert.equal(bindAddress("0.0.0.0", new Set(["0.0.0.0"])), "127.0.0.1");
  assert.equal(bindAddress("127.0.0.2"), "127.0.0.2");
  assert.equal(bindAddress("localhost"), "127.0.0.1");
  assert.equal(bindAddress("0.0.0.0"), "127.0.0.1", "never a wildcard bind");
  assert.equal(connectHost("0.0.0.0"), "127.0.0.1");
  assert.equal(connectHost("127.0.0.5"), "127.0.0.5");
});

test("redactUrl hides passwords only", () => {
  assert.equal(redactUrl("redis://:s3cret@127.0.0.1:6379"), "redis://:***@127.0.0.1:6379");
  assert.equal(redactUrl("postgres://postgres@127.0.0.1:5432/tld"), "postgres://postgres@127.0.0.1:5432/tld");
});

test("parseSsUsers names the listener", () => {
  const line = 'LISTEN 0 50 127.0.0.1:9092 0.0.0.0:* users:(("java",pid=4242,fd=151))';
  assert.deepEqual(parseSsUsers(line), { name: "java", pid: 4242 });
  assert.deepEqual(parseSsUsers("LISTEN 0 50 127.0.0.1:9092 0.0.0.0:*"), {});
});
