// The alert store in PostgreSQL: batch inserts from the consume loop (idempotent on the alert id), and the
// searches behind the API (page, count, histogram, top values), all through compile.ts's parameterised SQL.
import pg from "pg";
import type { Alert } from "../../../lib/records.js";
import { compileQuery, SqlParams } from "../query/compile.js";
import { resolveField } from "../query/fields.js";
import { migrate } from "./migrate.js";
import { autoInterval, decodeCursor, encodeCursor, fillBuckets, formatInterval, MAX_BUCKETS, RequestError, type SortOrder } from "./paging.js";
import { alertItem, alertRow, type AlertItem, type AlertRow, type StoredRow } from "./rows.js";

export interface StoreOptions {
  /** A schema of its own (tests, the bench): created when missing and put first on the search_path. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** A search running longer is cancelled (a query over all of full_log can be slow). */
  readonly statementTimeoutMs?: number;
}

/** What every search names: the query and the time range (ms since the epoch; `to` exclusive). */
export interface SearchScope {
  readonly q: string;
  readonly from?: number;
  readonly to?: number;
  /** What `now` means inside the query (timestamp >= now-1h); default the wall clock. */
  readonly now?: number;
}

export interface SearchRequest extends SearchScope {
  readonly size: number;
  readonly cursor?: string;
  readonly sort?: SortOrder;
}

export interface SearchPage {
  items: AlertItem[];
  /** How many alerts match the query and time range (all pages). */
  total: number;
  /** Cursor of the next page, or null on the last one. */
  next: string | null;
}

export interface Histogram {
  interval: string;
  intervalMs: number;
  from: string | null;
  to: string | null;
  buckets: { key: number; time: string; count: number }[];
  total: number;
}

export interface TopValues {
  field: string;
  buckets: { value: string; count: number }[];
  /** Alerts matching the query and time range. */
  total: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const SELECT_COLUMNS =
  "id, ts, rule_id, rule_level, rule_description, rule_groups, rule_firedtimes, agent_id, agent_name, agent_ip, decoder_name, data, location, full_log, " +
  `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_text`;

const INSERT_SQL = `
INSERT INTO alerts (id, ts, rule_id, rule_level, rule_description, rule_groups, rule_firedtimes, agent_id, agent_name,
                    agent_ip, decoder_name, data, location, full_log, event_id)
SELECT r.id, r.ts, r.rule_id, r.rule_level, r.rule_description, ARRAY(SELECT jsonb_array_elements_text(r.rule_groups)),
       r.rule_firedtimes, r.agent_id, r.agent_name, r.agent_ip, r.decoder_name, r.data, r.location, r.full_log, r.event_id
FROM jsonb_to_recordset($1::jsonb) AS r(id text, ts timestamptz, rule_id text, rule_level smallint, rule_description text,
     rule_groups jsonb, rule_firedtimes bigint, agent_id text, agent_name text, agent_ip text, decoder_name text, data jsonb,
     location text, full_log text, event_id text)
ON CONFLICT (id) DO NOTHING`;

export class AlertStore {
  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string | null,
  ) {}

