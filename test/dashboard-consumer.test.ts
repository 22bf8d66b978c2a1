// The running dashboard's consumer: alerts published on tld.alerts become searchable through its API; a
// replayed alert is stored once; an alert the store cannot hold is dead-lettered without stalling its partition.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { createKafka, Publisher } from "../lib/kafka.js";
import type { Alert } from "../lib/records.js";
import { dashboardApiToken } from "../lib/secrets.js";
import { createRegistryClient, TopicSerde } from "../lib/serde.js";
import { TOPICS } from "../lib/topics.js";
import { testAlert } from "./harness/dashboard.js";
import { config, readTopicWithKcat, waitFor } from "./harness/tools.js";

let publisher: Publisher;
let serde: TopicSerde<Alert>;
const base = () => `http://${config().dashboard.host}:${config().dashboard.port}`;

before(async () => {
  const c = config();
  serde = await new TopicSerde<Alert>(createRegistryClient(c.registry.url), TOPICS.alerts).init();
  publisher = new Publisher(createKafka(c, pino({ level: "silent" }), "tld-test-dashboard"));
  await publisher.connect();
});

after(async () => {
  await publisher?.disconnect();
});

const publish = (alerts: Alert[]) => publisher.publish(alerts.map((a) => ({ topic: TOPICS.alerts, key: a.agent.id, value: serde.encode(a) })));

async function search(q: string): Promise<{ items: { id: string; rule: { id: string }; agent: { name: string }; data: Record<string, string> }[]; total: number }> {
  const url = new URL("/api/alerts", base());
  url.searchParams.set("q", q);
  const res = await fetch(url, { headers: { authorization: `Bearer ${dashboardApiToken(config()).value}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as never;
}

test("alerts published on tld.alerts are searchable by the use case's filter; a replay is stored once", async () => {
  const agent = { id: `9${process.pid % 100_000}`, name: `consumer-test-${process.pid}-${Date.now()}` };
  const block = testAlert({ agent, rule: { id: "651", level: 3, description: "Host Blocked by firewall-drop Active Response", groups: ["active_response"] }, fields: { srcip: "203.0.113.77" } });
  const hits = [1, 2, 3].map(() => testAlert({ agent, rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, fields: { srcip: "203.0.113.77" } }));
  const unrelated = testAlert({ agent, rule: { id: "31108", level: 5 } });
  await publish([...hits, block, unrelated]);
  const q = `rule.id:(651 OR 100100) and agent.name:"${agent.name}" and data.srcip:203.0.113.77`;
  const found = await waitFor("the alerts in the dashboard", async () => {
    const page = await search(q);
    return page.total === 4 ? page : undefined;
  }, 30_000);
  assert.deepEqual(found.items.map((a) => a.rule.id).sort(), ["100100", "100100", "100100", "651"], "exactly those alerts, not the 31108 beside them");

  // The same alerts again (a matcher replaying after a crash), then a marker behind them on the same partition.
  const marker = testAlert({ agent, rule: { id: "31108", level: 5, description: "marker" } });
  await publish([...hits, block]);
  await publish([marker]);
  await waitFor("the marker", async () => ((await search(`id:"${marker.id}"`)).total === 1 ? true : undefined), 30_000);
  assert.equal((await search(q)).total, 4, "the replayed alerts were not stored twice");
  assert.equal((await search(`agent.name:"${agent.name}"`)).total, 6);
});

test("an alert the store refuses goes to tld.dlq and the alerts behind it still arrive", async () => {
  const since = Date.now() - 1_000;
  const agent = { id: `8${process.pid % 100_000}`, name: `consumer-dlq-${process.pid}-${Date.now()}` };
  const refused = testAlert({ agent, rule: { level: 99 } });
  const behind = testAlert({ agent });
  await publish([refused, behind]);
  await waitFor("the alert behind the refused one", async () => ((await search(`id:"${behind.id}"`)).total === 1 ? true : undefined), 30_000);
  assert.equal((await search(`id:"${refused.id}"`)).total, 0);
  const dead = await waitFor("the dead letter", () => readTopicWithKcat(TOPICS.dlq, since).find((r) => r.value.includes(Buffer.from(refused.id))), 15_000);
  assert.match(dead.value.toString("latin1"), /rule level 99 is not 0-16/);
});
