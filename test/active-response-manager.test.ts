// Active response through the running stack: an alert published on tld.alerts becomes an ActiveResponseCommand
// on tld.ar.commands (read with kcat) and reaches the agent on its real SSE channel, authenticated with its own
// key; allow-listed and hostile srcips give nothing; a repeat hit extends; a late agent gets its block with the
// time left; `tld blocks` adds, lists and lifts; a second collector instance delivers too. The stack's
// responder runs with a test configuration meanwhile (rule 190501 only) and gets its own back afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { localAgentKey } from "../lib/secrets.js";
import { alertPublisher, commandsOnKafka, SseClient, testAlert, useResponderConfig, type AlertPublisher, type SseCommand } from "./harness/responder.js";
import { freePort, startServiceInstance } from "../demo/victim.js";
import { collectorBase, enrolledAgent, type TestAgent } from "./harness/agent.js";
import { config, runTag, tld, waitFor } from "./harness/tools.js";

const RULE = "190501";
const TIMEOUT = 20;
const net = `198.18.${runTag()}`;
const tag = `ar${Date.now() % 1_000_000}`;
const startedAt = Date.now() - 5_000;

let responder: Awaited<ReturnType<typeof useResponderConfig>> | undefined;
let alerts: AlertPublisher | undefined;
const agents: TestAgent[] = [];
const channels: SseClient[] = [];
let a: TestAgent & { key: string };
let late: TestAgent & { key: string };

const keyOf = (agent: TestAgent) => (JSON.parse(readFileSync(path.join(agent.stateDir, "agent.key"), "utf8")) as { key: string }).key;
async function enroll(name: string): Promise<TestAgent & { key: string }> {
  const agent = await enrolledAgent(name);
  agents.push(agent);
  return { ...agent, key: keyOf(agent) };
}
async function channel(agent: { key: string }, base = collectorBase()): Promise<SseClient> {
  const sse = await SseClient.open(base, agent.key);
  channels.push(sse);
  assert.equal(sse.status, 200);
  return sse;
}
const alertFor = (agent: TestAgent, n: string, srcip: string | null) => testAlert(`${tag}-${n}:${RULE}`, { id: agent.id, name: agent.name }, srcip, RULE);
const forIp = (ip: string, action = "add") => (c: SseCommand) => c.ip === ip && c.action === action;
const mineOnKafka = (agentId: string) => commandsOnKafka(startedAt).filter((r) => r.key === agentId);
const ack = (key: string, ids: string[]) =>
  fetch(`${collectorBase()}/v1/agents/commands/ack`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ ids }) });

before(async () => {
  a = await enroll(`it-${tag}-a`);
  late = await enroll(`it-${tag}-late`);
  alerts = await alertPublisher();
  responder = await useResponderConfig({
    responses: [{ command: "firewall-drop", location: "local", rulesId: [RULE], timeout: TIMEOUT, repeatedOffenders: [2 * TIMEOUT] }],
    allowList: ["192.0.2.0/24"],
  });
});

after(async () => {
  for (const sse of channels) await sse.close();
  await alerts?.close();
  // Whatever happened above, the shared stack's responder gets its own configuration back.
  await responder?.restore();
  for (const agent of agents) await tld("agents", "rm", agent.id).catch(() => undefined);
});

test("an alert on tld.alerts becomes one command on tld.ar.commands, keyed by agent, delivered on the agent's SSE channel", async () => {
  const sse = await channel(a);
  const ip = `${net}.1`;
  const published = Date.now();
  await alerts!.publish(alertFor(a, "first", ip));
  const got = await sse.waitFor(`add ${ip}`, forIp(ip));
  console.log(`# alert -> command on the agent's channel: ${got.receivedAt - published} ms (busy shared machine)`);
  assert.equal(got.program, "firewall-drop");
  assert.equal(got.ruleId, RULE);
  assert.equal(got.alertId, `${tag}-first:${RULE}`);
  assert.equal(got.expiresAt - got.createdAt, TIMEOUT * 1000);
  assert.ok(got.ttlSeconds <= TIMEOUT && got.ttlSeconds >= TIMEOUT - 2, `ttlSeconds ${got.ttlSeconds}`);
  const onKafka = await waitFor("the command on tld.ar.commands", () => {
    const found = mineOnKafka(a.id).filter((r) => r.command.ip === ip);
    return found.length > 0 ? found : undefined;
  });
  assert.deepEqual(onKafka.map((r) => r.command.id), [got.id], "one command, the one delivered");
  const { agentId, ...wire } = onKafka[0].command;
  const { receivedAt: _at, ...delivered } = got;
  assert.equal(agentId, a.id);
  assert.deepEqual(delivered, { ...wire, ttlSeconds: got.ttlSeconds }, "the SSE message is the command (ttlSeconds: what was left)");
  const acked = await ack(a.key, [got.id]);
  assert.equal(acked.status, 200);
  assert.deepEqual(await acked.json(), { acked: 1 });
});

