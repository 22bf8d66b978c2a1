// The rule engine, following Wazuh's documented evaluation:
// - Rules form a tree built at load time, in load order: a rule with if_sid is a child of those rules (they must
//   be loaded before it); with if_group, a child of every rule loaded before it that carries one of the groups;
//   with if_level, a child of every earlier rule of at least that level; otherwise it is a root. if_matched_sid /
//   if_matched_group without if_sid / if_group make the rule a child of the matched rule / group.
// - Roots and each rule's children are tried by level, highest first, ties in load order.
// - Roots only see events whose decoder type equals their <category> (syslog when they give none).
// - A rule's conditions are all required; a child is tried only once its parent matched; the deepest matching
//   rule along the first matching path wins. A matching noalert rule whose children do not match counts as no
//   match (the next sibling is tried). The first root that yields a rule decides; level 0 means "no alert".
// - Frequency rules count earlier events in a window (see checkFrequency); state and `ignore` timers live in a
//   CorrelationStore, list lookups go through a ListLookup, so both can be backed by Redis.
// Everything runs synchronously when the stores answer synchronously, and switches to promises only where a
// store returns one, so the in-memory path allocates no promise per event.
import { InMemoryCorrelationStore, type CorrelationStore } from "./correlation.js";
import { parseIp, networkContains } from "./ip.js";
import { InMemoryListStore, type ListLookup, type MaybePromise } from "./lists.js";
import { RuleLoadError, type AddressCondition, type ExpressionCondition, type ListCondition, type RuleDefinition } from "./parse.js";

/** One decoded event, as the rule engine sees it. */
export interface RuleEvent {
  /** The message after the syslog header (Wazuh's `log`): <match> and <regex> read this. */
  readonly log: string;
  /** The whole line (Wazuh's `full_log`); maxsize measures this. Defaults to `log`. */
  readonly fullLog?: string;
  /** Reported decoder name, for <decoded_as>; null/undefined when no decoder knew the line. */
  readonly decoder?: string | null;
  /** Decoder type, for root rules' <category>; "syslog" when absent (also for undecoded lines). */
  readonly category?: string;
  readonly programName?: string;
  readonly hostname?: string;
  /** Where the event came from (agent file path), for <location> and same_location. */
  readonly location?: string;
  readonly fields: Readonly<Record<string, string>>;
  /** Event time in ms since the epoch; frequency windows and ignore timers use it (never the wall clock). */
  readonly timeMs: number;
}

export interface RuleMatch {
  readonly id: string;
  readonly level: number;
  /** The description with $(field) references replaced by the event's values. */
  readonly description: string;
  readonly groups: readonly string[];
  /** How many times this engine instance has seen the rule match (Wazuh's firedtimes). */
  readonly firedtimes: number;
  /** True when this is an alert: level above 0 and not muted by the rule's ignore timer. */
  readonly alert: boolean;
  readonly options: readonly string[];
  readonly definition: RuleDefinition;
}

export interface RuleEngineOptions {
  readonly lists?: ListLookup;
  readonly correlation?: CorrelationStore;
  /**
   * Wazuh gives a root rule without <category> the category "syslog", so it never sees web-log events (which is
   * why the use case's rule 100100 needs its <if_group>). true lets such roots see events of every category.
   */
  readonly uncategorizedRootsMatchAnyCategory?: boolean;
}

interface RuleNode {
  readonly def: RuleDefinition;
  /** Load position, for stable ordering and "loaded before" checks. */
  readonly seq: number;
  /** The category a root compares: its own <category>, else inherited from its if_sid parent, else undefined. */
  category: string | undefined;
  readonly children: RuleNode[];
  /** Correlation rules (if_matched_sid / if_matched_group) that count this rule's alerts. */
  readonly watchers: RuleNode[];
  firedtimes: number;
}

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function chain<T, U>(value: MaybePromise<T>, next: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}

