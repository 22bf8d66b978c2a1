// Times as analysts type them, in the API's from/to and in queries (timestamp >= now-1h): ISO 8601
// ("2026-12-04", "2026-12-04T10:00:00Z", with an offset), epoch milliseconds, or now with an offset
// ("now", "now-15m", "now-24h", "now-7d"; units s m h d w).

const RELATIVE = /^now(?:\s*([+-])\s*(\d{1,9})\s*([smhdw]))?$/i;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
// Date.parse accepts much more than ISO 8601 and reads the rest differently per engine: only these shapes get to it.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds since the epoch, or null when `text` is no time this module reads. */
export function parseTime(text: string, now = Date.now()): number | null {
  const t = text.trim();
  const relative = RELATIVE.exec(t);
  if (relative) {
    if (!relative[1]) return now;
    const delta = Number(relative[2]) * UNIT_MS[relative[3].toLowerCase()];
    return relative[1] === "-" ? now - delta : now + delta;
  }
  if (/^\d{10,16}$/.test(t)) return Number(t);
  if (!ISO.test(t)) return null;
  // A date alone or a time without an offset is UTC: the store and the API speak UTC, whatever the server's zone.
  const normalized = t.replace(" ", "T");
  const withZone = DATE_ONLY.test(t) || /[zZ]|[+-]\d{2}:?\d{2}$/.test(normalized.slice(10)) ? normalized : `${normalized}Z`;
  const ms = Date.parse(withZone.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isFinite(ms) ? ms : null;
}

/** Whether the text names a whole day (then `timestamp:2026-12-04` means that day). */
export function isWholeDay(text: string): boolean {
  return DATE_ONLY.test(text.trim());
}

export const DAY_MS = UNIT_MS.d;
