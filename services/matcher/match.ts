// The matcher stage's pure core, and the one event model the pipeline and `tld logtest` share:
//   DecodedEvent --toRuleEvent--> RuleEvent --RuleEngine--> RuleMatch --toAlert--> Alert
// What a rule reads that the DecodedEvent does not carry as such (the message after the syslog header, program
// name, hostname) is derived again with the same preDecode the decoder ran: it is a cheap, deterministic function
// of the message, and keeping it out of the schema keeps DecodedEvent what the design says it is. The decoder's
// type (for root rules' <category>) is carried in the event (DecodedEvent.category): only the decoder knows it,
// and the matcher should not have to load decoder files to learn it.
import { preDecode } from "../../lib/wazuh/predecode.js";
import type { ListQuery } from "../../lib/lists/lookup.js";
import type { RulesetPaths } from "../../lib/manager.js";
import type { Alert, DecodedEvent } from "../../lib/records.js";
import { listKeyOf, loadRuleDirs, RuleEngine, type MaybePromise, type RuleEngineOptions, type RuleEvent, type RuleMatch } from "./rules/index.js";

/** The rule engine of a manager home's ruleset. Throws RuleLoadError (file and line) on a bad file. */
export function loadRuleEngine(paths: Pick<RulesetPaths, "ruleDirs" | "ruleExclude">, options: RuleEngineOptions = {}): RuleEngine {
  return new RuleEngine(loadRuleDirs(paths.ruleDirs, { exclude: paths.ruleExclude }), options);
}

export function toRuleEvent(event: DecodedEvent): RuleEvent {
  const pre = preDecode(event.message);
  return {
    log: pre.log,
    fullLog: pre.fullLog,
    decoder: event.decoder,
    category: event.category ?? "syslog",
    ...(pre.programName !== undefined ? { programName: pre.programName } : {}),
    ...(pre.hostname !== undefined ? { hostname: pre.hostname } : {}),
    location: event.location,
    fields: event.fields,
    // Event time, not the wall clock: frequency windows of a replayed log count as they did when it was written,
    // and a replay evaluates identically.
    timeMs: event.collectedAt,
  };
}

/** The same event and rule always give the same alert id, so a replay after a crash duplicates nothing downstream. */
export function alertId(eventId: string, ruleId: string): string {
  return `${eventId}:${ruleId}`;
}

export function toAlert(event: DecodedEvent, match: RuleMatch): Alert {
  return {
    id: alertId(event.id, match.id),
    timestamp: event.collectedAt,
    rule: { id: match.id, level: match.level, description: match.description, groups: [...match.groups], firedtimes: match.firedtimes },
    agent: event.agent,
    decoder: event.decoder,
    fields: event.fields,
    fullLog: event.message,
    location: event.location,
    eventId: event.id,
  };
}

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

export interface Matcher {
  /** The rule the event ends on, alert or not (what `tld logtest` shows). */
  evaluate(event: DecodedEvent): MaybePromise<RuleMatch | null>;
  /** The Alert to publish, or null: no rule, level 0, muted by ignore, or below the alert level. */
  alertFor(event: DecodedEvent): MaybePromise<Alert | null>;
  /** Every list lookup the rules may make for these events, for one batched round trip before evaluating them. */
  listQueries(events: readonly DecodedEvent[]): ListQuery[];
  /** The correlation keys the events could touch (to load them in one round trip). */
  correlationKeys(events: readonly DecodedEvent[]): string[];
}

export function createMatcher(engine: RuleEngine, alertLevel: number): Matcher {
  const lookups = engine.listLookups();
  const evaluate = (event: DecodedEvent) => engine.evaluate(toRuleEvent(event));
  const asAlert = (event: DecodedEvent, match: RuleMatch | null): Alert | null =>
    match !== null && match.alert && match.level >= alertLevel ? toAlert(event, match) : null;
  return {
    evaluate,
    alertFor(event) {
      const match = evaluate(event);
      return isPromise(match) ? match.then((m) => asAlert(event, m)) : asAlert(event, match);
    },
    listQueries(events) {
      const queries: ListQuery[] = [];
      if (lookups.length === 0) return queries;
      for (const event of events) {
        const ruleEvent = toRuleEvent(event);
        for (const { listPath, field, kind } of lookups) {
          // The key the engine will read, so its lookup is answered from what the prefetch fetched.
          const key = listKeyOf(ruleEvent, field);
          if (key !== undefined) queries.push({ list: listPath, key, kind });
        }
      }
      return queries;
    },
    correlationKeys(events) {
      const keys: string[] = [];
      for (const event of events) for (const key of engine.correlationKeys(toRuleEvent(event))) keys.push(key);
      return keys;
    },
  };
}
