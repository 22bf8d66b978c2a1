import { test } from "node:test";
import assert from "node:assert/strict";
import { readBatch } from "./batch.js";

const limits = { maxLinesPerBatch: 3, maxLineBytes: 20 };

test("a valid batch becomes RawEvents carrying the agent, location and format", () => {
  const r = readBatch({ agent: { name: "web 1", os: "linux" }, events: [{ id: "a", location: "/var/log/x", logFormat: "apache", message: "hello", collectedAt: 5 }] }, limits, "127.0.0.1", 9);
  assert.ok(r.ok);
  assert.deepEqual(r.events[0], { id: "a", agent: { id: "web_1", name: "web 1", ip: "127.0.0.1", os: "linux" }, location: "/var/log/x", logFormat: "apache", message: "hello", collectedAt: 5, receivedAt: 9 });
});

test("events without ids get distinct generated ids", () => {
  const r = readBatch({ agent: { name: "a" }, events: [{ location: "l", logFormat: "json", message: "{}" }, { location: "l", logFormat: "json", message: "{}" }] }, limits, null);
  assert.ok(r.ok);
  assert.notEqual(r.events[0].id, r.events[1].id);
});

test("one bad event refuses the whole batch, naming where", () => {
  const cases: [unknown, RegExp][] = [
    [{ agent: { name: "a" }, events: [{ location: "l", logFormat: "apache", message: "ok" }, { location: "l", logFormat: "exe", message: "x" }] }, /events\.1\.logFormat/],
    [{ agent: { name: "a" }, events: [{ location: "l", logFormat: "apache", message: "x".repeat(21) }] }, /longer than 20/],
    [{ agent: { name: "a" }, events: Array(4).fill({ location: "l", logFormat: "apache", message: "x" }) }, /events/],
    [{ agent: { name: "a" }, events: [] }, /events/],
    [{ agent: { id: "../etc", name: "a" }, events: [{ location: "l", logFormat: "apache", message: "x" }] }, /agent\.id/],
    [{ agent: { name: "a" }, events: [{ location: "l", logFormat: "apache", message: "x", extra: 1 }] }, /events\.0/],
    ["not json object", /body/],
  ];
  for (const [body, expected] of cases) {
    const r = readBatch(body, limits, null);
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, expected);
  }
});

test("an enrolled agent's events carry its registered identity, not the body's claim", () => {
  const body = { agent: { id: "999", name: "impostor", os: "plan9" }, events: [{ id: "e1", location: "C:\\Apache24\\logs\\access.log", logFormat: "apache", message: "x" }] };
  const r = readBatch(body, limits, "10.0.0.7", 1, { id: "001", name: "win11", os: "windows" });
  assert.ok(r.ok);
  assert.deepEqual(r.events[0].agent, { id: "001", name: "win11", ip: "10.0.0.7", os: "windows" });
  assert.equal(r.events[0].location, "C:\\Apache24\\logs\\access.log");
  const noAgent = readBatch({ events: body.events }, limits, null, 1, { id: "001", name: "win11", os: null });
  assert.ok(noAgent.ok);
});

test("the manager's key must name the agent in the body", () => {
  const r = readBatch({ events: [{ location: "l", logFormat: "apache", message: "x" }] }, limits, null);
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /^agent:/);
});
