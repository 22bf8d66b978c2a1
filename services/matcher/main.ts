// matcher: tld.events.decoded → tld.alerts. Wiring only; the logic is in match.ts (and rules/).
// Rules come from the manager home (lib/manager.ts); reputation lists and frequency state live in Redis.
import { Redis } from "ioredis";
import { loadConfig } from "../../lib/config.js";
import { TransientError } from "../../lib/consume.js";
import { RedisListStore } from "../../lib/lists/redis.js";
import { bareListName, type ListKeyKind, type ListLookup, type MaybePromise } from "../../lib/lists/lookup.js";
import { rulesetPaths } from "../../lib/manager.js";
import type { Alert, DecodedEvent } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import { createMatcher, loadRuleEngine } from "./match.js";
import { RedisCorrelationStore } from "./redisCorrelation.js";
import type { RuleEngine } from "./rules/index.js";

const config = loadConfig();
const paths = rulesetPaths(config);

// Services ride out a Redis restart (ioredis reconnects for ever); a lookup that fails meanwhile retries the chunk.
const lists = await RedisListStore.open(config.redis.url, { failFast: false });
const redis = new Redis(config.redis.url);
redis.on("error", () => undefined); // reported through the failing commands, which retry the chunk

/** A list lookup that fails is Redis' fault, not the event's: the chunk is retried, never dead-lettered. */
const listLookup: ListLookup = {
  lookup(listPath: string, key: string, kind: ListKeyKind): MaybePromise<string | undefined> {
    const answer = lists.lookup(listPath, key, kind);
    if (!(answer instanceof Promise)) return answer;
    return answer.catch((err: unknown) => {
      throw new TransientError(`list lookup failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    });
  },
};

// Rules are loaded before the service starts: a broken rule file stops it here, naming file and line.
const correlation = new RedisCorrelationStore(redis);
let engine: RuleEngine;
try {
  engine = loadRuleEngine(paths, { lists: listLookup, correlation });
} catch (err) {
  process.stderr.write(`matcher: cannot load the rules: ${(err as Error).message}\n`);
  process.exit(1);
}
const matcher = createMatcher(engine, config.matcher.alertLevel);

const ctx = await runStage<DecodedEvent>({
  name: "matcher",
  input: TOPICS.decoded,
  outputs: [TOPICS.alerts],
  // One round trip per chunk for its list lookups, one for the frequency state it has not read yet.
  makePrefetch: () => async (events) => {
    await Promise.all([
      lists.prefetch(matcher.listQueries(events)).catch((err: unknown) => {
        throw new TransientError(`list prefetch failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }),
      correlation.preload(matcher.correlationKeys(events)),
    ]);
  },
  // Frequency state goes to Redis after each chunk, before its offsets can be committed; what this instance
  // holds of it is dropped whenever partitions move (another instance may have counted meanwhile).
  makeSink: () => () => correlation.flush(),
  onAssignment: () => correlation.forget(),
  makeHandler: (_ctx, serdes) => {
    const out = serdes.get(TOPICS.alerts) as TopicSerde<Alert>;
    const publish = (alert: Alert | null) => (alert ? [{ topic: TOPICS.alerts, key: alert.agent.id, value: out.encode(alert) }] : []);
    return (event) => {
      const alert = matcher.alertFor(event);
      return alert instanceof Promise ? alert.then(publish) : publish(alert);
    };
  },
});
ctx.onShutdown("redis", async () => {
  await lists.close();
  await redis.quit().catch(() => redis.disconnect());
});
await lists.watchChanges((change) => ctx.log.info({ change }, "reputation list changed"));
for (const warning of [...paths.warnings, ...engine.warnings]) ctx.log.warn(warning);
// A rule naming a list nobody imported is not fatal (Wazuh warns too): the list is empty until `tld lists import`.
for (const listPath of engine.referencedLists()) {
  const info = await lists.info(bareListName(listPath)).catch(() => undefined);
  if (!info) ctx.log.warn({ list: listPath }, `rules use list ${listPath}, which is not in Redis yet: it matches nothing until \`tld lists import FILE --name ${bareListName(listPath)}\``);
}
ctx.log.info({ rules: engine.ruleCount, ruleDirs: paths.ruleDirs, alertLevel: config.matcher.alertLevel }, "rules loaded");
