// The dashboard's HTTP face on one fastify instance: OpenAPI (/docs), authentication, the API and the web UI.
// main.ts calls it with the service's own instance; tests call it with one of their own.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { PACKAGE_ROOT } from "../../../lib/config.js";
import type { RedisListStore } from "../../../lib/lists/index.js";
import type { AlertStore } from "../store/alerts.js";
import { errorBody, registerAlertRoutes } from "./alerts.js";
import { registerAuth, type AuthOptions } from "./auth.js";
import { registerAgentRoutes, registerListRoutes } from "./inventory.js";
import { registerBlockRoutes } from "./blocks.js";
import type { BlockControl } from "../../../lib/blocks.js";

/** Where `npm run build` puts the web UI (vite, services/dashboard/ui/). */
export const UI_DIR = path.join(PACKAGE_ROOT, "dist", "dashboard-ui");

export interface DashboardDeps {
  readonly store: AlertStore;
  readonly redis: Redis;
  readonly lists: RedisListStore;
  readonly auth: Omit<AuthOptions, "redis">;
  readonly maxPageSize: number;
  readonly agentDisconnectionMs: number;
  /** Manual control of blocks (lib/blocks.ts): the same `tld blocks` uses. */
  readonly blocks: BlockControl;
  readonly uiDir?: string;
}

export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  app.addSchema({ $id: "error", type: "object", properties: { error: { type: "string" }, position: { type: "integer" } }, required: ["error"] });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "ThreatLockDown dashboard API",
        version: "1",
        description:
          "Threat Hunting over the alerts, the agents, active blocks and reputation lists. Send `Authorization: Bearer <token>` " +
          "(TLD_API_TOKEN, else the token in <stateDir>/secrets/api.token), or log in with POST /api/login for a session cookie.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" }, session: { type: "apiKey", in: "cookie", name: "tld_session" } } },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.setErrorHandler((err, request, reply) => {
    const known = errorBody(err);
    if (known) return reply.code(known.status).send(known.body);
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
      return reply.code(e.statusCode ?? 400).send({ error: e.message });
    }
    request.log.error({ err, url: request.url.split("?")[0] }, "dashboard request failed");
    return reply.code(500).send({ error: "internal error; see the dashboard's log" });
  });

  await registerAuth(app, { ...deps.auth, redis: deps.redis, publicPrefixes: ["/assets/"] });
  registerAlertRoutes(app, deps.store, { maxPageSize: deps.maxPageSize });
  registerAgentRoutes(app, deps.redis, { disconnectionMs: deps.agentDisconnectionMs });
  registerListRoutes(app, deps.lists);
  registerBlockRoutes(app, deps.blocks, deps.redis);
  await registerUi(app, deps.uiDir ?? UI_DIR);
}

/** The single-page UI: its shell at / (and at any page path, for reloads), its scripts under /assets/. */
async function registerUi(app: FastifyInstance, dir: string): Promise<void> {
  const index = path.join(dir, "index.html");
  if (existsSync(path.join(dir, "assets"))) {
    await app.register(fastifyStatic, { root: path.join(dir, "assets"), prefix: "/assets/", immutable: true, maxAge: "365d" });
  }
  const shell = (reply: import("fastify").FastifyReply) => {
    if (!existsSync(index)) return reply.code(503).type("text/plain").send(`the web UI is not built (${index} is missing): run npm run build`);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .header("x-content-type-options", "nosniff")
      .send(readFileSync(index));
  };
  for (const page of ["/", "/alerts", "/agents", "/blocks", "/lists"]) {
    app.get(page, { config: { public: true }, schema: { hide: true } }, async (_request, reply) => shell(reply));
  }
}
