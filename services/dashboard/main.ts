// dashboard: tld.alerts -> the alert store (PostgreSQL), the REST API and the web UI. Wiring only.
import { Redis } from "ioredis";
import client from "prom-client";
import { RedisListStore } from "../../lib/lists/index.js";
import type { Alert } from "../../lib/records.js";
import { dashboardAdminPassword, dashboardApiToken, dashboardSessionKey } from "../../lib/secrets.js";
import { retry, runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { ServiceContext } from "../../lib/service.js";
import { dashboardBlockControl } from "./api/blockControl.js";
import { registerDashboard } from "./api/server.js";
import { AlertStore } from "./store/alerts.js";
import { alertRow } from "./store/rows.js";

const RETENTION_EVERY_MS = 3_600_000;
let store: AlertStore;

function open(ctx: ServiceContext): { store: AlertStore; redis: Redis } {
  const { config, log } = ctx;
  store = AlertStore.open(config.postgres.url);
  ctx.onShutdown("postgres", () => store.close());
  const redis = new Redis(config.redis.url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on("error", (err) => log.warn({ err: err.message }, "redis error (reconnecting)"));
  ctx.onShutdown("redis", () => redis.quit());
  return { store, redis };
}

await runStage<Alert>({
  name: "dashboard",
  input: TOPICS.alerts,
  outputs: [],
  async setupHttp(ctx) {
    const { config, log } = ctx;
    const password = dashboardAdminPassword(config);
    const token = dashboardApiToken(config);
    if (password.file) log.info({ file: password.file }, "dashboard user admin: the password is in this file (TLD_ADMIN_PASSWORD sets another)");
    if (token.file) log.info({ file: token.file }, "dashboard API token is in this file (TLD_API_TOKEN sets another)");
    const { redis } = open(ctx);
    const blocks = dashboardBlockControl(config, redis, log);
    ctx.onShutdown("block commands", () => blocks.close());
    await registerDashboard(ctx.http, {
      blocks: blocks.control,
      store,
      redis,
      lists: new RedisListStore(redis),
      auth: {
        adminPassword: password.value,
        apiToken: token.value,
        sessionKey: dashboardSessionKey(config),
        sessionHours: config.dashboard.sessionHours,
        loginsPerMinute: config.dashboard.loginsPerMinute,
      },
      maxPageSize: config.dashboard.maxPageSize,
      agentDisconnectionMs: config.collector.agentDisconnectionSeconds * 1000,
    });
  },
  // An alert the store cannot hold goes to tld.dlq instead of stalling the partition.
  makeHandler: () => (alert) => {
    alertRow(alert);
    return [];
  },
  async makeSink(ctx) {
    const { config, log } = ctx;
    const applied = await retry(() => store.migrate(), log, "PostgreSQL (alert store migrations)");
    if (applied.length) log.info({ applied }, "alert store migrated");
    const stored = new client.Counter({ name: "tld_dashboard_alerts_stored_total", help: "Alerts written to the alert store", registers: [ctx.metrics] });
    const replayed = new client.Counter({ name: "tld_dashboard_alerts_duplicate_total", help: "Alerts received again and skipped (already stored)", registers: [ctx.metrics] });
    const retention = async () => {
      const cutoff = Date.now() - config.dashboard.retentionDays * 86_400_000;
      const deleted = await store.deleteOlderThan(cutoff).catch((err: unknown) => (log.warn({ err }, "alert retention failed; next try in an hour"), 0));
      if (deleted) log.info({ deleted, olderThan: new Date(cutoff).toISOString() }, "alert retention");
    };
    void retention();
    const timer = setInterval(() => void retention(), RETENTION_EVERY_MS);
    timer.unref();
    ctx.onShutdown("retention", () => clearInterval(timer));
    return async (alerts) => {
      const inserted = await store.insert(alerts);
      stored.inc(inserted);
      if (inserted < alerts.length) replayed.inc(alerts.length - inserted);
    };
  },
});
