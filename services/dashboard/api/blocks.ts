// Active blocks with the time they have left, manual block and unblock: the dashboard side of lib/blocks.ts,
// the same BlockControl `tld blocks` uses (state in Redis, commands on tld.ar.commands).
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { readAgents } from "../../../lib/agents.js";
import { BlockError, type BlockControl, type BlockErrorCode } from "../../../lib/blocks.js";

const STATUS: Record<BlockErrorCode, number> = {
  invalid_ip: 400,
  invalid_ttl: 400,
  invalid_program: 400,
  unknown_agent: 404,
  no_block: 404,
  allow_listed: 409,
  busy: 409,
};

const blockSchema = {
  type: "object",
  properties: {
    agentId: { type: "string" },
    agentName: { type: ["string", "null"] },
    ip: { type: "string" },
    program: { type: "string" },
    ruleId: { type: ["string", "null"] },
    alertId: { type: ["string", "null"] },
    commandId: { type: "string" },
    createdAt: { type: "integer" },
    expiresAt: { type: "integer" },
    timeLeftMs: { type: "integer" },
    hits: { type: "integer" },
    manual: { type: "boolean" },
  },
} as const;

export function registerBlockRoutes(app: FastifyInstance, control: BlockControl, redis: Redis): void {
  const refuse = (err: unknown) => {
    if (err instanceof BlockError) return { status: STATUS[err.code] ?? 400, body: { error: err.message, code: err.code } };
    throw err;
  };

  app.get<{ Querystring: { agent?: string } }>(
    "/api/blocks",
    {
      schema: {
        summary: "active blocks with the time they have left",
        tags: ["blocks"],
        querystring: { type: "object", additionalProperties: false, properties: { agent: { type: "string", maxLength: 64, description: "only this agent's (id)" } } },
        response: { 200: { type: "object", properties: { items: { type: "array", items: blockSchema } } } },
      },
    },
    async (request) => {
      const [blocks, agents] = await Promise.all([control.list({ agentId: request.query.agent }), readAgents(redis)]);
      const names = new Map(agents.map((a) => [a.id, a.name]));
      return { items: blocks.map((b) => ({ ...b, agentName: names.get(b.agentId) ?? null })) };
    },
  );

  app.post<{ Body: { agent: string; ip: string; ttlSeconds: number; program?: string } }>(
    "/api/blocks",
    {
      schema: {
        summary: "block an IP on an agent for ttlSeconds (replaces a live block of the same IP)",
        tags: ["blocks"],
        body: {
          type: "object",
          required: ["agent", "ip", "ttlSeconds"],
          additionalProperties: false,
          properties: {
            agent: { type: "string", minLength: 1, maxLength: 128, description: "agent id or name" },
            ip: { type: "string", minLength: 1, maxLength: 64 },
            ttlSeconds: { type: "integer", minimum: 1 },
            program: { type: "string", maxLength: 64 },
          },
        },
      },
    },
    async (request, reply) => {
      try {
        const { block } = await control.block(request.body);
        request.log.info({ agentId: block.agentId, ip: block.ip, ttlSeconds: request.body.ttlSeconds, principal: request.principal }, "manual block from the dashboard");
        return { block };
      } catch (err) {
        const { status, body } = refuse(err);
        return reply.code(status).send(body);
      }
    },
  );

  app.delete<{ Params: { agent: string; ip: string } }>(
    "/api/blocks/:agent/:ip",
    {
      schema: {
        summary: "unblock an IP on an agent now",
        tags: ["blocks"],
        params: { type: "object", required: ["agent", "ip"], properties: { agent: { type: "string", maxLength: 128 }, ip: { type: "string", maxLength: 64 } } },
      },
    },
    async (request, reply) => {
      try {
        const { block } = await control.unblock(request.params);
        request.log.info({ agentId: block.agentId, ip: block.ip, principal: request.principal }, "manual unblock from the dashboard");
        return { block };
      } catch (err) {
        const { status, body } = refuse(err);
        return reply.code(status).send(body);
      }
    },
  );
}