const byLevelThenLoadOrder = (a: RuleNode, b: RuleNode): number => b.def.level - a.def.level || a.seq - b.seq;

/** An event field by Wazuh's names; `user` is dstuser, else srcuser, as Wazuh's <user> reads it. */
function fieldOf(event: RuleEvent, name: string): string | undefined {
  switch (name) {
    case "user":
      return event.fields.dstuser ?? event.fields.srcuser ?? event.fields.user;
    case "program_name":
      return event.programName ?? event.fields.program_name;
    case "hostname":
      return event.hostname ?? event.fields.hostname;
    case "location":
      return event.location ?? event.fields.location;
    case "full_log":
      return event.fullLog ?? event.log;
    default:
      return event.fields[name];
  }
}

/** The key a <list field="…"> lookup reads; Wazuh's list lookups read the user as srcuser first. */
export function listKeyOf(event: RuleEvent, field: string): string | undefined {
  return field === "user" ? (event.fields.srcuser ?? event.fields.dstuser) : fieldOf(event, field);
}

function lookupKind(condition: ListCondition): "exact" | "address" {
  return condition.lookup.includes("address") ? "address" : "exact";
}

function expressionHolds(condition: ExpressionCondition, value: string | undefined): boolean {
  // A missing field fails the condition even when negated, as in Wazuh.
  return value !== undefined && condition.pattern.test(value) !== condition.negate;
}

function addressHolds(condition: AddressCondition, value: string | undefined): boolean {
  if (value === undefined) return false;
  const ip = parseIp(value);
  if (!ip) return false;
  let holds = false;
  for (const entry of condition.entries) {
    if (networkContains(entry.network, ip) !== entry.negate) {
      holds = true;
      break;
    }
  }
  return holds !== condition.negate;
}

function listResultHolds(condition: ListCondition, value: string | undefined): boolean {
  switch (condition.lookup) {
    case "match_key":
    case "address_match_key":
      return value !== undefined;
    case "not_match_key":
    case "not_address_match_key":
      return value === undefined;
    case "match_key_value":
    case "address_match_key_value":
      return value !== undefined && condition.checkValue !== undefined && condition.checkValue.test(value);
  }
}

export class RuleEngine {
  private readonly roots: RuleNode[] = [];
  private readonly nodesById = new Map<string, RuleNode>();
  private readonly lists: ListLookup;
  private readonly correlation: CorrelationStore;
  private readonly anyCategoryForUncategorizedRoots: boolean;
  private frequencyDefs?: RuleDefinition[];
  /** Non-fatal findings at load time (e.g. an if_group that names no loaded group). */
  readonly warnings: string[] = [];

  constructor(definitions: readonly RuleDefinition[], options: RuleEngineOptions = {}) {
    this.lists = options.lists ?? new InMemoryListStore();
    this.correlation = options.correlation ?? new InMemoryCorrelationStore();
    this.anyCategoryForUncategorizedRoots = options.uncategorizedRootsMatchAnyCategory ?? false;
    this.build(this.applyOverwrites(definitions));
  }

  /** overwrite="yes" replaces an earlier rule in place; its parents (if_* options) stay the original's. */
  private applyOverwrites(definitions: readonly RuleDefinition[]): RuleDefinition[] {
    const slots: RuleDefinition[] = [];
    const slotById = new Map<string, number>();
    for (const def of definitions) {
      const existing = slotById.get(def.id);
      if (existing === undefined) {
        slotById.set(def.id, slots.length);
        slots.push(def);
        continue;
      }
      const original = slots[existing];
      if (!def.overwrite) {
        const where = `${original.file ?? "<rules>"}:${original.line}`;
        throw new RuleLoadError(def.file, def.line, `duplicate rule id ${def.id} (first defined at ${where}); add overwrite="yes" to replace it`);
      }
      const merged: RuleDefinition = {
        ...def,
        ifSids: original.ifSids,
        ifGroups: original.ifGroups,
        ifMatchedGroups: original.ifMatchedGroups,
      };
      const { ifLevel: _ifLevel, ifMatchedSid: _ifMatchedSid, ...withoutParents } = merged;
      slots[existing] = {
        ...withoutParents,
        ...(original.ifLevel !== undefined ? { ifLevel: original.ifLevel } : {}),
        ...(original.ifMatchedSid !== undefined ? { ifMatchedSid: original.ifMatchedSid } : {}),
      };
    }
    return slots;
  }