  static open(url: string, options: StoreOptions = {}): AlertStore {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`schema name ${options.schema} is not a plain identifier`);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 8,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      connectionTimeoutMillis: 5_000,
      ...(options.schema ? { options: `-c search_path=${options.schema},public` } : {}),
    });
    // An idle client losing its server is reported on the pool; the next query reconnects.
    pool.on("error", () => undefined);
    return new AlertStore(pool, options.schema ?? null);
  }

  /** Creates the schema (when one was named) and applies pending migrations. */
  async migrate(): Promise<number[]> {
    if (this.schema) await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`); // checked by SCHEMA_NAME
    return migrate(this.pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Stores a batch; alerts already stored (same id) are skipped. Returns how many rows were new. */
  async insert(alerts: readonly Alert[]): Promise<number> {
    return this.insertRows(alerts.map(alertRow));
  }

  async insertRows(rows: readonly AlertRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.pool.query(INSERT_SQL, [JSON.stringify(rows)]);
    return result.rowCount ?? 0;
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    const order = request.sort ?? "desc";
    const params = new SqlParams();
    const matching = this.scope(request, params);
    const countParams = params.values.slice();
    let where = matching;
    if (request.cursor) {
      const cursor = decodeCursor(request.cursor, order);
      // Row comparison on (ts, id) walks the (ts, id) index from where the last page ended: no gaps, no repeats,
      // however many alerts arrive meanwhile.
      where += ` AND (ts, id) ${order === "desc" ? "<" : ">"} (${params.add(cursor.ts)}::timestamptz, ${params.add(cursor.id)})`;
    }
    const direction = order === "desc" ? "DESC" : "ASC";
    const limit = params.add(request.size + 1);
    const [page, count] = await Promise.all([
      this.pool.query<StoredRow & { ts_text: string }>(`SELECT ${SELECT_COLUMNS} FROM alerts WHERE ${where} ORDER BY ts ${direction}, id ${direction} LIMIT ${limit}`, params.values),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE ${matching}`, countParams),
    ]);
    const rows = page.rows.slice(0, request.size);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(alertItem),
      total: Number(count.rows[0].n),
      next: page.rows.length > request.size && last ? encodeCursor({ ts: last.ts_text, id: last.id, order }) : null,
    };
  }

  async count(scope: SearchScope): Promise<number> {
    const params = new SqlParams();
    const where = this.scope(scope, params);
    return Number((await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE ${where}`, params.values)).rows[0].n);
  }

  /**
   * Alerts per time bucket. Without a time range the range is that of the matching alerts. The buckets' counts
   * add up to `total`, the same count the search answers.
   */
  async histogram(request: SearchScope & { intervalMs?: number }): Promise<Histogram> {
    const scope = { ...request, now: request.now ?? Date.now() }; // one `now` for both statements
    let from = scope.from;
    let to = scope.to;
    if (from === undefined || to === undefined) {
      const params = new SqlParams();
      const where = this.scope(scope, params);
      const bounds = (await this.pool.query<{ first: Date | null; last: Date | null }>(`SELECT min(ts) AS first, max(ts) AS last FROM alerts WHERE ${where}`, params.values)).rows[0];
      if (!bounds.first || !bounds.last) {
        const intervalMs = scope.intervalMs ?? 60_000;
        return { interval: formatInterval(intervalMs), intervalMs, from: null, to: null, buckets: [], total: 0 };
      }
      from ??= bounds.first.getTime();
      to ??= bounds.last.getTime() + 1;
    }
    const intervalMs = scope.intervalMs ?? autoInterval(from, to);
    if ((to - from) / intervalMs > MAX_BUCKETS) {
      throw new RequestError(`interval ${formatInterval(intervalMs)} cuts this time range into more than ${MAX_BUCKETS} buckets; choose a wider one`);
    }
    const params = new SqlParams();
    const where = this.scope({ ...scope, from, to }, params);
    const interval = params.add(`${intervalMs} milliseconds`);
    const rows = (
      await this.pool.query<{ bucket: Date; n: string }>(
        `SELECT date_bin(${interval}::interval, ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket, count(*) AS n FROM alerts WHERE ${where} GROUP BY 1`,
        params.values,
      )
    ).rows;
    const counts = new Map(rows.map((r) => [r.bucket.getTime(), Number(r.n)]));
    const buckets = fillBuckets(from, to, intervalMs, counts).map((b) => ({ ...b, time: new Date(b.key).toISOString() }));
    return {
      interval: formatInterval(intervalMs),
      intervalMs,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      buckets,
      total: rows.reduce((sum, r) => sum + Number(r.n), 0),
    };
  }

  /** The most frequent values of a field among the matching alerts (source IPs, rules, agents, ...). */
  async top(scope: SearchScope & { field: string; size: number }): Promise<TopValues> {
    const params = new SqlParams();
    const where = this.scope(scope, params);
    const countParams = params.values.slice();
    const field = resolveField(scope.field);
    if (!field || (field.kind === "column" && field.spec.kind === "time")) {
      throw new RequestError(`cannot count values of ${JSON.stringify(scope.field)}; use a field such as data.srcip, rule.id, agent.name, rule.groups`);
    }
    let value: string;
    if (field.kind === "data") value = `data ->> ${params.add(field.key)}`;
    else if (field.spec.kind === "keywords") value = `unnest(${field.spec.column})`;
    else value = `${field.spec.column}::text`;
    const limit = params.add(scope.size);
    const [top, count] = await Promise.all([
      this.pool.query<{ value: string; n: string }>(
        `SELECT value, count(*) AS n FROM (SELECT ${value} AS value FROM alerts WHERE ${where}) AS v WHERE value IS NOT NULL GROUP BY value ORDER BY n DESC, value LIMIT ${limit}`,
        params.values,
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE ${where}`, countParams),
    ]);
    return { field: scope.field, buckets: top.rows.map((r) => ({ value: r.value, count: Number(r.n) })), total: Number(count.rows[0].n) };
  }

  /** Deletes alerts older than the cutoff, a batch at a time (short transactions); returns how many went. */
  async deleteOlderThan(cutoffMs: number, batch = 10_000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = await this.pool.query(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE ts < $1::timestamptz ORDER BY ts LIMIT $2)",
        [new Date(cutoffMs).toISOString(), batch],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < batch) return deleted;
    }
  }

  /** The query and time range as one SQL condition. */
  private scope(scope: SearchScope, params: SqlParams): string {
    let where = compileQuery(scope.q, params, { now: scope.now ?? Date.now() });
    if (scope.from !== undefined) where += ` AND ts >= ${params.add(new Date(scope.from).toISOString())}::timestamptz`;
    if (scope.to !== undefined) where += ` AND ts < ${params.add(new Date(scope.to).toISOString())}::timestamptz`;
    return where;
  }
}
