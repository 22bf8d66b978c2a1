// Alerts between their three shapes: the Avro record off tld.alerts, the row in PostgreSQL, and the item the API
// answers with (laid out like a Wazuh alert, the names analysts search by). Pure, unit-tested.
import type { Alert } from "../../../lib/records.js";

/** What GET /api/alerts returns per alert. */
export interface AlertItem {
  id: string;
  timestamp: string;
  rule: { id: string; level: number; description: string; groups: string[]; firedtimes: number };
  agent: { id: string; name: string; ip: string | null };
  decoder: { name: string | null };
  data: Record<string, string>;
  location: string;
  full_log: string;
}

/** One row as jsonb_to_recordset reads it in AlertStore.insert. */
export interface AlertRow {
  id: string;
  ts: string;
  rule_id: string;
  rule_level: number;
  rule_description: string;
  rule_groups: string[];
  rule_firedtimes: number;
  agent_id: string;
  agent_name: string;
  agent_ip: string | null;
  decoder_name: string | null;
  data: Record<string, string>;
  location: string;
  full_log: string;
  event_id: string;
}

/** An alert the store refuses (the consume loop dead-letters it instead of retrying it for ever). */
export class InvalidAlertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidAlertError";
  }
}

/** Longest full_log kept: longer lines are cut (and say so) rather than refused. */
export const MAX_LOG_CHARS = 64 * 1024;
const MAX_FIELD_CHARS = 8 * 1024;

// PostgreSQL text holds neither NUL nor lone UTF-16 surrogates (JSON escapes of them fail the whole batch).
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function clean(text: string, max = MAX_FIELD_CHARS): string {
  const storable = text.replace(UNSTORABLE, "\ufffd");
  return storable.length > max ? `${storable.slice(0, max)}…[cut at ${max} characters]` : storable;
}

export function alertRow(alert: Alert): AlertRow {
  if (!alert.id) throw new InvalidAlertError("alert without an id");
  if (!Number.isFinite(alert.timestamp)) throw new InvalidAlertError(`alert ${alert.id}: timestamp ${alert.timestamp} is not a time`);
  const ts = new Date(alert.timestamp);
  if (Number.isNaN(ts.getTime()) || ts.getUTCFullYear() < 1970 || ts.getUTCFullYear() > 9999) {
    throw new InvalidAlertError(`alert ${alert.id}: timestamp ${alert.timestamp} is out of range`);
  }
  if (!Number.isInteger(alert.rule.level) || alert.rule.level < 0 || alert.rule.level > 16) {
    throw new InvalidAlertError(`alert ${alert.id}: rule level ${alert.rule.level} is not 0-16`);
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(alert.fields ?? {})) data[clean(key, 128)] = clean(value);
  return {
    id: clean(alert.id, 256),
    ts: ts.toISOString(),
    rule_id: clean(alert.rule.id, 64),
    rule_level: alert.rule.level,
    rule_description: clean(alert.rule.description),
    rule_groups: (alert.rule.groups ?? []).map((g) => clean(g, 256)),
    rule_firedtimes: Number(alert.rule.firedtimes ?? 1),
    agent_id: clean(alert.agent.id, 64),
    agent_name: clean(alert.agent.name, 256),
    agent_ip: alert.agent.ip === null ? null : clean(alert.agent.ip, 64),
    decoder_name: alert.decoder === null ? null : clean(alert.decoder, 256),
    data,
    location: clean(alert.location, 4096),
    full_log: clean(alert.fullLog, MAX_LOG_CHARS),
    event_id: clean(alert.eventId, 256),
  };
}

/** The columns AlertStore selects, in the shape pg returns them (timestamptz as a Date, bigint as text). */
export type StoredRow = Omit<AlertRow, "ts" | "rule_firedtimes" | "event_id"> & { ts: Date; rule_firedtimes: string | number };

export function alertItem(row: StoredRow): AlertItem {
  return {
    id: row.id,
    timestamp: row.ts.toISOString(),
    rule: { id: row.rule_id, level: row.rule_level, description: row.rule_description, groups: row.rule_groups, firedtimes: Number(row.rule_firedtimes) },
    agent: { id: row.agent_id, name: row.agent_name, ip: row.agent_ip },
    decoder: { name: row.decoder_name },
    data: row.data,
    location: row.location,
    full_log: row.full_log,
  };
}