  private build(definitions: readonly RuleDefinition[]): void {
    const nodes: RuleNode[] = definitions.map((def, seq) => ({
      def,
      seq,
      category: def.category,
      children: [],
      watchers: [],
      firedtimes: 0,
    }));
    for (const node of nodes) this.nodesById.set(node.def.id, node);
    for (const node of nodes) {
      const def = node.def;
      if (def.ifSids.length > 0) {
        for (const sid of def.ifSids) {
          const parent = this.nodesById.get(sid);
          if (!parent || parent.seq >= node.seq) {
            throw new RuleLoadError(def.file, def.line, `rule ${def.id}: if_sid ${sid} is not a rule loaded before it`);
          }
          parent.children.push(node);
          node.category ??= parent.category;
        }
      } else if (def.ifGroups.length > 0) {
        const wanted = new Set(def.ifGroups);
        let attached = 0;
        for (const candidate of nodes) {
          if (candidate.seq >= node.seq) break;
          if (candidate.def.groups.some((g) => wanted.has(g))) {
            candidate.children.push(node);
            attached++;
          }
        }
        if (attached === 0) this.warnings.push(`rule ${def.id}: no rule loaded before it is in group ${def.ifGroups.join("|")}; it can never match`);
      } else if (def.ifLevel !== undefined) {
        for (const candidate of nodes) {
          if (candidate.seq >= node.seq) break;
          if (candidate.def.level >= def.ifLevel) candidate.children.push(node);
        }
      } else {
        this.roots.push(node);
      }
      if (def.ifMatchedSid !== undefined) {
        const watched = this.nodesById.get(def.ifMatchedSid);
        if (!watched) throw new RuleLoadError(def.file, def.line, `rule ${def.id}: if_matched_sid ${def.ifMatchedSid} is not a loaded rule`);
        watched.watchers.push(node);
      }
      if (def.ifMatchedGroups.length > 0) {
        const wanted = new Set(def.ifMatchedGroups);
        for (const candidate of nodes) if (candidate !== node && candidate.def.groups.some((g) => wanted.has(g))) candidate.watchers.push(node);
      }
    }
    this.roots.sort(byLevelThenLoadOrder);
    for (const node of nodes) node.children.sort(byLevelThenLoadOrder);
  }

  /** Every list path the rules refer to, so a service can check they exist before it starts. */
  referencedLists(): string[] {
    const paths = new Set<string>();
    for (const node of this.nodesById.values()) for (const list of node.def.lists) paths.add(list.listPath);
    return [...paths].sort();
  }

  /**
   * Every distinct (list, field, kind) lookup the rules can make, so a service can fetch a chunk's lookups in one
   * round trip before evaluating it (see listKeyOf for the key each reads from an event).
   */
  /**
   * Every correlation key this event could read or write (each frequency rule's, for the event's same_* values),
   * so a store backed by a server can load the keys of a whole chunk in one round trip before it is evaluated.
   */
  correlationKeys(event: RuleEvent): string[] {
    this.frequencyDefs ??= [...this.nodesById.values()].map((n) => n.def).filter((d) => d.frequency !== undefined);
    const keys: string[] = [];
    for (const def of this.frequencyDefs) {
      const key = this.correlationKey(def, event);
      if (key !== null) keys.push(key);
    }
    return keys;
  }

