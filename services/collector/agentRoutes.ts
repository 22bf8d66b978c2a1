// Enrollment, keepalives and the manager's view of its agents:
//   POST   /v1/agents/enroll     shared password -> a new agent id and key (the key is shown once, stored hashed)
//   POST   /v1/agents/keepalive  an agent says it is alive (status, last keepalive, its buffer figures)
//   GET    /v1/agents            the registry (manager key only: `tld agents ls`)
//   DELETE /v1/agents/:id        revokes the agent's key (manager key only: `tld agents rm`)
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type client from "prom-client";
import { z } from "zod";
import { secretEquals, type Authenticate } from "./auth.js";
import { NameTakenError, type AgentRegistry } from "./registry.js";

export interface AgentRoutesOptions {
  authenticate: Authenticate;
  registry: AgentRegistry;
  /** The configured enrollment password, read at each attempt (null: enrollment is closed). */
  enrollmentPassword: () => string | null;
  enrollmentsPerMinute: number;
  refused: client.Counter<"reason">;
}

/** Agent names as Wazuh allows them: letters, digits and - _ . (they show up in alerts and file names). */
export const AGENT_NAME = /^[A-Za-z0-9._-]{1,128}$/;

export const enrollSchema = z
  .object({
    password: z.string().min(1).max(1024),
    name: z.string().regex(AGENT_NAME, "name may hold 1-128 letters, digits, . _ -"),
    groups: z.array(z.string().regex(AGENT_NAME, "group names may hold letters, digits, . _ -")).max(64).default([]),
    os: z.string().max(32).optional(),
    version: z.string().max(64).optional(),
    force: z.boolean().default(false),
  })
  .strict();

export const keepaliveSchema = z
  .object({
    os: z.string().max(32).optional(),
    version: z.string().max(64).optional(),
    buffered: z.number().int().nonnegative().optional(),
    dropped: z.number().int().nonnegative().optional(),
  })
  .strict();

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join(".") || "body"}: ${issue.message}`;
}

export async function registerAgentRoutes(app: FastifyInstance, options: AgentRoutesOptions): Promise<void> {
  const { registry, refused } = options;
  const managerOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.caller?.kind !== "manager") return reply.code(403).send({ error: "only the manager's own key may manage agents" });
  };

  app.post(
    "/v1/agents/enroll",
    // Keyed by client address: this is the one route reachable without a key, so it is where guessing happens.
    { config: { rateLimit: { max: options.enrollmentsPerMinute, timeWindow: 60_000 } } },
    async (req, reply) => {
      const expected = options.enrollmentPassword();
      if (expected === null) {
        refused.inc({ reason: "enrollment_closed" });
        return reply.code(403).send({
          error: "enrollment is disabled: no enrollment password is configured on the manager (set TLD_ENROLLMENT_PASSWORD or write it to the enrollment password file)",
        });
      }
      const parsed = enrollSchema.safeParse(req.body);
      if (!parsed.success) {
        refused.inc({ reason: "malformed" });
        return reply.code(400).send({ error: firstIssue(parsed.error) });
      }
      const body = parsed.data;
      if (!secretEquals(body.password, expected)) {
        refused.inc({ reason: "bad_password" });
        req.log.warn({ name: body.name, ip: req.ip }, "enrollment refused: wrong password");
        return reply.code(401).send({ error: "wrong enrollment password" });
      }
      try {
        const { record, key, replacedId } = await registry.enroll({ name: body.name, groups: body.groups, os: body.os ?? null, version: body.version ?? null, ip: req.ip, force: body.force });
        req.log.info({ agent: record.id, name: record.name, ip: req.ip, replaced: replacedId }, "agent enrolled");
        return reply.code(201).send({ id: record.id, name: record.name, key, replacedId });
      } catch (err) {
        if (err instanceof NameTakenError) {
          return reply.code(409).send({ error: `${err.message}; remove it with \`tld agents rm ${err.existingId}\` or enroll with --force` });
        }
        throw err;
      }
    },
  );

  app.post("/v1/agents/keepalive", { onRequest: options.authenticate }, async (req, reply) => {
    const parsed = keepaliveSchema.safeParse(req.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: firstIssue(parsed.error) });
    if (req.caller?.kind !== "agent") return reply.code(400).send({ error: "keepalives come from enrolled agents" });
    const alive = await registry.keepalive(req.caller.agent.id, { ip: req.ip, ...parsed.data });
    // The key was just authenticated, so a miss means the agent was removed in between: same answer as revoked.
    if (!alive) return reply.code(401).send({ error: "missing, unknown or revoked agent key" });
    return { id: req.caller.agent.id, status: "active" };
  });

  app.get("/v1/agents", { onRequest: [options.authenticate, managerOnly] }, async () => ({ agents: await registry.list() }));

  app.delete<{ Params: { id: string } }>("/v1/agents/:id", { onRequest: [options.authenticate, managerOnly] }, async (req, reply) => {
    if (!(await registry.remove(req.params.id))) return reply.code(404).send({ error: `no agent with id ${req.params.id}` });
    req.log.info({ agent: req.params.id }, "agent removed; its key is revoked");
    return { removed: req.params.id };
  });
}
