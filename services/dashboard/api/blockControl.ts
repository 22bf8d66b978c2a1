// The dashboard's BlockControl: its own Redis client (reconnecting, as a service's must) and a producer for
// tld.ar.commands connected on first use, so the API comes up even while Kafka is still starting.
import { AllowList } from "../../../lib/allowList.js";
import { BlockControl, commandRecords } from "../../../lib/blocks.js";
import type { TldConfig } from "../../../lib/config.js";
import { createKafka, Publisher } from "../../../lib/kafka.js";
import type { Logger } from "../../../lib/logger.js";
import type { ActiveResponseCommand } from "../../../lib/records.js";
import { createRegistryClient, TopicSerde } from "../../../lib/serde.js";
import { TOPICS } from "../../../lib/topics.js";
import type { Redis } from "ioredis";

export function dashboardBlockControl(config: TldConfig, redis: Redis, log: Logger): { control: BlockControl; close(): Promise<void> } {
  const publisher = new Publisher(createKafka(config, log, "tld-dashboard-blocks"));
  let ready: Promise<TopicSerde<ActiveResponseCommand>> | null = null;
  const connected = () =>
    (ready ??= (async () => {
      const serde = await new TopicSerde<ActiveResponseCommand>(createRegistryClient(config.registry.url), TOPICS.commands).init();
      await publisher.connect();
      return serde;
    })().catch((err: unknown) => {
      ready = null; // the next request tries again
      throw err;
    }));
  const control = new BlockControl({
    redis,
    allowList: new AllowList(config.activeResponse),
    publish: async (commands) => {
      const serde = await connected();
      await publisher.publish(commandRecords(serde, commands));
    },
  });
  return {
    control,
    close: async () => {
      if (ready) await publisher.disconnect().catch(() => undefined);
    },
  };
}
