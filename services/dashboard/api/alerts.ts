// GET /api/alerts (search), /api/alerts/histogram, /api/alerts/top: Threat Hunting over the alert store.
import type { FastifyInstance } from "fastify";
import { QueryError } from "../query/parse.js";
import { parseTime } from "../query/time.js";
import type { AlertStore, SearchScope } from "../store/alerts.js";
import { parseInterval, RequestError, type SortOrder } from "../store/paging.js";

const TIME_HELP = "ISO 8601 (2026-12-04, 2026-12-04T10:00:00Z), epoch milliseconds, or now-15m / now-24h / now-7d";

const scopeQuery = {
  q: { type: "string", maxLength: 4096, default: "", description: "query, e.g. rule.id:(651 OR 100100) and agent.name:ubuntu" },
  from: { type: "string", maxLength: 64, description: `start of the time range (inclusive): ${TIME_HELP}` },
  to: { type: "string", maxLength: 64, description: `end of the time range (exclusive): ${TIME_HELP}` },
} as const;

interface ScopeQuery {
  q: string;
  from?: string;
  to?: string;
}

const alertItemSchema = {
  $id: "alert",
  type: "object",
  properties: {
    id: { type: "string" },
    timestamp: { type: "string", format: "date-time" },
    rule: {
      type: "object",
      properties: {
        id: { type: "string" },
        level: { type: "integer" },
        description: { type: "string" },
        groups: { type: "array", items: { type: "string" } },
        firedtimes: { type: "integer" },
      },
    },
    agent: { type: "object", properties: { id: { type: "string" }, name: { type: "string" }, ip: { type: ["string", "null"] } } },
    decoder: { type: "object", properties: { name: { type: ["string", "null"] } } },
    data: { type: "object", additionalProperties: { type: "string" } },
    location: { type: "string" },
    full_log: { type: "string" },
  },
} as const;

/** from/to as milliseconds; one `now` for both and for the query's own relative times. */
export function parseScope(query: ScopeQuery, now = Date.now()): SearchScope {
  const time = (name: "from" | "to"): number | undefined => {
    const text = query[name];
    if (text === undefined || text === "") return undefined;
    const ms = parseTime(text, now);
    if (ms === null) throw new RequestError(`${name}: ${JSON.stringify(text)} is not a time (${TIME_HELP})`);
    return ms;
  };
  const from = time("from");
  const to = time("to");
  if (from !== undefined && to !== undefined && from >= to) throw new RequestError("from must be before to");
  return { q: query.q ?? "", from, to, now };
}

export function registerAlertRoutes(app: FastifyInstance, store: AlertStore, options: { maxPageSize: number }): void {
  app.addSchema(alertItemSchema);

  app.get<{ Querystring: ScopeQuery & { size: number; cursor?: string; sort: SortOrder } }>(
    "/api/alerts",
    {
      schema: {
        summary: "search alerts",
        description:
          "Alerts matching the query in the time range, newest first (sort=asc: oldest first), a page at a time. `next` is the cursor " +
          "of the following page (null on the last): pages never skip or repeat an alert, even while alerts keep arriving. " +
          "A query that does not parse is a 400 with the 0-based `position` of the error.",
        tags: ["alerts"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...scopeQuery,
            size: { type: "integer", minimum: 1, maximum: options.maxPageSize, default: 50 },
            cursor: { type: "string", maxLength: 1024, description: "`next` of the previous page" },
            sort: { type: "string", enum: ["desc", "asc"], default: "desc", description: "by timestamp" },
          },
        },
        response: {
          200: {
            type: "object",
            properties: { items: { type: "array", items: { $ref: "alert#" } }, total: { type: "integer" }, next: { type: ["string", "null"] } },
          },
          400: { $ref: "error#" },
        },
      },
    },
    async (request) => {
      const { size, cursor, sort } = request.query;
      return store.search({ ...parseScope(request.query), size, cursor: cursor || undefined, sort });
    },
  );

  app.get<{ Querystring: ScopeQuery & { interval?: string } }>(
    "/api/alerts/histogram",
    {
      schema: {
        summary: "alerts per time bucket",
        description: "Counts of the matching alerts per bucket of `interval` (chosen for about 60 buckets when omitted); the counts add up to `total`.",
        tags: ["alerts"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { ...scopeQuery, interval: { type: "string", maxLength: 16, description: "bucket width: 30s, 5m, 1h, 1d, ..." } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              interval: { type: "string" },
              intervalMs: { type: "integer" },
              from: { type: ["string", "null"] },
              to: { type: ["string", "null"] },
              total: { type: "integer" },
              buckets: { type: "array", items: { type: "object", properties: { key: { type: "integer" }, time: { type: "string" }, count: { type: "integer" } } } },
            },
          },
          400: { $ref: "error#" },
        },
      },
    },
    async (request) => {
      let intervalMs: number | undefined;
      if (request.query.interval) {
        const parsed = parseInterval(request.query.interval);
        if (parsed === null) throw new RequestError(`interval: ${JSON.stringify(request.query.interval)} is not a width such as 30s, 5m, 1h, 1d`);
        intervalMs = parsed;
      }
      return store.histogram({ ...parseScope(request.query), intervalMs });
    },
  );

  app.get<{ Querystring: ScopeQuery & { field: string; size: number } }>(
    "/api/alerts/top",
    {
      schema: {
        summary: "most frequent values of a field",
        description: "Top values among the matching alerts: field=data.srcip (attackers), rule.id, agent.name, rule.groups, ...",
        tags: ["alerts"],
        querystring: {
          type: "object",
          additionalProperties: false,
          required: ["field"],
          properties: { ...scopeQuery, field: { type: "string", maxLength: 140 }, size: { type: "integer", minimum: 1, maximum: 100, default: 10 } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              field: { type: "string" },
              total: { type: "integer" },
              buckets: { type: "array", items: { type: "object", properties: { value: { type: "string" }, count: { type: "integer" } } } },
            },
          },
          400: { $ref: "error#" },
        },
      },
    },
    async (request) => store.top({ ...parseScope(request.query), field: request.query.field, size: request.query.size }),
  );
}

/** What the API answers for a request it refuses: a query error keeps its position. */
export function errorBody(err: unknown): { status: number; body: { error: string; position?: number } } | null {
  if (err instanceof QueryError) return { status: 400, body: { error: err.message, position: err.position } };
  if (err instanceof RequestError) return { status: 400, body: { error: err.message } };
  const pgCode = (err as { code?: string }).code;
  if (pgCode === "57014") return { status: 503, body: { error: "the search took too long and was cancelled; narrow the time range or the query" } };
  return null;
}