  listLookups(): { readonly listPath: string; readonly field: string; readonly kind: "exact" | "address" }[] {
    const seen = new Map<string, { listPath: string; field: string; kind: "exact" | "address" }>();
    for (const node of this.nodesById.values()) {
      for (const list of node.def.lists) {
        const kind = lookupKind(list);
        seen.set(`${list.listPath}\u0000${list.field}\u0000${kind}`, { listPath: list.listPath, field: list.field, kind });
      }
    }
    return [...seen.values()];
  }

  getRule(id: string): RuleDefinition | undefined {
    return this.nodesById.get(id)?.def;
  }

  get ruleCount(): number {
    return this.nodesById.size;
  }

  /** The rule the event ends on (null when none matched); see RuleMatch.alert for whether it is an alert. */
  evaluate(event: RuleEvent): MaybePromise<RuleMatch | null> {
    return this.tryRoots(event, event.category ?? "syslog", 0);
  }

  private tryRoots(event: RuleEvent, category: string, start: number): MaybePromise<RuleMatch | null> {
    const roots = this.roots;
    for (let i = start; i < roots.length; i++) {
      const root = roots[i];
      const rootCategory = root.category;
      if (rootCategory === undefined ? category !== "syslog" && !this.anyCategoryForUncategorizedRoots : rootCategory !== category) continue;
      const found = this.check(root, event);
      if (isPromise(found)) {
        return found.then((node) => (node ? this.finish(node, event) : this.tryRoots(event, category, i + 1)));
      }
      if (found) return this.finish(found, event);
    }
    return null;
  }

  /** The deepest matching rule under `node` (itself included), or null when `node` does not match. */
  private check(node: RuleNode, event: RuleEvent): MaybePromise<RuleNode | null> {
    const def = node.def;
    if (!this.staticConditionsHold(def, event)) return null;
    const listsHold = def.lists.length > 0 ? this.listsHold(def.lists, event, 0) : true;
    return chain(listsHold, (holds) => {
      if (!holds) return null;
      const frequencyHolds = def.frequency !== undefined ? this.checkFrequency(def, event) : true;
      return chain(frequencyHolds, (ok) => (ok ? this.tryChildren(node, event, 0) : null));
    });
  }

  private tryChildren(node: RuleNode, event: RuleEvent, start: number): MaybePromise<RuleNode | null> {
    const children = node.children;
    for (let i = start; i < children.length; i++) {
      const found = this.check(children[i], event);
      if (isPromise(found)) return found.then((child) => child ?? this.tryChildren(node, event, i + 1));
      if (found) return found;
    }
    return node.def.noAlert ? null : node;
  }

  private staticConditionsHold(def: RuleDefinition, event: RuleEvent): boolean {
    if (def.decodedAs !== undefined && def.decodedAs !== event.decoder) return false;
    for (const { option, condition } of def.staticFields) {
      if (!expressionHolds(condition, fieldOf(event, option))) return false;
    }
    if (def.match && !expressionHolds(def.match, event.log)) return false;
    if (def.regex && !expressionHolds(def.regex, event.log)) return false;
    for (const condition of def.fields) {
      if (!expressionHolds(condition, fieldOf(event, condition.field))) return false;
    }
    if (def.srcip && !addressHolds(def.srcip, event.fields.srcip)) return false;
    if (def.dstip && !addressHolds(def.dstip, event.fields.dstip)) return false;
    if (def.maxsize !== undefined && (event.fullLog ?? event.log).length < def.maxsize) return false;
    return true;
  }

  private listsHold(conditions: readonly ListCondition[], event: RuleEvent, start: number): MaybePromise<boolean> {
    for (let i = start; i < conditions.length; i++) {
      const condition = conditions[i];
      const key = listKeyOf(event, condition.field);
      if (key === undefined) return false;
      const kind = lookupKind(condition);
      const value = this.lists.lookup(condition.listPath, key, kind);
      if (isPromise(value)) {
        return value.then((v) => (listResultHolds(condition, v) ? this.listsHold(conditions, event, i + 1) : false));
      }
      if (!listResultHolds(condition, value)) return false;
    }
    return true;
  }

