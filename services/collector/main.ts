// collector: the agents' only door. Wiring only; validation lives in batch.ts, routes in ingest.ts.
import { createKafka, Publisher } from "../../lib/kafka.js";
import type { RawEvent } from "../../lib/records.js";
import { localAgentKey } from "../../lib/secrets.js";
import { createRegistryClient, TopicSerde } from "../../lib/serde.js";
import { createService, listen } from "../../lib/service.js";
import { retry } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import { registerIngest } from "./ingest.js";

const ctx = createService("collector", { bodyLimit: (c) => c.collector.bodyLimitBytes });
const { config, log } = ctx;
const raw = await retry(() => new TopicSerde<RawEvent>(createRegistryClient(config.registry.url), TOPICS.raw).init(), log, "schema for tld.events.raw");
const publisher = new Publisher(createKafka(config, log, "tld-collector"));
await retry(() => publisher.connect(), log, "Kafka");
ctx.onShutdown("producer", () => publisher.disconnect());
await registerIngest(ctx.http, {
  agentKey: localAgentKey(config),
  limits: config.collector,
  publisher,
  raw,
  metrics: ctx.metrics,
});
await listen(ctx, config.collector.host, config.collector.port);
ctx.setReady(true);