test("allow-listed, loopback and hostile srcips give no command (refused and counted), only the marker that follows them does", async () => {
  const sse = await channel(a);
  const refused = ["192.0.2.10", "127.0.0.1", "::1", "1.2.3.4;reboot", "$(id)", "--flush", "01.2.3.4", "fe80::1%eth0", "1".repeat(300), "::ffff:1.2.3.4 ; x"];
  const before = (await (await fetch(`http://127.0.0.1:${config().responder.port}/metrics`)).text()).match(/tld_responder_skipped_total\{[^}]*reason="invalid_srcip"[^}]*\} (\d+)/)?.[1];
  await alerts!.publish(...refused.map((ip, i) => alertFor(a, `refused-${i}`, ip)));
  const marker = `${net}.2`;
  await alerts!.publish(alertFor(a, "marker", marker));
  // Same agent, same partition, so the responder handled every refused alert before the marker.
  await sse.waitFor(`add ${marker}`, forIp(marker));
  assert.deepEqual(sse.commands.filter((c) => c.ip !== marker).map((c) => c.ip).filter((ip) => !ip.startsWith(net)), []);
  const ips = new Set(mineOnKafka(a.id).map((r) => r.command.ip));
  for (const ip of refused) assert.ok(!ips.has(ip), `${ip} must not be on tld.ar.commands`);
  const metrics = await (await fetch(`http://127.0.0.1:${config().responder.port}/metrics`)).text();
  const count = (reason: string) => Number(metrics.match(new RegExp(`tld_responder_skipped_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`))?.[1] ?? 0);
  assert.ok(count("invalid_srcip") - Number(before ?? 0) >= 7, `hostile values counted: ${count("invalid_srcip")}`);
  assert.ok(count("allow_listed") >= 3, `allow-listed counted: ${count("allow_listed")}`);
});

test("a repeat hit extends the block (a new add, later expiresAt, one block); a replayed alert adds nothing new", async () => {
  const sse = await channel(a);
  const ip = `${net}.3`;
  await alerts!.publish(alertFor(a, "hit-1", ip));
  const first = await sse.waitFor(`add ${ip}`, forIp(ip));
  await new Promise((r) => setTimeout(r, 1_500));
  await alerts!.publish(alertFor(a, "hit-2", ip));
  const second = await sse.waitFor(`second add ${ip}`, (c) => forIp(ip)(c) && c.id !== first.id);
  assert.ok(second.expiresAt >= first.expiresAt + 1_000, `extended: ${second.expiresAt - first.expiresAt} ms`);
  const listed = (JSON.parse((await tld("blocks", "ls", "--json", "--agent", a.id)).stdout) as { ip: string; hits: number; commandId: string; createdAt: number; expiresAt: number }[]).filter((b) => b.ip === ip);
  assert.equal(listed.length, 1, "one live block, not two");
  assert.deepEqual([listed[0].hits, listed[0].commandId, listed[0].expiresAt], [2, second.id, second.expiresAt]);
  assert.equal(listed[0].createdAt, first.createdAt, "the block began with the first hit");
  // At-least-once: both alerts again, as after a crash before the commit. Nothing new may come of them.
  await alerts!.publish(alertFor(a, "hit-1", ip), alertFor(a, "hit-2", ip));
  const marker = `${net}.4`;
  await alerts!.publish(alertFor(a, "marker-2", marker));
  await sse.waitFor(`add ${marker}`, forIp(marker));
  assert.deepEqual([...new Set(mineOnKafka(a.id).filter((r) => r.command.ip === ip).map((r) => r.command.id))].sort(), [first.id, second.id].sort());
  const after = (JSON.parse((await tld("blocks", "ls", "--json", "--agent", a.id)).stdout) as { ip: string; hits: number }[]).filter((b) => b.ip === ip);
  assert.equal(after[0].hits, 2, "a replay is not a hit");
});

test("an agent that connects late gets its active block with the time left, and again on every reconnect", async () => {
  const ip = `${net}.5`;
  await alerts!.publish(alertFor(late, "late", ip));
  const published = await waitFor("the late agent's command on tld.ar.commands", () => mineOnKafka(late.id).find((r) => r.command.ip === ip));
  await new Promise((r) => setTimeout(r, 2_500));
  const sse = await channel(late);
  const got = await sse.waitFor(`add ${ip} on connect`, forIp(ip), 10_000);
  assert.equal(got.id, published.command.id);
  assert.equal(got.expiresAt, published.command.expiresAt);
  assert.ok(got.ttlSeconds <= TIMEOUT - 2 && got.ttlSeconds >= 1, `remaining ttl ${got.ttlSeconds}`);
  assert.ok(Math.abs(got.ttlSeconds - (got.expiresAt - got.receivedAt) / 1000) <= 1.5, "ttlSeconds is what was left at send time");
  await ack(late.key, [got.id]);
  await sse.close();
  // Acknowledged, but an active block is re-sent on each connect: the agent may have lost its firewall state.
  const again = await channel(late);
  assert.equal((await again.waitFor(`add ${ip} again`, forIp(ip), 10_000)).id, got.id);
});

