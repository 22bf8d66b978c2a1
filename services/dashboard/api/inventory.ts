// GET /api/agents (the collector's registry, read from Redis) and the reputation lists: names, sizes, look up,
// add and remove an entry (lib/lists/, the store `tld lists` and the matcher use).
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { agentStatus, readAgents } from "../../../lib/agents.js";
import { parseIp } from "../../../lib/ip.js";
import { listName, ListNameError, parseListLine, UnknownListError, type ListFormat, type RedisListStore } from "../../../lib/lists/index.js";
import { RequestError } from "../store/paging.js";

const listInfoSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    entries: { type: "integer" },
    format: { type: "string" },
    source: { type: "string" },
    importedAt: { type: "string" },
    updatedAt: { type: "string" },
  },
} as const;

export function registerAgentRoutes(app: FastifyInstance, redis: Redis, options: { disconnectionMs: number }): void {
  app.get(
    "/api/agents",
    {
      schema: {
        summary: "enrolled agents with their status and last keepalive",
        tags: ["agents"],
        response: {
          200: {
            type: "object",
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    name: { type: "string" },
                    ip: { type: ["string", "null"] },
                    os: { type: ["string", "null"] },
                    version: { type: ["string", "null"] },
                    groups: { type: "array", items: { type: "string" } },
                    status: { type: "string", enum: ["active", "disconnected", "never_connected"] },
                    registeredAt: { type: "string" },
                    lastKeepalive: { type: ["string", "null"] },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const now = Date.now();
      const agents = await readAgents(redis);
      return {
        items: agents.map((a) => ({
          id: a.id,
          name: a.name,
          ip: a.ip,
          os: a.os,
          version: a.version,
          groups: a.groups,
          status: agentStatus(a.lastKeepalive, now, options.disconnectionMs),
          registeredAt: new Date(a.registeredAt).toISOString(),
          lastKeepalive: a.lastKeepalive === null ? null : new Date(a.lastKeepalive).toISOString(),
        })),
      };
    },
  );
}

function checkedListName(name: string): string {
  try {
    return listName(name);
  } catch (err) {
    if (err instanceof ListNameError) throw new RequestError(err.message);
    throw err;
  }
}

/** An entry typed in the UI, read as a line of the list's format (an IP, a CIDR, 10.1., key:value). */
function parseEntry(text: string, format: ListFormat) {
  if (/[\r\n]/.test(text)) throw new RequestError("an entry is one line");
  const parsed = parseListLine(text, format);
  if (parsed === null) throw new RequestError("the entry is empty");
  if ("error" in parsed) throw new RequestError(`${JSON.stringify(text)} is not a valid ${format} entry: ${parsed.error}`);
  return parsed;
}

export function registerListRoutes(app: FastifyInstance, lists: RedisListStore): void {
  const nameParam = { type: "object", required: ["name"], properties: { name: { type: "string", maxLength: 256 } } } as const;
  const entryBody = { type: "object", required: ["entry"], additionalProperties: false, properties: { entry: { type: "string", minLength: 1, maxLength: 1024 } } } as const;

  app.get("/api/lists", { schema: { summary: "reputation lists with their sizes", tags: ["lists"], response: { 200: { type: "object", properties: { items: { type: "array", items: listInfoSchema } } } } } }, async () => ({
    items: await lists.lists(),
  }));

  app.get<{ Params: { name: string }; Querystring: { key: string } }>(
    "/api/lists/:name/lookup",
    {
      schema: {
        summary: "is an IP (or key) in the list? the matching entry as written",
        tags: ["lists"],
        params: nameParam,
        querystring: { type: "object", required: ["key"], properties: { key: { type: "string", minLength: 1, maxLength: 1024 } } },
      },
    },
    async (request, reply) => {
      const name = checkedListName(request.params.name);
      if (!(await lists.info(name))) return reply.code(404).send({ error: `no list named ${name}` });
      const key = request.query.key;
      const kind = parseIp(key) === null ? "exact" : "address";
      const [match] = await lists.matchMany([{ list: name, key, kind }]);
      return { list: name, key, kind, matched: match !== undefined, entry: match?.entry ?? null, value: match?.value ?? null };
    },
  );

  app.post<{ Params: { name: string }; Body: { entry: string } }>(
    "/api/lists/:name/entries",
    { schema: { summary: "add an entry (the list is created when missing)", tags: ["lists"], params: nameParam, body: entryBody } },
    async (request) => {
      const name = checkedListName(request.params.name);
      const format = (await lists.info(name))?.format || "cdb";
      const result = await lists.add(name, [parseEntry(request.body.entry, format)], format);
      request.log.info({ list: name, entry: request.body.entry.slice(0, 200), principal: request.principal }, "list entry added from the dashboard");
      return { list: name, ...result };
    },
  );

  app.delete<{ Params: { name: string }; Querystring: { entry: string } }>(
    "/api/lists/:name/entries",
    {
      schema: {
        summary: "remove an entry",
        tags: ["lists"],
        params: nameParam,
        querystring: { type: "object", required: ["entry"], properties: { entry: { type: "string", minLength: 1, maxLength: 1024 } } },
      },
    },
    async (request, reply) => {
      const name = checkedListName(request.params.name);
      const info = await lists.info(name);
      if (!info) return reply.code(404).send({ error: `no list named ${name}` });
      try {
        const result = await lists.remove(name, [parseEntry(request.query.entry, info.format || "cdb")]);
        request.log.info({ list: name, entry: request.query.entry.slice(0, 200), principal: request.principal }, "list entry removed from the dashboard");
        return { list: name, ...result };
      } catch (err) {
        if (err instanceof UnknownListError) return reply.code(404).send({ error: `no list named ${name}` });
        throw err;
      }
    },
  );
}
