// Who is calling: every agent call carries "Authorization: Bearer <key>". An enrolled agent's key resolves to
// its registry record; the manager's own local key (the one `tld replay` and `tld agents` use) is the
// manager's built-in identity. Anything else is 401 before the body is even read. Rate limits are counted per
// caller (per agent id), so one noisy agent cannot starve the others.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import type { AgentRecord, AgentRegistry } from "./registry.js";

export type Caller = { kind: "manager" } | { kind: "agent"; agent: AgentRecord };

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(header: string | undefined): string | null {
  if (!header?.startsWith("Bearer ")) return null;
  const token = header.slice(7).trim();
  return token.length > 0 ? token : null;
}

export function rateLimitKey(caller: Caller | null, ip: string): string {
  if (caller?.kind === "agent") return `agent:${caller.agent.id}`;
  if (caller?.kind === "manager") return "manager";
  return `ip:${ip}`;
}

export interface AuthOptions {
  managerKey: string;
  registry: AgentRegistry;
  onRefused: (reason: "unauthenticated" | "registry_unavailable") => void;
}

export type Authenticate = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export const REGISTRY_RETRY_AFTER_SECONDS = 2;

/** Registers the request decoration and the rate-limit plugin; returns the onRequest hook for agent routes. */
export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<Authenticate> {
  app.decorateRequest("caller", null);
  await app.register(rateLimit, {
    global: false,
    // After authentication (onRequest), so the bucket is the authenticated agent, not a claimed one.
    hook: "preHandler",
    keyGenerator: (req: FastifyRequest) => rateLimitKey(req.caller, req.ip),
  });
  return async (req, reply) => {
    const token = bearerToken(req.headers.authorization);
    if (token && secretEquals(token, options.managerKey)) {
      req.caller = { kind: "manager" };
      return;
    }
    let agent: AgentRecord | null = null;
    if (token) {
      try {
        agent = await options.registry.authenticate(token);
      } catch (err) {
        options.onRefused("registry_unavailable");
        req.log.warn({ err }, "agent registry unavailable; asking the agent to retry");
        return reply.code(503).header("retry-after", String(REGISTRY_RETRY_AFTER_SECONDS)).send({ error: "agent registry unavailable, retry later" });
      }
    }
    if (!agent) {
      options.onRefused("unauthenticated");
      return reply.code(401).header("www-authenticate", "Bearer").send({ error: "missing, unknown or revoked agent key" });
    }
    req.caller = { kind: "agent", agent };
  };
}
