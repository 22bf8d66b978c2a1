// The agent registry's layout in Redis and read-only access to it. The collector owns the registry (enrollment,
// keys, keepalives: services/collector/registry.ts); the responder (location "all", defined-agent) and
// `tld blocks` only need to know which agents exist, so they read it here instead of importing the collector.
// Every key carries the {tld:agents} hash tag so the collector's scripts touch a single slot (Redis Cluster ready).
import type { Redis } from "ioredis";

export const AGENT_KEYS = {
  /** hash: agent name -> id (names are unique) */
  names: "{tld:agents}:names",
  /** counter behind the ids "001", "002", ... */
  sequence: "{tld:agents}:seq",
  /** + id: hash holding one agent's record (and the SHA-256 of its key, never the key) */
  agentPrefix: "{tld:agents}:agent:",
} as const;

export interface AgentRecord {
  id: string;
  name: string;
  ip: string | null;
  os: string | null;
  version: string | null;
  groups: string[];
  registeredAt: number;
  lastKeepalive: number | null;
  /** Lines the agent reports holding in its disk buffer, and dropped because that buffer was full. */
  buffered: number;
  dropped: number;
}

export type AgentStatus = "active" | "disconnected" | "never_connected";

/** A record with the status derived from it, as `GET /v1/agents`, `tld agents ls` and the dashboard show it. */
export interface AgentView extends AgentRecord {
  status: AgentStatus;
}

/** Wazuh's agent states: no keepalive for the disconnection time means disconnected. */
export function agentStatus(lastKeepalive: number | null, now: number, disconnectionMs: number): AgentStatus {
  if (lastKeepalive === null) return "never_connected";
  return now - lastKeepalive > disconnectionMs ? "disconnected" : "active";
}

export function agentRecordFromHash(hash: Record<string, string>): AgentRecord | null {
  if (!hash.id || !hash.name) return null;
  const num = (v: string | undefined) => (v === undefined || v === "" ? null : Number(v));
  return {
    id: hash.id,
    name: hash.name,
    ip: hash.ip || null,
    os: hash.os || null,
    version: hash.version || null,
    groups: hash.groups ? (JSON.parse(hash.groups) as string[]) : [],
    registeredAt: Number(hash.registeredAt ?? 0),
    lastKeepalive: num(hash.lastKeepalive),
    buffered: Number(hash.buffered ?? 0),
    dropped: Number(hash.dropped ?? 0),
  };
}

export async function readAgent(redis: Redis, id: string): Promise<AgentRecord | null> {
  return agentRecordFromHash(await redis.hgetall(AGENT_KEYS.agentPrefix + id));
}

/** Every enrolled agent, by id. */
export async function readAgents(redis: Redis): Promise<AgentRecord[]> {
  const ids = Object.values(await redis.hgetall(AGENT_KEYS.names));
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(AGENT_KEYS.agentPrefix + id);
  const agents: AgentRecord[] = [];
  for (const [err, hash] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    const record = agentRecordFromHash(hash as Record<string, string>);
    if (record) agents.push(record);
  }
  return agents.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

/** An agent by id ("001") or by name ("ubuntu"), as a user would name it on the command line. */
export async function findAgent(redis: Redis, idOrName: string): Promise<AgentRecord | null> {
  if (/^\d{3,12}$/.test(idOrName)) {
    const byId = await readAgent(redis, idOrName);
    if (byId) return byId;
  }
  const id = await redis.hget(AGENT_KEYS.names, idOrName);
  return id ? readAgent(redis, id) : null;
}
