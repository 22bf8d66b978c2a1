// Query tree (parse.ts) -> a parameterised SQL condition over the alerts table. Every value the user typed
// travels as a bind parameter ($n); the SQL text holds only the fixed column expressions of fields.ts, operators
// and placeholders. Errors (unknown field, a word where a number belongs) carry the position of what is wrong.
import { formatNetwork, parseNetwork } from "../../../lib/ip.js";
import { FIELD_NAMES_HELP, resolveField, type ResolvedField } from "./fields.js";
import { hasWildcard, parseQuery, QueryError, valueText, type Comparator, type FieldRef, type QueryNode, type Value } from "./parse.js";
import { DAY_MS, isWholeDay, parseTime } from "./time.js";

/** Bind parameters of one statement: add() returns the placeholder of the value it was given. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface CompileOptions {
  /** What `now` means in times (timestamp >= now-1h); default the wall clock. */
  readonly now?: number;
}

/** Parses and compiles a query; "" means every alert. Throws QueryError with a position. */
export function compileQuery(query: string, params: SqlParams, options: CompileOptions = {}): string {
  return new Compiler(params, options.now ?? Date.now()).node(parseQuery(query));
}

/** A LIKE pattern (escape character backslash) from a value's literal pieces and wildcards. */
export function likePattern(value: Value, contains = false): string {
  const body = value.parts.map((p) => (typeof p === "string" ? p.replace(/[\\%_]/g, "\\$&") : p.wildcard === "*" ? "%" : "_")).join("");
  return contains ? `%${body}%` : body;
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;
const INTEGER = /^-?\d{1,15}$/;

class Compiler {
  constructor(
    private readonly params: SqlParams,
    private readonly now: number,
  ) {}

  node(node: QueryNode): string {
    switch (node.kind) {
      case "all":
        return "TRUE";
      case "and":
        return `(${node.children.map((c) => this.node(c)).join(" AND ")})`;
      case "or":
        return this.anyOf(node.children) ?? `(${node.children.map((c) => this.node(c)).join(" OR ")})`;
      case "not":
        // A missing field (NULL) does not match, so its negation does, as in Lucene.
        return `(NOT COALESCE(${this.node(node.child)}, FALSE))`;
      case "text": {
        const p = this.params.add(likePattern(node.value, true));
        return `(full_log ILIKE ${p} OR rule_description ILIKE ${p})`;
      }
      case "match":
        return this.match(this.field(node.field), node.value);
      case "exists":
        return this.exists(this.field(node.field));
      case "compare":
        return this.compare(this.field(node.field), node.field, node.op, node.value);
      case "range": {
        const field = this.field(node.field);
        const parts: string[] = [];
        if (node.lower) parts.push(this.compare(field, node.field, node.lowerInclusive ? ">=" : ">", node.lower));
        if (node.upper) parts.push(this.compare(field, node.field, node.upperInclusive ? "<=" : "<", node.upper));
        return parts.length ? `(${parts.join(" AND ")})` : this.exists(field);
      }
    }
  }

  private field(ref: FieldRef): ResolvedField {
    const field = resolveField(ref.name);
    if (!field) throw new QueryError(`unknown field ${JSON.stringify(ref.name)}; fields are ${FIELD_NAMES_HELP}`, ref.position);
    return field;
  }

  /** `rule.id:(651 OR 100100)`: one `= ANY($n)` (one index probe per value) instead of a chain of ORs. */
  private anyOf(children: readonly QueryNode[]): string | null {
    let column: string | null = null;
    let kind: string | null = null;
    const values: (string | number)[] = [];
    for (const child of children) {
      if (child.kind !== "match" || hasWildcard(child.value)) return null;
      const field = resolveField(child.field.name);
      if (!field || field.kind !== "column" || (field.spec.kind !== "keyword" && field.spec.kind !== "integer")) return null;
      if (column !== null && field.spec.column !== column) return null;
      column = field.spec.column;
      kind = field.spec.kind;
      const text = valueText(child.value);
      if (kind === "integer") {
        if (!INTEGER.test(text)) return null; // match() reports the bad value with its position
        values.push(Number(text));
      } else {
        values.push(text);
      }
    }
    if (column === null) return null;
    return `${column} = ANY(${this.params.add(values)}::${kind === "integer" ? "bigint" : "text"}[])`;
  }

  private match(field: ResolvedField, value: Value): string {
    const text = valueText(value);
    const wildcard = hasWildcard(value);
    if (field.kind === "data") {
      const network = field.ip && !wildcard ? this.network(text) : null;
      if (network) return `(tld_inet(data ->> ${this.params.add(field.key)}) <<= ${this.params.add(network)}::inet)`;
      if (wildcard) return `((data ->> ${this.params.add(field.key)}) LIKE ${this.params.add(likePattern(value))})`;
      // Containment, so the GIN index on data answers it: data @> {"srcip": "203.0.113.7"}.
      return `(data @> ${this.params.add(JSON.stringify({ [field.key]: text }))}::jsonb)`;
    }
    const { column, kind, name } = field.spec;
    switch (kind) {
      case "keyword":
        return wildcard ? `(${column} LIKE ${this.params.add(likePattern(value))})` : `(${column} = ${this.params.add(text)})`;
      case "ip": {
        const network = wildcard ? null : this.network(text);
        if (network) return `(tld_inet(${column}) <<= ${this.params.add(network)}::inet)`;
        return wildcard ? `(${column} LIKE ${this.params.add(likePattern(value))})` : `(${column} = ${this.params.add(text)})`;
      }
      case "text":
        return `(${column} ILIKE ${this.params.add(likePattern(value, true))})`;
      case "keywords":
        if (!wildcard) return `(${column} @> ARRAY[${this.params.add(text)}]::text[])`;
        return `(EXISTS (SELECT 1 FROM unnest(${column}) AS element WHERE element LIKE ${this.params.add(likePattern(value))}))`;
      case "integer":
        if (wildcard || !INTEGER.test(text)) throw new QueryError(`${name} takes a whole number, not ${JSON.stringify(text)}`, value.position);
        return `(${column} = ${this.params.add(Number(text))})`;
      case "time": {
        if (wildcard) throw new QueryError(`${name} takes a time, not a pattern (use timestamp >= now-1h or [a TO b])`, value.position);
        const at = this.time(name, value);
        if (isWholeDay(text)) return `(${column} >= ${this.params.add(new Date(at).toISOString())}::timestamptz AND ${column} < ${this.params.add(new Date(at + DAY_MS).toISOString())}::timestamptz)`;
        return `(${column} = ${this.params.add(new Date(at).toISOString())}::timestamptz)`;
      }
    }
  }

  private exists(field: ResolvedField): string {
    if (field.kind === "data") return `(data ? ${this.params.add(field.key)})`;
    const { column, kind, nullable } = field.spec;
    if (kind === "keywords") return `(cardinality(${column}) > 0)`;
    if (kind === "integer" || kind === "time") return "TRUE";
    return nullable ? `(${column} IS NOT NULL AND ${column} <> '')` : `(${column} <> '')`;
  }

  private compare(field: ResolvedField, ref: FieldRef, op: Comparator, value: Value): string {
    const text = valueText(value);
    if (field.kind === "data") {
      const key = this.params.add(field.key);
      if (NUMBER.test(text)) return `(tld_num(data ->> ${key}) ${op} ${this.params.add(text)}::numeric)`;
      return `((data ->> ${key}) ${op} ${this.params.add(text)})`;
    }
    const { column, kind, name } = field.spec;
    switch (kind) {
      case "integer":
        if (!NUMBER.test(text)) throw new QueryError(`${name} compares with a number, not ${JSON.stringify(text)}`, value.position);
        return `(${column} ${op} ${this.params.add(text)}::numeric)`;
      case "time":
        return `(${column} ${op} ${this.params.add(new Date(this.time(name, value)).toISOString())}::timestamptz)`;
      case "keyword":
        // rule.id >= 100000 means the custom rules: numbers compare as numbers, other values as text.
        if (NUMBER.test(text)) return `(tld_num(${column}) ${op} ${this.params.add(text)}::numeric)`;
        return `(${column} ${op} ${this.params.add(text)})`;
      default:
        throw new QueryError(`${ref.name} cannot be compared with ${op}${kind === "ip" ? "; use a CIDR such as 203.0.113.0/24" : ""}`, ref.position);
    }
  }

  private time(name: string, value: Value): number {
    const at = parseTime(valueText(value), this.now);
    if (at === null) throw new QueryError(`${name} takes a time (2026-12-04, 2026-12-04T10:00:00Z, epoch ms, now-24h), not ${JSON.stringify(valueText(value))}`, value.position);
    return at;
  }

  /** A CIDR value (the canonical text PostgreSQL's inet reads), or null when the value is no network. */
  private network(text: string): string | null {
    if (!text.includes("/")) return null;
    const network = parseNetwork(text);
    return network ? formatNetwork(network) : null;
  }
}
