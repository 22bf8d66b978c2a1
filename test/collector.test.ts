// The collector's door: unauthenticated, oversized and malformed requests are refused and write nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { localAgentKey } from "../lib/secrets.js";
import { config, readTopicWithKcat, runTag } from "./harness/tools.js";

const base = () => `http://${config().collector.host}:${config().collector.port}`;
const post = (body: string, headers: Record<string, string>) =>
  fetch(`${base()}/v1/events`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

test("401 without the agent key, 413 over the body limit, 400 for a malformed batch; nothing is written", async () => {
  const tag = `it-door-${runTag()}-${Date.now()}`;
  const key = localAgentKey(config());
  const event = { location: "/var/log/x", logFormat: "apache", message: "line" };
  const good = (agent: string) => JSON.stringify({ agent: { name: agent }, events: [event] });

  assert.equal((await post(good(tag), {})).status, 401);
  assert.equal((await post(good(tag), { authorization: "Bearer wrong-key-of-some-length-here-000000" })).status, 401);
  const huge = JSON.stringify({ agent: { name: tag }, events: [{ ...event, message: "x".repeat(config().collector.bodyLimitBytes) }] });
  assert.equal((await post(huge, { authorization: `Bearer ${key}` })).status, 413);
  const half = JSON.stringify({ agent: { name: tag }, events: [event, { ...event, logFormat: "nope" }] });
  const malformed = await post(half, { authorization: `Bearer ${key}` });
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { error: string }).error, /events\.1\.logFormat/);
  assert.equal((await post("{not json", { authorization: `Bearer ${key}` })).status, 400);

  // The control: the same key and shape is accepted, and only that one event of this agent is in Kafka.
  const ok = await post(good(`${tag}-ok`), { authorization: `Bearer ${key}` });
  assert.equal(ok.status, 202);
  await new Promise((r) => setTimeout(r, 1_000));
  const raw = readTopicWithKcat("tld.events.raw");
  assert.equal(raw.filter((r) => r.key === tag).length, 0, "refused requests wrote nothing");
  assert.equal(raw.filter((r) => r.key === `${tag}-ok`).length, 1);
});
