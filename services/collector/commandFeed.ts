// tld.ar.commands -> the command store -> every collector instance's connected agents. One consumer group for
// all collector instances: whichever instance owns an agent's partition queues the agent's commands in Redis
// (where any instance can read them on a reconnect) and announces each on the push channel (where the instance
// holding the agent's connection picks it up). The offset is committed after both, so a crash replays commands
// into the store, which takes each id once, and to the agent, which applies each id once.
import type { Redis } from "ioredis";
import { consumeAtLeastOnce, TransientError } from "../../lib/consume.js";
import { createConsumer, type Publisher } from "../../lib/kafka.js";
import type { ActiveResponseCommand, DeadLetter } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import type { ServiceContext } from "../../lib/service.js";
import type { Kafka } from "kafkajs";
import { PUSH_CHANNEL, pushMessage } from "./commandChannel.js";
import type { CommandStore } from "./commandStore.js";

export interface CommandFeedOptions {
  ctx: ServiceContext;
  kafka: Kafka;
  publisher: Publisher;
  commands: TopicSerde<ActiveResponseCommand>;
  dlq: TopicSerde<DeadLetter>;
  store: CommandStore;
  redis: Redis;
}

export async function startCommandFeed(options: CommandFeedOptions): Promise<void> {
  const { ctx, store, redis } = options;
  // Few records, each urgent: fetched the moment they are there, not batched.
  const consumer = createConsumer(options.kafka, ctx.config, "collector-commands", "immediate");
  consumer.on(consumer.events.GROUP_JOIN, (e) => ctx.log.info({ assignment: e.payload.memberAssignment }, "command feed joined its consumer group"));
  consumer.on(consumer.events.CRASH, (e) => ctx.log.error({ err: e.payload.error, restart: e.payload.restart }, "command feed crashed"));
  await consumer.connect();
  ctx.onShutdown("command feed", () => consumer.disconnect());
  await consumeAtLeastOnce<ActiveResponseCommand>({
    stage: "collector",
    consumer,
    publisher: options.publisher,
    input: options.commands,
    dlq: options.dlq,
    log: ctx.log,
    handle: async (command) => {
      try {
        // Expired or acknowledged already (a replay): nothing to queue and nothing to announce.
        if (await store.apply(command)) await redis.publish(PUSH_CHANNEL, pushMessage(command));
      } catch (err) {
        throw new TransientError(`command store unavailable: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      return [];
    },
  });
}
