// tld.ar.commands -> the command store -> this instance's connected agents. Every collector instance reads the
// whole topic in a consumer group of its own (named after its host and port, so a restart resumes where it
// left off): it keeps the store in Redis up to date (where any instance reads what is due when an agent
// connects; applying a command twice changes nothing) and hands each command to the agents connected to it.
// No instance waits on another: one that dies or rebalances holds up nobody's commands. The offset is
// committed after the store has the command, so a crash replays it, and agents apply each id once.
import { hostname } from "node:os";
import { consumeAtLeastOnce, TransientError } from "../../lib/consume.js";
import { consumerGroupId, createConsumer, runLastingConsumer, type Publisher } from "../../lib/kafka.js";
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

/** How long readiness waits for a new instance's feed to read the commands already in the topic. */
const CATCH_UP_MAX_MS = 30_000;

/**
 * Resolves once the group (its Kafka group id) has committed, on every partition, the end the topic had when this was called (an
 * empty partition needs nothing), or after `maxMs` (resolving false). A new instance reads every unexpired
 * command first (its group is new): until then a fresh command waits behind that backlog, so the instance is
 * not ready before (an agent that connects meanwhile would get its blocks late: ~1 s for ~10 s in the use case).
 */
export async function feedCaughtUp(kafka: Kafka, group: string, topic: string, maxMs = CATCH_UP_MAX_MS, pollMs = 200): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low));
    const deadline = Date.now() + maxMs;
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      if (ends.every((p) => (at.get(p.partition) ?? -1) >= Number(p.high))) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Starts the feed; resolves once it has read what the topic held at start (see feedCaughtUp), or gave up waiting. */
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
  const started = Date.now();
  const caughtUp = await feedCaughtUp(options.kafka, consumerGroupId(ctx.config, group), options.commands.topic).catch((err: unknown) => {
    ctx.log.warn({ err }, "could not tell whether the command feed has caught up; ready anyway");
    return true;
  });
  if (caughtUp) ctx.log.info({ group, ms: Date.now() - started }, "command feed has read the commands already in the topic");
  else ctx.log.warn({ group, waitedMs: Date.now() - started }, "command feed still reading the commands already in the topic; ready anyway (fresh commands wait behind them until it is done)");
}
