// State that outlives one event: occurrences counted by frequency rules, and the `ignore` timers. Behind an
// interface so that the matcher service can keep it in Redis (a restarted or rebalanced matcher keeps counting);
// the in-memory implementation serves tests and logtest.
import type { MaybePromise } from "./lists.js";

export interface CorrelationStore {
  /**
   * Remembers one occurrence under `key` at `timeMs`, carrying `value` (the different_* field's value, "" when
   * the rule has none). Occurrences older than `retainMs` before the newest may be dropped.
   */
  add(key: string, timeMs: number, value: string, retainMs: number): MaybePromise<void>;
  /**
   * Occurrences under `key` at or after `sinceMs` — counting distinct values when `distinct` — plus the
   * occurrence `extraValue` would make, when given (the event being evaluated, not stored).
   */
  count(key: string, sinceMs: number, distinct: boolean, extraValue?: string): MaybePromise<number>;
  /** Forgets every occurrence under `key` (after a frequency rule fires, counting starts again). */
  clear(key: string): MaybePromise<void>;
  /** Until when alerts of `ruleId` are muted (rule attribute ignore="seconds"); 0 when not muted. */
  mutedUntil(ruleId: string): MaybePromise<number>;
  muteUntil(ruleId: string, untilMs: number): MaybePromise<void>;
}

export interface Occurrence {
  readonly timeMs: number;
  readonly value: string;
}

/**
 * A frequency rule's count over `occurrences` since `sinceMs`: all of them, or their distinct values
 * (different_url and the like); `extraValue` is the event being evaluated, not stored yet.
 */
export function countOccurrences(occurrences: readonly Occurrence[], sinceMs: number, distinct: boolean, extraValue?: string): number {
  if (!distinct) {
    let n = extraValue !== undefined ? 1 : 0;
    for (const o of occurrences) if (o.timeMs >= sinceMs) n++;
    return n;
  }
  const values = new Set<string>();
  for (const o of occurrences) if (o.timeMs >= sinceMs) values.add(o.value);
  if (extraValue !== undefined) values.add(extraValue);
  return values.size;
}

/** Every this many occurrences, keys whose window has passed are dropped (most sources are seen once). */
const SWEEP_EVERY = 10_000;

export class InMemoryCorrelationStore implements CorrelationStore {
  private readonly occurrences = new Map<string, { list: Occurrence[]; retainMs: number }>();
  private readonly mutes = new Map<string, number>();
  private latestMs = -Infinity;
  private addsSinceSweep = 0;

  add(key: string, timeMs: number, value: string, retainMs: number): void {
    let entry = this.occurrences.get(key);
    if (!entry) {
      entry = { list: [], retainMs };
      this.occurrences.set(key, entry);
    }
    entry.retainMs = retainMs;
    const list = entry.list;
    list.push({ timeMs, value });
    const oldestKept = timeMs - retainMs;
    let drop = 0;
    while (drop < list.length && list[drop].timeMs < oldestKept) drop++;
    if (drop > 0) list.splice(0, drop);
    if (timeMs > this.latestMs) this.latestMs = timeMs;
    if (++this.addsSinceSweep >= SWEEP_EVERY) this.sweep();
  }

  /** Forgets keys nothing was added to within their window: a long run (logtest on a big file) stays flat. */
  private sweep(): void {
    this.addsSinceSweep = 0;
    for (const [key, { list, retainMs }] of this.occurrences) {
      const newest = list[list.length - 1];
      if (!newest || newest.timeMs < this.latestMs - retainMs) this.occurrences.delete(key);
    }
  }

  /** Keys held now (for tests of the sweep). */
  get size(): number {
    return this.occurrences.size;
  }

  count(key: string, sinceMs: number, distinct: boolean, extraValue?: string): number {
    return countOccurrences(this.occurrences.get(key)?.list ?? [], sinceMs, distinct, extraValue);
  }

  clear(key: string): void {
    this.occurrences.delete(key);
  }

  mutedUntil(ruleId: string): number {
    return this.mutes.get(ruleId) ?? 0;
  }

  muteUntil(ruleId: string, untilMs: number): void {
    this.mutes.set(ruleId, untilMs);
  }
}
