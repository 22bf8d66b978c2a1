// The agent registry, kept in Redis so any collector instance can authenticate any agent: one hash per agent
// (id, name, os, version, groups, last ip, last keepalive, buffer stats and the SHA-256 of its key; never
// the key itself) plus a name -> id index that keeps names unique. The layout and the read-only view other
// parts need live in lib/agents.ts; enrollment, keys and keepalives are the collector's, here.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { AGENT_KEYS, agentRecordFromHash, agentStatus, readAgents, type AgentRecord, type AgentView } from "../../lib/agents.js";
import { RedisScript } from "../../lib/redisScript.js";

export type { AgentRecord };


const NAMES = AGENT_KEYS.names;
const SEQUENCE = AGENT_KEYS.sequence;
const AGENT_PREFIX = AGENT_KEYS.agentPrefix;

/** Wazuh-style ids: "001", "002", ...; "000" stays the manager's own. Grows past 999 as needed. */
export function formatAgentId(sequence: number): string {
  return String(sequence).padStart(3, "0");
}

/** An agent key is "<id>.<secret>": the id finds the record, the secret is checked against its hash. */
export function newAgentKey(id: string): string {
  return `${id}.${randomBytes(32).toString("base64url")}`;
}

export function parseAgentKey(key: string): { id: string; secret: string } | null {
  const dot = key.indexOf(".");
  if (dot < 1 || dot === key.length - 1) return null;
  const id = key.slice(0, dot);
  if (!/^\d{3,12}$/.test(id)) return null;
  return { id, secret: key.slice(dot + 1) };
}

/** A plain SHA-256 suffices: the secret is 256 random bits, so there is nothing to brute-force. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return stored.length === given.length && timingSafeEqual(given, stored);
}

// Claims the name for a new id and writes the record in one step. With force, an agent already holding the
// name is replaced (its key stops working), like Wazuh's enrollment "force" option.
const ENROLL_SCRIPT = new RedisScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing and ARGV[2] ~= '1' then return {0, existing} end
if existing then redis.call('DEL', ARGV[4] .. existing) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', ARGV[4] .. ARGV[3], unpack(ARGV, 5))
return {1, existing or ''}`);

// Removes the record and its name, but only the name entry that still points at this id.
const REMOVE_SCRIPT = new RedisScript(`
local name = redis.call('HGET', KEYS[1], 'name')
if not name then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
return 1`);

// Updates only an agent that still exists: a keepalive racing a removal must not resurrect a partial record.
const TOUCH_SCRIPT = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`);

export class NameTakenError extends Error {
  constructor(readonly agentName: string, readonly existingId: string) {
    super(`an agent named "${agentName}" is already enrolled (id ${existingId})`);
    this.name = "NameTakenError";
  }
}

export interface EnrollRequest {
  name: string;
  os: string | null;
  version: string | null;
  groups: string[];
  ip: string | null;
  force: boolean;
}

export class AgentRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly disconnectionMs: number,
  ) {}

  async enroll(request: EnrollRequest, now = Date.now()): Promise<{ record: AgentRecord; key: string; replacedId: string | null }> {
    const id = formatAgentId(await this.redis.incr(SEQUENCE));
    const key = newAgentKey(id);
    const record: AgentRecord = { id, name: request.name, ip: request.ip, os: request.os, version: request.version, groups: request.groups, registeredAt: now, lastKeepalive: null, buffered: 0, dropped: 0 };
    const fields = ["id", id, "name", request.name, "keyHash", hashSecret(parseAgentKey(key)!.secret), "ip", request.ip ?? "", "os", request.os ?? "", "version", request.version ?? "", "groups", JSON.stringify(request.groups), "registeredAt", String(now)];
    const [created, existing] = (await ENROLL_SCRIPT.run(this.redis, [NAMES], [request.name, request.force ? "1" : "0", id, AGENT_PREFIX, ...fields])) as [number, string];
    if (created !== 1) throw new NameTakenError(request.name, existing);
    return { record, key, replacedId: existing || null };
  }

  /** The agent a key belongs to, or null when the key is unknown, malformed or revoked. */
  async authenticate(key: string): Promise<AgentRecord | null> {
    const parsed = parseAgentKey(key);
    if (!parsed) return null;
    const hash = await this.redis.hgetall(AGENT_PREFIX + parsed.id);
    if (!hash.keyHash || !secretMatches(parsed.secret, hash.keyHash)) return null;
    return agentRecordFromHash(hash);
  }

  async keepalive(id: string, update: { ip: string | null; os?: string; version?: string; buffered?: number; dropped?: number }, now = Date.now()): Promise<boolean> {
    const fields = ["lastKeepalive", String(now), "ip", update.ip ?? ""];
    if (update.os !== undefined) fields.push("os", update.os);
    if (update.version !== undefined) fields.push("version", update.version);
    if (update.buffered !== undefined) fields.push("buffered", String(update.buffered));
    if (update.dropped !== undefined) fields.push("dropped", String(update.dropped));
    return (await TOUCH_SCRIPT.run(this.redis, [AGENT_PREFIX + id], fields)) === 1;
  }

  async list(now = Date.now()): Promise<AgentView[]> {
    return (await readAgents(this.redis)).map((record) => ({ ...record, status: agentStatus(record.lastKeepalive, now, this.disconnectionMs) }));
  }

  /** Revokes the agent's key and frees its name; false when there is no such agent. */
  async remove(id: string): Promise<boolean> {
    return (await REMOVE_SCRIPT.run(this.redis, [AGENT_PREFIX + id, NAMES], [id])) === 1;
  }
}
