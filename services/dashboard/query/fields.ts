// The alert fields a query can name, as Wazuh users know them, and the column each one lives in (store/migrations).
// Column expressions are fixed strings written here; nothing a user types ever becomes part of SQL text.

export type FieldKind =
  /** exact values, case-sensitive, wildcards allowed (Wazuh's keyword fields) */
  | "keyword"
  /** a keyword holding an IP: also matches a CIDR (data.srcip:203.0.113.0/24) */
  | "ip"
  /** words of running text: a value matches when the text contains it, ignoring case */
  | "text"
  | "integer"
  | "time"
  /** an array of keywords (rule.groups): matches when any element does */
  | "keywords";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /** SQL expression of the column. */
  readonly column: string;
  readonly nullable: boolean;
}

const spec = (name: string, kind: FieldKind, column: string, nullable = false): FieldSpec => ({ name, kind, column, nullable });

export const FIELDS: ReadonlyMap<string, FieldSpec> = new Map(
  [
    spec("id", "keyword", "id"),
    spec("timestamp", "time", "ts"),
    spec("rule.id", "keyword", "rule_id"),
    spec("rule.level", "integer", "rule_level"),
    spec("rule.description", "text", "rule_description"),
    spec("rule.groups", "keywords", "rule_groups"),
    spec("rule.firedtimes", "integer", "rule_firedtimes"),
    spec("agent.id", "keyword", "agent_id"),
    spec("agent.name", "keyword", "agent_name"),
    spec("agent.ip", "ip", "agent_ip", true),
    spec("decoder.name", "keyword", "decoder_name", true),
    spec("location", "keyword", "location"),
    spec("full_log", "text", "full_log"),
  ].map((f) => [f.name, f]),
);

/** Decoded fields are data.<name>; names as decoders write them (srcip, url, win.system.eventID, ...). */
export const DATA_PREFIX = "data.";
const DATA_KEY = /^[A-Za-z0-9_@][\w.@-]{0,127}$/;

/** IP-valued decoded fields: a CIDR value means "in this network" for them. */
const DATA_IP_KEYS = new Set(["srcip", "dstip", "src_ip", "dst_ip", "ip"]);

export type ResolvedField =
  | { readonly kind: "column"; readonly spec: FieldSpec }
  /** data.<key>: the key goes to SQL as a parameter, never as text. */
  | { readonly kind: "data"; readonly key: string; readonly name: string; readonly ip: boolean };

/** The field named, or null when there is no such field. */
export function resolveField(name: string): ResolvedField | null {
  const column = FIELDS.get(name);
  if (column) return { kind: "column", spec: column };
  if (name.startsWith(DATA_PREFIX)) {
    const key = name.slice(DATA_PREFIX.length);
    if (DATA_KEY.test(key)) return { kind: "data", key, name, ip: DATA_IP_KEYS.has(key) };
  }
  return null;
}

export const FIELD_NAMES_HELP = [...FIELDS.keys(), "data.<any decoded field>"].join(", ");
