// A dashboard API of the tests' own, in process, over the real PostgreSQL and Redis: its alert store lives in
// a schema made for the test (dropped afterwards), so a test knows exactly which alerts exist.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { loadConfig } from "../../lib/config.js";
import { RedisListStore } from "../../lib/lists/index.js";
import type { Alert } from "../../lib/records.js";
import pino from "pino";
import { dashboardBlockControl } from "../../services/dashboard/api/blockControl.js";
import { registerDashboard } from "../../services/dashboard/api/server.js";
import { AlertStore } from "../../services/dashboard/store/alerts.js";

export interface TestDashboard {
  readonly url: string;
  readonly store: AlertStore;
  readonly redis: Redis;
  readonly app: FastifyInstance;
  readonly token: string;
  readonly password: string;
  close(): Promise<void>;
}

export async function startTestDashboard(options: { loginsPerMinute?: number } = {}): Promise<TestDashboard> {
  const config = loadConfig();
  const schema = `test_dashboard_${process.pid}_${randomBytes(3).toString("hex")}`;
  const store = AlertStore.open(config.postgres.url, { schema });
  await store.migrate();
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2 });
  const token = `test-token-${randomBytes(12).toString("hex")}`;
  const password = `test-password-${randomBytes(6).toString("hex")}`;
  const blocks = dashboardBlockControl(config, redis, pino({ level: "silent" }));
  const app = Fastify({ logger: false });
  await registerDashboard(app, {
    store,
    redis,
    lists: new RedisListStore(redis),
    auth: { adminPassword: password, apiToken: token, sessionKey: randomBytes(32).toString("hex"), sessionHours: 1, loginsPerMinute: options.loginsPerMinute ?? 50 },
    maxPageSize: 1000,
    agentDisconnectionMs: 60_000,
    blocks: blocks.control,
  });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url: address,
    store,
    redis,
    app,
    token,
    password,
    async close() {
      await app.close();
      await blocks.close();
      await store.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await store.close();
      redis.disconnect();
    },
  };
}

let sequence = 0;

/** An alert as the matcher would publish it, with what a test sets. */
export function testAlert(overrides: Partial<Omit<Alert, "rule" | "agent">> & { rule?: Partial<Alert["rule"]>; agent?: Partial<Alert["agent"]> } = {}): Alert {
  sequence++;
  const { rule, agent, ...rest } = overrides;
  return {
    id: `test-alert-${process.pid}-${sequence}-${randomBytes(4).toString("hex")}`,
    timestamp: Date.now(),
    rule: { id: "31108", level: 5, description: "Web server 400 error code.", groups: ["web", "accesslog"], firedtimes: 1, ...rule },
    agent: { id: "001", name: "ubuntu", ip: "192.0.2.10", os: "linux", ...agent },
    decoder: "web-accesslog",
    fields: { srcip: "198.51.100.1", url: "/", protocol: "GET", id: "200" },
    fullLog: `198.51.100.1 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.0"`,
    location: "/var/log/apache2/access.log",
    eventId: `event-${sequence}`,
    ...rest,
  };
}
