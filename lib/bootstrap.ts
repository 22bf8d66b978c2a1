// Idempotent startup of the pipeline's shared state: topics in Kafka, schemas in the registry (BACKWARD).
// Run by `tld up` and by the test harness; running it twice changes nothing.
import { Compatibility } from "@confluentinc/schemaregistry/dist/schemaregistry-client.js";
import type { TldConfig } from "./config.js";
import { createKafka, ensureTopics } from "./kafka.js";
import { createLogger } from "./logger.js";
import { schemaText } from "./schemas.js";
import { createRegistryClient } from "./serde.js";
import { subjectOf, TOPIC_SCHEMAS, TOPICS } from "./topics.js";

export interface BootstrapLog {
  info(obj: object, msg?: string): void;
}

/** Registers each topic's schema under `<topic>-value` and pins the subject's compatibility to BACKWARD. */
export async function registerSchemas(config: TldConfig): Promise<Record<string, number>> {
  const client = createRegistryClient(config.registry.url);
  const ids: Record<string, number> = {};
  for (const topic of Object.values(TOPICS)) {
    const subject = subjectOf(topic);
    // Register before setting the subject's config: Apicurio keeps per-subject config on the artifact.
    ids[subject] = await client.register(subject, { schemaType: "AVRO", schema: schemaText(TOPIC_SCHEMAS[topic]) });
    await client.updateCompatibility(subject, Compatibility.BACKWARD);
  }
  return ids;
}

export async function bootstrapPipeline(config: TldConfig, log: BootstrapLog): Promise<void> {
  const kafka = createKafka(config, createLogger("bootstrap", "warn"));
  const created = await ensureTopics(kafka, config);
  log.info({ created, partitions: config.kafka.partitions }, created.length ? "topics created" : "topics already present");
  const ids = await registerSchemas(config);
  log.info({ ids }, "schemas registered (compatibility BACKWARD)");
}