test("tld blocks add / ls / rm: the agent gets the add and the delete; a delete not acknowledged is sent again", async () => {
  const sse = await channel(a);
  const ip = `${net}.6`;
  const added = JSON.parse((await tld("blocks", "add", a.name, ip, "--ttl", "30", "--json")).stdout) as { block: { manual: boolean; agentId: string }; command: { id: string } };
  assert.deepEqual([added.block.manual, added.block.agentId], [true, a.id]);
  const add = await sse.waitFor(`manual add ${ip}`, forIp(ip));
  assert.equal(add.id, added.command.id);
  assert.equal(add.alertId, null);
  const table = (await tld("blocks", "ls")).stdout;
  assert.match(table, new RegExp(`${a.id}\\s+${a.name}\\s+${ip.replace(/\./g, "\\.")}\\s+firewall-drop\\s+manual\\s+0\\s+(2\\d|30)s`));
  const removed = (await tld("blocks", "rm", a.id, ip)).stdout;
  assert.match(removed, new RegExp(`unblocked ${ip.replace(/\./g, "\\.")} on agent ${a.id}`));
  const del = await sse.waitFor(`delete ${ip}`, forIp(ip, "delete"));
  assert.equal(del.ttlSeconds, 0);
  const listed = JSON.parse((await tld("blocks", "ls", "--json")).stdout) as { ip: string }[];
  assert.ok(!listed.some((b) => b.ip === ip));
  await sse.close();
  // Reconnect without acking: the delete is still due (the add is not: the block is gone).
  const again = await channel(a);
  await again.waitFor(`delete ${ip} again`, (c) => c.id === del.id, 10_000);
  assert.ok(!again.commands.some((c) => c.id === add.id), "the lifted block's add is not re-sent");
  await ack(a.key, [del.id]);
  await again.close();
  const third = await channel(a);
  await third.waitFor(`the marker of the first test`, (c) => c.ip === `${net}.2`, 10_000);
  assert.ok(!third.commands.some((c) => c.id === del.id), "an acknowledged delete is not re-sent");
  // Clear errors, exit 1, nothing published.
  await assert.rejects(tld("blocks", "add", a.id, "1.2.3.4;reboot", "--ttl", "30"), (e: { stderr: string; code: number }) => /"1\.2\.3\.4;reboot" is not an IP address/.test(e.stderr) && e.code === 1);
  await assert.rejects(tld("blocks", "add", "no-such-agent", "203.0.113.1", "--ttl", "30"), /no agent "no-such-agent" is enrolled/);
  await assert.rejects(tld("blocks", "add", a.id, "127.0.0.1", "--ttl", "30"), /127\.0\.0\.1 is never blocked: loopback/);
  await assert.rejects(tld("blocks", "rm", a.id, ip), /is not blocked on agent/);
});

test("the channel: 401 without a valid key, 403 for the manager's key; malformed acks get 400", async () => {
  assert.equal((await SseClient.open(collectorBase(), null)).status, 401);
  assert.equal((await SseClient.open(collectorBase(), `${a.id}.not-the-secret`)).status, 401);
  assert.equal((await SseClient.open(collectorBase(), localAgentKey(config()))).status, 403);
  const bad = await fetch(`${collectorBase()}/v1/agents/commands/ack`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${a.key}` }, body: JSON.stringify({ ids: ["$(id)"] }) });
  assert.equal(bad.status, 400);
});

test("a second collector instance delivers to the agents connected to it, whichever instance reads the partition", async () => {
  const port = await freePort("127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const second = await startServiceInstance("collector", { TLD_COLLECTOR_PORT: String(port), TLD_LOG_LEVEL: "warn" }, `${base}/readyz`);
  try {
    const viaSecond = await channel(a, base);
    const viaFirst = await channel(a);
    const ip = `${net}.7`;
    await alerts!.publish(alertFor(a, "two-instances", ip));
    // The consumer group rebalances as the second instance joins: allow it time.
    const got = await viaSecond.waitFor(`add ${ip} via the second instance`, forIp(ip), 60_000);
    assert.equal((await viaFirst.waitFor(`add ${ip} via the first instance`, forIp(ip), 60_000)).id, got.id);
  } finally {
    await second.stop();
  }
});
