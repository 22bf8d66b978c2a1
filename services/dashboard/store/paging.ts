// Pure helpers of the search API: keyset cursors and histogram intervals.

export type SortOrder = "desc" | "asc";

/** Where a page ended: the (timestamp, id) of its last alert, and the order it was read in. */
export interface Cursor {
  /** The stored timestamp to the microsecond, as PostgreSQL printed it (UTC). */
  readonly ts: string;
  readonly id: string;
  readonly order: SortOrder;
}

/** A request the API refuses with 400 (a bad cursor, interval or field), apart from query errors. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

const TS_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.ts, cursor.id, cursor.order])).toString("base64url");
}

export function decodeCursor(text: string, order: SortOrder): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw new RequestError("cursor is not one this API gave out");
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new RequestError("cursor is not one this API gave out");
  const [ts, id, cursorOrder] = parsed as unknown[];
  if (typeof ts !== "string" || !TS_TEXT.test(ts) || typeof id !== "string" || id.length > 256 || (cursorOrder !== "asc" && cursorOrder !== "desc")) {
    throw new RequestError("cursor is not one this API gave out");
  }
  if (cursorOrder !== order) throw new RequestError(`cursor belongs to sort order ${cursorOrder}, not ${order}: start again without a cursor`);
  return { ts, id, order };
}

/** Bucket widths a histogram picks from: round numbers a person reads at a glance. */
const NICE_INTERVALS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 5 * 60_000, 10 * 60_000, 30 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000,
  12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000,
];
export const TARGET_BUCKETS = 60;
export const MAX_BUCKETS = 2_000;

/** The smallest nice width that cuts [from, to) into at most TARGET_BUCKETS buckets. */
export function autoInterval(fromMs: number, toMs: number): number {
  const span = Math.max(1, toMs - fromMs);
  return NICE_INTERVALS_MS.find((ms) => span / ms <= TARGET_BUCKETS) ?? NICE_INTERVALS_MS[NICE_INTERVALS_MS.length - 1];
}

const INTERVAL = /^(\d{1,6})(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30s", "5m", "1h", "1d": milliseconds, or null. */
export function parseInterval(text: string): number | null {
  const m = INTERVAL.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms >= 1 ? ms : null;
}

export function formatInterval(ms: number): string {
  for (const [unit, size] of [["w", 604_800_000], ["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Every bucket start from the one holding `fromMs` to the one holding `toMs - 1`, counts filled in (0 when absent). */
export function fillBuckets(fromMs: number, toMs: number, intervalMs: number, counts: ReadonlyMap<number, number>): { key: number; count: number }[] {
  const first = Math.floor(fromMs / intervalMs) * intervalMs;
  const buckets: { key: number; count: number }[] = [];
  for (let key = first; key < Math.max(toMs, first + 1); key += intervalMs) buckets.push({ key, count: counts.get(key) ?? 0 });
  return buckets;
}