  /** The state key of a correlation rule for an event: the rule id and its same_* values; null if one is missing. */
  private correlationKey(def: RuleDefinition, event: RuleEvent): string | null {
    let key = def.id;
    for (const field of def.sameFields) {
      const value = fieldOf(event, field);
      if (value === undefined) return null;
      key += `\u0000${value}`;
    }
    return key;
  }

  /**
   * A frequency rule holds when, within its timeframe, `frequency` events count — the current one included.
   * With if_matched_sid / if_matched_group the earlier events are the alerts of the watched rule / group that
   * share this event's same_* values (recorded in finish()); without them, the rule counts its own matches.
   * With different_*, distinct values of that field are counted. Once it holds, its count starts again, so a
   * burst gives one alert per `frequency` events rather than one per event.
   */
  private checkFrequency(def: RuleDefinition, event: RuleEvent): MaybePromise<boolean> {
    const key = this.correlationKey(def, event);
    if (key === null) return false;
    const distinctValue = def.differentField !== undefined ? fieldOf(event, def.differentField) : "";
    if (distinctValue === undefined) return false;
    const windowMs = (def.timeframeSeconds ?? 0) * 1000;
    const since = event.timeMs - windowMs;
    const frequency = def.frequency ?? 1;
    const distinct = def.differentField !== undefined;
    const watchesOthers = def.ifMatchedSid !== undefined || def.ifMatchedGroups.length > 0;
    const counted = watchesOthers
      ? this.correlation.count(key, since, distinct, distinctValue)
      : chain(this.correlation.add(key, event.timeMs, distinctValue, windowMs), () => this.correlation.count(key, since, distinct));
    return chain(counted, (count) => (count >= frequency ? chain(this.correlation.clear(key), () => true) : false));
  }

  private finish(node: RuleNode, event: RuleEvent): MaybePromise<RuleMatch> {
    node.firedtimes++;
    const def = node.def;
    if (def.level === 0) return this.result(node, event, false);
    const mutedUntil = def.ignoreSeconds !== undefined ? this.correlation.mutedUntil(def.id) : 0;
    return chain(mutedUntil, (until) => {
      if (until > event.timeMs) return this.result(node, event, false);
      const pending: Promise<void>[] = [];
      const track = (step: MaybePromise<void>): void => {
        if (isPromise(step)) pending.push(step);
      };
      if (def.ignoreSeconds !== undefined) track(this.correlation.muteUntil(def.id, event.timeMs + def.ignoreSeconds * 1000));
      for (const watcher of node.watchers) {
        const key = this.correlationKey(watcher.def, event);
        if (key === null) continue;
        const value = watcher.def.differentField !== undefined ? fieldOf(event, watcher.def.differentField) : "";
        if (value === undefined) continue;
        track(this.correlation.add(key, event.timeMs, value, (watcher.def.timeframeSeconds ?? 0) * 1000));
      }
      const match = this.result(node, event, true);
      return pending.length > 0 ? Promise.all(pending).then(() => match) : match;
    });
  }

  private result(node: RuleNode, event: RuleEvent, alert: boolean): RuleMatch {
    const def = node.def;
    return {
      id: def.id,
      level: def.level,
      description: def.description.includes("$(") ? expandDescription(def.description, event) : def.description,
      groups: def.groups,
      firedtimes: node.firedtimes,
      alert,
      options: def.options,
      definition: def,
    };
  }
}

/** Replaces $(field) in a rule description with the event's value ("" when the event lacks the field). */
export function expandDescription(description: string, event: RuleEvent): string {
  return description.replace(/\$\(([^)\s]+)\)/g, (_whole, name: string) => fieldOf(event, name) ?? "");
}
