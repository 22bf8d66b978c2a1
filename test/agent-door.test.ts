// Enrollment and the collector's door for enrolled agents: unauthenticated, revoked, oversized and malformed
// requests get 401/401/413/400 and leave nothing in Kafka; events carry the enrolled identity, not the body's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { collectorBase, enrolledAgent, testEnrollmentPassword } from "./harness/agent.js";
import { config, readTopicWithKcat, runTag, tld } from "./harness/tools.js";
import { avroType } from "../lib/schemas.js";
import type { RawEvent } from "../lib/records.js";

const post = (urlPath: string, body: string, key?: string) =>
  fetch(`${collectorBase()}${urlPath}`, { method: "POST", headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });

interface AgentRow {
  id: string;
  name: string;
  status: string;
  groups: string[];
  os: string | null;
  lastKeepalive: number | null;
}
const listAgents = async () => JSON.parse((await tld("agents", "ls", "--json")).stdout) as AgentRow[];

test("enrollment: wrong password 401, key file 0600, registry shows the agent; keepalive makes it active", async () => {
  const tag = `door${runTag()}x${Date.now() % 1_000_000}`;
  testEnrollmentPassword(); // enrollment must be open, else a wrong password gets 403 (closed), not 401
  const wrong = await post("/v1/agents/enroll", JSON.stringify({ password: "not-the-password", name: `it-${tag}-x` }));
  assert.equal(wrong.status, 401);
  const agent = await enrolledAgent(`it-${tag}`);
  const keyFile = path.join(agent.stateDir, "agent.key");
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const row = (await listAgents()).find((a) => a.id === agent.id);
  assert.equal(row?.name, agent.name);
  assert.equal(row?.status, "never_connected");
  assert.deepEqual(row?.groups, ["it"]);
  const { key } = JSON.parse(readFileSync(keyFile, "utf8")) as { key: string };
  assert.equal((await post("/v1/agents/keepalive", JSON.stringify({ buffered: 0, dropped: 0 }), key)).status, 200);
  assert.equal((await listAgents()).find((a) => a.id === agent.id)?.status, "active");
  // The same name again is refused unless forced.
  const again = await post("/v1/agents/enroll", JSON.stringify({ password: testEnrollmentPassword(), name: agent.name }));
  assert.equal(again.status, 409);
  await tld("agents", "rm", agent.id);
});

test("401 without a key, 401 once revoked, 413 oversized, 400 malformed (whole); nothing of them in Kafka", async () => {
  const tag = `door${runTag()}x${Date.now() % 1_000_000}`;
  const agent = await enrolledAgent(`it-${tag}`);
  const { key } = JSON.parse(readFileSync(path.join(agent.stateDir, "agent.key"), "utf8")) as { key: string };
  const event = (what: string, extra: object = {}) => ({ id: `${tag}-${what}`, location: "/var/log/x", logFormat: "apache", message: `${tag} ${what}`, ...extra });
  const batch = (...events: object[]) => JSON.stringify({ events });

  assert.equal((await post("/v1/events", batch(event("nokey")))).status, 401);
  assert.equal((await post("/v1/events", batch(event("badkey")), `${agent.id}.not-the-secret`)).status, 401);
  const huge = batch(event("huge", { message: "x".repeat(config().collector.bodyLimitBytes) }));
  assert.equal((await post("/v1/events", huge, key)).status, 413);
  const half = await post("/v1/events", batch(event("half-ok"), event("half-bad", { logFormat: "nope" })), key);
  assert.equal(half.status, 400);
  assert.match(((await half.json()) as { error: string }).error, /events\.1\.logFormat/);
  // Accepted, and attributed to the enrolled identity whatever the body claims.
  const claimed = await post("/v1/events", JSON.stringify({ agent: { id: "999", name: "impostor" }, events: [event("ok")] }), key);
  assert.equal(claimed.status, 202);

  assert.equal((await tld("agents", "rm", agent.id)).stdout.trim(), `removed agent ${agent.id}; its key is revoked`);
  assert.equal((await post("/v1/events", batch(event("revoked")), key)).status, 401);
  assert.equal((await post("/v1/agents/keepalive", "{}", key)).status, 401);
  await assert.rejects(tld("agents", "rm", agent.id), /no agent with id/);

  await new Promise((r) => setTimeout(r, 1_000));
  const type = avroType("RawEvent");
  // Any record holding this run's tag, whatever its key (a refused batch must not have leaked under any name).
  const mine = readTopicWithKcat("tld.events.raw")
    .filter((r) => r.value.includes(tag))
    .map((r) => ({ key: r.key, event: type.fromBuffer(r.value.subarray(5)) as RawEvent }));
  console.log(`# door test: ${mine.length} event(s) of this run in Kafka (expected 1: the accepted one)`);
  assert.deepEqual(mine.map((r) => r.event.message), [`${tag} ok`]);
  assert.equal(mine[0].key, agent.id);
  assert.deepEqual({ ...mine[0].event.agent }, { id: agent.id, name: agent.name, ip: "127.0.0.1", os: "linux" });
});
