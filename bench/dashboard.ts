// The alert store's figures, in a schema of the bench's own (the real store is not touched, and the schema is
// dropped afterwards):
//   alerts_indexed_per_s   AlertStore.insert in chunks of 2000, the dashboard consumer's own write path
//   alert_search_ms        over 1M stored alerts spread across 24 h: `rule.id:(651 OR 100100)` over the last 24 h,
//                          its first page + total and its histogram together (what the search page asks for)
import { performance } from "node:perf_hooks";
import type { TldConfig } from "../lib/config.js";
import { AlertStore } from "../services/dashboard/store/alerts.js";
import type { Alert } from "../lib/records.js";
import { latencySummary } from "./stats.js";

const SCHEMA = "tld_bench_dashboard";
const STORED = Number(process.env.TLD_BENCH_STORED_ALERTS ?? 1_000_000);
const INDEXED = Number(process.env.TLD_BENCH_INDEXED_ALERTS ?? 100_000);
const CHUNK = 2_000;
const SEARCHES = 40;

export interface DashboardFigures {
  alerts_indexed_per_s: number;
  alert_search_ms: { p50: number; p99: number };
  alert_search_matches: number;
  stored_alerts: number;
  load_1m_s: number;
}

function alerts(n: number, start: number): Alert[] {
  const rules = ["31101", "31108", "31104", "5710", "100100", "651"];
  return Array.from({ length: n }, (_, i) => {
    const k = start + i;
    const srcip = `198.18.${(k >> 8) & 255}.${k & 255}`;
    const rule = rules[k % rules.length];
    return {
      id: `bench-${start}-${k}`,
      timestamp: Date.now() - (k % 86_400) * 1000,
      rule: { id: rule, level: rule === "100100" ? 10 : 5, description: `bench rule ${rule}`, groups: ["web", "accesslog"], firedtimes: 1 },
      agent: { id: String(1 + (k % 50)).padStart(3, "0"), name: `bench-agent-${k % 50}`, ip: "192.0.2.1", os: "linux" },
      decoder: "web-accesslog",
      fields: { srcip, url: `/page/${k % 1000}`, protocol: "GET", id: "404" },
      fullLog: `${srcip} - - [04/Dec/2026:10:00:00 +0000] "GET /page/${k % 1000} HTTP/1.1" 404 153 "-" "bench/1.0"`,
      location: "/var/log/apache2/access.log",
      eventId: `bench-event-${start}-${k}`,
    };
  });
}

/** 1M rows in one INSERT … SELECT over generate_series: server-side, seconds, no client round trips. */
async function load(store: AlertStore, n: number, now: number): Promise<void> {
  await store.pool.query("TRUNCATE alerts");
  await store.pool.query(
    `INSERT INTO alerts (id, ts, rule_id, rule_level, rule_description, rule_groups, rule_firedtimes, agent_id, agent_name, agent_ip,
                         decoder_name, data, location, full_log, event_id)
     SELECT 'bench-' || g,
            date_trunc('milliseconds', to_timestamp($2::double precision / 1000) - (random() * interval '24 hours')),
            r.rule_id, r.level, 'bench rule ' || r.rule_id, ARRAY['web', 'accesslog'], 1,
            lpad((1 + g % 50)::text, 3, '0'), 'bench-agent-' || (g % 50), '192.0.2.1', 'web-accesslog',
            jsonb_build_object('srcip', '198.18.' || ((g / 256) % 256) || '.' || (g % 256), 'url', '/page/' || (g % 1000), 'id', '404'),
            '/var/log/apache2/access.log',
            '198.18.' || ((g / 256) % 256) || '.' || (g % 256) || ' - - "GET /page/' || (g % 1000) || ' HTTP/1.1" 404 153 "-" "bench/1.0"',
            'bench-event-' || g
     FROM generate_series(1, $1::int) AS g
     CROSS JOIN LATERAL (
       -- 4 % reputation hits (100100), 1 % blocks (651), the rest ordinary web noise
       SELECT CASE WHEN g % 100 < 4 THEN '100100' WHEN g % 100 = 4 THEN '651' ELSE (ARRAY['31101', '31108', '31104', '5710'])[1 + g % 4] END AS rule_id,
              CASE WHEN g % 100 < 4 THEN 10 ELSE 5 END AS level
     ) AS r`,
    [n, now],
  );
  await store.pool.query("VACUUM (ANALYZE) alerts");
}

export async function benchDashboard(config: TldConfig, log: (line: string) => void = () => undefined): Promise<DashboardFigures> {
  const store = AlertStore.open(config.postgres.url, { schema: SCHEMA, statementTimeoutMs: 600_000 });
  try {
    await store.pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await store.migrate();

    log(`dashboard: indexing ${INDEXED.toLocaleString("en")} alerts in chunks of ${CHUNK}`);
    const batches = Array.from({ length: Math.ceil(INDEXED / CHUNK) }, (_, i) => alerts(Math.min(CHUNK, INDEXED - i * CHUNK), i * CHUNK));
    const t0 = performance.now();
    let inserted = 0;
    for (const batch of batches) inserted += await store.insert(batch);
    const indexSeconds = (performance.now() - t0) / 1000;
    if (inserted !== INDEXED) throw new Error(`indexed ${inserted} of ${INDEXED}`);

    log(`dashboard: loading ${STORED.toLocaleString("en")} alerts over 24 h with generate_series`);
    const now = Date.now();
    const l0 = performance.now();
    await load(store, STORED, now);
    const loadSeconds = (performance.now() - l0) / 1000;

    const scope = { q: "rule.id:(651 OR 100100)", from: now - 86_400_000, to: now + 1 };
    const once = () => Promise.all([store.search({ ...scope, size: 50 }), store.histogram(scope)]);
    for (let i = 0; i < 3; i++) await once(); // warm the caches, as a dashboard in use has them
    const times: number[] = [];
    let matches = 0;
    for (let i = 0; i < SEARCHES; i++) {
      const s0 = performance.now();
      const [page, histogram] = await once();
      times.push(performance.now() - s0);
      if (page.total !== histogram.total) throw new Error(`search total ${page.total} != histogram total ${histogram.total}`);
      matches = page.total;
    }
    return {
      alerts_indexed_per_s: Math.round(INDEXED / indexSeconds),
      alert_search_ms: latencySummary(times),
      alert_search_matches: matches,
      stored_alerts: STORED,
      load_1m_s: Math.round(loadSeconds * 10) / 10,
    };
  } finally {
    await store.pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await store.close();
  }
}
