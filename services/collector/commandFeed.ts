// tld.ar.commands -> the command store -> this instance's connected agents. Every collector instance reads the
// whole topic in a consumer group of its own (named after its host and port, so a restart resumes where it
// left off): it keeps the store in Redis up to date (where any instance reads what is due when an agent
// connects; applying a command twice changes nothing) and hands each command to the agents connected to it.
// No instance waits on another: one that dies or rebalances holds up nobody's commands. The offset is
// committed after the store has the command, so a crash replays it, and agents apply each id once.
import { hostname } from "node:os";
import { consumeAtLeastOnce, TransientError } from "../../lib/consume.js";
import { createConsumer, runLastingConsumer, type Publisher } from "../../lib/kafka.js";
import type { ActiveResponseCommand, DeadLetter } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import type { ServiceContext } from "../../lib/service.js";
import type { Kafka } from "kafkajs";
import type { CommandHub } from "./commandChannel.js";
import type { CommandStore } from "./commandStore.js";

export interface CommandFeedOptions {
  ctx: ServiceContext;
  kafka: Kafka;
  publisher: Publisher;
  commands: TopicSerde<ActiveResponseCommand>;
  dlq: TopicSerde<DeadLetter>;
  store: CommandStore;
  hub: CommandHub;
}

/** This instance's consumer group: one per collector instance, stable across its restarts. */
export function commandFeedGroup(host: string, port: number): string {
  return `collector-commands.${host.replace(/[^A-Za-z0-9._-]/g, "_")}-${port}`;
}

export async function startCommandFeed(options: CommandFeedOptions): Promise<void> {
  const { ctx, store, hub } = options;
  const group = commandFeedGroup(hostname(), ctx.config.collector.port);
  // Few records, each urgent: fetched the moment they are there, not batched.
  const consumer = await runLastingConsumer(
    () => createConsumer(options.kafka, ctx.config, group, "immediate"),
    (c) =>
      consumeAtLeastOnce<ActiveResponseCommand>({
        stage: "collector",
        consumer: c,
        publisher: options.publisher,
        input: options.commands,
        dlq: options.dlq,
        log: ctx.log,
        // Each command is a Redis round trip; one after another, a new instance took ~2.5 s to read 41k commands
        // before passing a new one on. Commands of different (agent, IP) are independent (the store orders the
        // add/delete of one IP), so up to 64 go at once; those of one (agent, IP) keep the topic's order.
        concurrencyKey: (command) => `${command.agentId} ${command.ip}`,
        handle: async (command) => {
          let queued: boolean;
          try {
            queued = await store.apply(command);
          } catch (err) {
            throw new TransientError(`command store unavailable: ${(err as Error)?.message ?? String(err)}`, { cause: err });
          }
          // Expired or acknowledged already (a replay): nothing to deliver.
          if (queued) hub.deliver(command);
          return [];
        },
      }),
    ctx.log,
    {
      onJoin: (assignment) => ctx.log.info({ group, assignment }, "command feed joined its consumer group"),
      onCrash: (err, restarting) => ctx.log.error({ err, restart: restarting }, "command feed crashed"),
    },
  );
  ctx.onShutdown("command feed", () => consumer.disconnect());
}
