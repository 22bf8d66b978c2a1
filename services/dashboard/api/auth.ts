// Who may use the dashboard: people log in as admin (a session cookie, HttpOnly, SameSite=Strict, sessions kept
// in Redis so any dashboard instance knows them); automation sends `Authorization: Bearer <token>`. Nothing is
// served anonymously but the login page (the UI's shell and its scripts) and /healthz, /readyz. Secrets are
// compared in constant time; login attempts are rate-limited per client address.
import { createHash, timingSafeEqual } from "node:crypto";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import session from "@fastify/session";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";

declare module "fastify" {
  interface Session {
    user?: string;
  }
  interface FastifyContextConfig {
    /** The route answers without a login (the login page, its assets, health probes). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Who is asking: "admin" (a session) or "token" (the API token); set by the auth hook. */
    principal?: "admin" | "token";
  }
}

export const ADMIN_USER = "admin";
export const SESSION_COOKIE = "tld_session";
/** Paths service.ts registers for probes: `tld up` and orchestrators ask them without credentials. */
const PROBES = new Set(["/healthz", "/readyz"]);
const SESSION_PREFIX = "tld:dashboard:session:";

/** Equal strings, in time that depends only on their digests' length (hashing first hides the lengths). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** @fastify/session's store over Redis: a session is one key that expires with it. */
export class RedisSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  set(sessionId: string, value: unknown, callback: (err?: unknown) => void): void {
    this.redis.set(SESSION_PREFIX + sessionId, JSON.stringify(value), "EX", this.ttlSeconds).then(() => callback(), callback);
  }

  get(sessionId: string, callback: (err: unknown, result?: never | null) => void): void {
    this.redis.get(SESSION_PREFIX + sessionId).then((text) => callback(null, text ? (JSON.parse(text) as never) : null), callback);
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.redis.del(SESSION_PREFIX + sessionId).then(() => callback(), callback);
  }
}

export interface AuthOptions {
  readonly adminPassword: string;
  readonly apiToken: string;
  /** Signs the session cookie (32 characters or more). */
  readonly sessionKey: string;
  readonly redis: Redis;
  readonly sessionHours: number;
  readonly loginsPerMinute: number;
  /** Serve the cookie with Secure (behind HTTPS). */
  readonly secureCookie?: boolean;
  /** URL prefixes served without a login (the login page's scripts and styles). */
  readonly publicPrefixes?: readonly string[];
}

function unauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A person opening /docs without a session is sent to the login page, which comes back here after.
  if (request.method === "GET" && !request.url.startsWith("/api/") && (request.headers.accept ?? "").includes("text/html")) {
    return reply.redirect(`/?next=${encodeURIComponent(request.url)}`);
  }
  return reply.code(401).header("www-authenticate", 'Bearer realm="tld"').send({ error: "log in, or send Authorization: Bearer <token>" });
}

/** A request that changes something, sent with a session cookie, must come from our own pages. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return true; // not a browser's cross-site request (browsers send Origin on every non-GET fetch)
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(cookie);
  await app.register(session, {
    secret: options.sessionKey,
    cookieName: SESSION_COOKIE,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: "strict", secure: options.secureCookie ?? false, path: "/", maxAge: options.sessionHours * 3_600_000 },
    store: new RedisSessionStore(options.redis, options.sessionHours * 3600),
  });
  await app.register(rateLimit, { global: false });

  app.addHook("onRequest", async (request, reply) => {
    const route = request.routeOptions.url ?? "";
    if (request.routeOptions.config?.public || PROBES.has(route) || options.publicPrefixes?.some((p) => route.startsWith(p))) return;
    const token = bearerToken(request.headers.authorization);
    if (token !== null) {
      if (!secretEquals(token, options.apiToken)) return reply.code(401).send({ error: "the Bearer token is not valid" });
      request.principal = "token";
      return;
    }
    if (request.session.get("user") === ADMIN_USER) {
      if (request.method !== "GET" && request.method !== "HEAD" && !sameOrigin(request)) {
        return reply.code(403).send({ error: "cross-origin request refused" });
      }
      request.principal = "admin";
      return;
    }
    return unauthorized(request, reply);
  });

  const credentials = {
    type: "object",
    required: ["username", "password"],
    additionalProperties: false,
    properties: { username: { type: "string", maxLength: 128 }, password: { type: "string", maxLength: 1024 } },
  } as const;

  app.post<{ Body: { username: string; password: string } }>(
    "/api/login",
    {
      config: { public: true, rateLimit: { max: options.loginsPerMinute, timeWindow: 60_000 } },
      schema: {
        summary: "log in as admin: sets the session cookie",
        tags: ["session"],
        body: credentials,
        response: { 200: { type: "object", properties: { user: { type: "string" } } }, 401: { $ref: "error#" } },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // Both comparisons always run, so a wrong user name and a wrong password take the same time.
      const userOk = secretEquals(username, ADMIN_USER);
      const passwordOk = secretEquals(password, options.adminPassword);
      if (!(userOk && passwordOk)) {
        request.log.warn({ username: username.slice(0, 64), ip: request.ip }, "dashboard login refused");
        return reply.code(401).send({ error: "wrong user name or password" });
      }
      await request.session.regenerate(); // a new id on login: a planted session id is worth nothing
      request.session.set("user", ADMIN_USER);
      request.log.info({ username: ADMIN_USER, ip: request.ip }, "dashboard login");
      return { user: ADMIN_USER };
    },
  );

  app.post("/api/logout", { schema: { summary: "end the session", tags: ["session"] } }, async (request) => {
    if (request.principal === "admin") await request.session.destroy();
    return { ok: true };
  });

  app.get("/api/session", { schema: { summary: "who is logged in", tags: ["session"] } }, async (request) => ({ user: request.principal === "token" ? "token" : ADMIN_USER }));
}
