// The push channel to agents (contract: /tmp/tld-ar-contract.md, "Delivery"):
//   GET  /v1/agents/commands       text/event-stream kept open by the agent: first every command still due for it
//                                  (its active blocks with their remaining TTL, and anything unacknowledged), then
//                                  live commands as they arrive; ": ping" every 15 s
//   POST /v1/agents/commands/ack   {"ids": [...]} -> {"acked": n}
// Every collector instance reads all of tld.ar.commands itself (commandFeed.ts) and hands each command to the
// agents connected to it, so an agent may be connected to any instance; what is due on connect comes from
// the store in Redis, which every instance keeps.
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import client from "prom-client";
import { z } from "zod";
import type { ActiveResponseCommand } from "../../lib/records.js";
import type { Authenticate } from "./auth.js";
import { sseMessage, type CommandStore } from "./commandStore.js";

export const PING_INTERVAL_MS = 15_000;
/** Connections one agent may hold on one instance; a newer one closes the oldest (a half-open socket, usually). */
const MAX_CONNECTIONS_PER_AGENT = 4;
/** A client that reads nothing while this much waits in its socket is cut off rather than buffered for ever. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export const ackSchema = z
  .object({ ids: z.array(z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "a command id")).min(1).max(1000) })
  .strict();

class Connection {
  /** Live commands that arrive while the backlog is being sent wait here, so they follow it in order. */
  private queue: ActiveResponseCommand[] | null = [];
  private readonly sent = new Set<string>();
  private readonly ping: NodeJS.Timeout;

  constructor(
    readonly agentId: string,
    private readonly res: ServerResponse,
    private readonly onSent: (n: number) => void,
  ) {
    this.ping = setInterval(() => this.write(": ping\n\n"), PING_INTERVAL_MS);
    this.ping.unref();
  }

  private write(text: string): void {
    if (this.res.destroyed) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      return;
    }
    this.res.write(text);
  }

  private send(command: ActiveResponseCommand): void {
    const now = Date.now();
    if (command.expiresAt <= now) return; // never send what has expired (the agent would ignore it anyway)
    this.write(sseMessage(command, now));
    this.onSent(1);
  }

  /** The backlog (what the store says is due), then whatever arrived live meanwhile, each id once. */
  replay(backlog: readonly ActiveResponseCommand[]): void {
    for (const c of backlog) {
      this.sent.add(c.id);
      this.send(c);
    }
    const live = this.queue ?? [];
    this.queue = null;
    for (const c of live) if (!this.sent.has(c.id)) this.send(c);
    this.sent.clear();
  }

  deliver(command: ActiveResponseCommand): void {
    if (this.queue) this.queue.push(command);
    else this.send(command);
  }

  close(): void {
    clearInterval(this.ping);
    if (!this.res.destroyed) this.res.end();
  }
}

/** The agents connected to this instance. */
export class CommandHub {
  private readonly connections = new Map<string, Connection[]>();
  private readonly gauge: client.Gauge;
  private readonly sentCounter: client.Counter;

  constructor(
    private readonly store: CommandStore,
    metrics: client.Registry,
  ) {
    this.gauge = new client.Gauge({ name: "tld_collector_command_channels", help: "Agent command channels open on this instance", registers: [metrics] });
    this.sentCounter = new client.Counter({ name: "tld_collector_commands_sent_total", help: "Commands written to agents' channels", registers: [metrics] });
  }

  /** A command fresh from tld.ar.commands (and in the store): to this instance's connections of its agent. */
  deliver(command: ActiveResponseCommand): void {
    for (const conn of this.connections.get(command.agentId) ?? []) conn.deliver(command);
  }

  /** Opens an agent's channel: register first (live commands queue), then send the backlog, then go live. */
  async open(agentId: string, res: ServerResponse): Promise<Connection> {
    const conn = new Connection(agentId, res, (n) => this.sentCounter.inc(n));
    const list = this.connections.get(agentId) ?? [];
    list.push(conn);
    this.connections.set(agentId, list);
    while (list.length > MAX_CONNECTIONS_PER_AGENT) list.shift()!.close();
    this.gauge.set(this.count());
    try {
      conn.replay(await this.store.pending(agentId));
    } catch (err) {
      this.closeConnection(conn);
      throw err;
    }
    return conn;
  }

  closeConnection(conn: Connection): void {
    conn.close();
    const list = (this.connections.get(conn.agentId) ?? []).filter((c) => c !== conn);
    if (list.length) this.connections.set(conn.agentId, list);
    else this.connections.delete(conn.agentId);
    this.gauge.set(this.count());
  }

  closeAll(): void {
    for (const list of this.connections.values()) for (const conn of list) conn.close();
    this.connections.clear();
    this.gauge.set(0);
  }

  private count(): number {
    let n = 0;
    for (const list of this.connections.values()) n += list.length;
    return n;
  }
}

export interface CommandRoutesOptions {
  authenticate: Authenticate;
  hub: CommandHub;
  store: CommandStore;
  metrics: client.Registry;
}

export async function registerCommandRoutes(app: FastifyInstance, options: CommandRoutesOptions): Promise<void> {
  const { hub, store } = options;
  const acked = new client.Counter({ name: "tld_collector_commands_acked_total", help: "Command ids agents acknowledged", registers: [options.metrics] });

  app.get(
    "/v1/agents/commands",
    // Reconnects are backed off by the agent; this bounds a broken one.
    { onRequest: options.authenticate, config: { rateLimit: { max: 20, timeWindow: 10_000 } } },
    async (req, reply) => {
      if (req.caller?.kind !== "agent") return reply.code(403).send({ error: "the command channel is for enrolled agents" });
      const agent = req.caller.agent;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write(": connected\n\n");
      let conn: Connection | null = null;
      let closed = false;
      req.raw.socket.setKeepAlive(true, PING_INTERVAL_MS);
      res.on("close", () => {
        closed = true;
        if (conn) hub.closeConnection(conn);
      });
      try {
        conn = await hub.open(agent.id, res);
        if (closed) hub.closeConnection(conn);
        req.log.info({ agent: agent.id, name: agent.name, lastEventId: req.headers["last-event-id"] }, "agent command channel open");
      } catch (err) {
        // Redis away: the agent reconnects with backoff and gets its backlog then.
        req.log.warn({ err, agent: agent.id }, "cannot read the commands due to an agent; closing its channel");
        res.end();
      }
    },
  );

  app.post("/v1/agents/commands/ack", { onRequest: options.authenticate }, async (req, reply) => {
    if (req.caller?.kind !== "agent") return reply.code(403).send({ error: "acknowledgements come from enrolled agents" });
    const parsed = ackSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: `${issue.path.join(".") || "body"}: ${issue.message}` });
    }
    try {
      const n = await store.ack(req.caller.agent.id, parsed.data.ids);
      acked.inc(n);
      return { acked: n };
    } catch (err) {
      req.log.warn({ err, agent: req.caller.agent.id }, "cannot record acknowledgements; asking the agent to retry");
      return reply.code(503).header("retry-after", "2").send({ error: "command store unavailable, retry later" });
    }
  });
}
