// What each agent still has to receive, kept in Redis so that any collector instance can deliver it and an
// agent that was offline gets it on reconnect:
//   {tld:ar:<agent>}:due     hash command id -> command JSON: every command not yet acknowledged (adds, deletes,
//                            one-shots), until acked or expired
//   {tld:ar:<agent>}:active  hash IP -> command JSON: the latest add of each IP still blocked. Always re-sent on
//                            reconnect, acked or not: the agent may have lost its firewall state
//   {tld:ar:<agent>}:acked   sorted set command id -> expiresAt: acknowledged ids, so a replay of the topic does
//                            not queue them again
//   {tld:ar:<agent>}:due-ip  hash IP -> id of the IP's newest add in due: finds the add a newer command makes
//                            obsolete without reading every due command (an agent offline through an attack
//                            wave has thousands; a scan per command made the feed quadratic)
// Each key expires when the last command in it does. The store is fed from tld.ar.commands (commandFeed.ts),
// in the topic's order per agent; applying a command twice changes nothing.
import type { Redis } from "ioredis";
import type { ActiveResponseCommand } from "../../lib/records.js";
import { RedisScript } from "../../lib/redisScript.js";

const keys = (agentId: string) => {
  const tag = `{tld:ar:${agentId}}`;
  return { due: `${tag}:due`, active: `${tag}:active`, acked: `${tag}:acked`, dueByIp: `${tag}:due-ip` };
};

// KEYS: due, active, acked, due-ip. ARGV: id, action, ip, command JSON, createdAt, expiresAt, now.
// An expired command, or one acknowledged already, is not queued. A newer add or delete of an IP replaces the
// IP's active block (or lifts it) and drops the IP's older undelivered add: it could only go backwards.
const APPLY_SCRIPT = new RedisScript(`
local now = tonumber(ARGV[7])
local expires = tonumber(ARGV[6])
local created = tonumber(ARGV[5])
if expires <= now then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local current = redis.call('HGET', KEYS[2], ARGV[3])
local currentCreated = -1
if current then currentCreated = tonumber(cjson.decode(current).createdAt) end
if created >= currentCreated then
  if ARGV[2] == 'add' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  elseif current then redis.call('HDEL', KEYS[2], ARGV[3]) end
end
local newest = true
local previousId = redis.call('HGET', KEYS[4], ARGV[3])
if previousId and previousId ~= ARGV[1] then
  local previous = redis.call('HGET', KEYS[1], previousId)
  if previous then
    if tonumber(cjson.decode(previous).createdAt) < created then redis.call('HDEL', KEYS[1], previousId)
    else newest = false end
  end
end
if newest then
  if ARGV[2] == 'add' then redis.call('HSET', KEYS[4], ARGV[3], ARGV[1]) else redis.call('HDEL', KEYS[4], ARGV[3]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
for _, k in ipairs({1, 2, 4}) do
  if redis.call('PEXPIRETIME', KEYS[k]) < expires then redis.call('PEXPIREAT', KEYS[k], expires) end
end
return 1`);

// KEYS: due, acked. ARGV: now, then the ids. Returns how many ids were recorded.
const ACK_SCRIPT = new RedisScript(`
local now = tonumber(ARGV[1])
local latest = 0
for i = 2, #ARGV do
  local json = redis.call('HGET', KEYS[1], ARGV[i])
  local expires = now + 86400000
  if json then expires = tonumber(cjson.decode(json).expiresAt) end
  if expires > latest then latest = expires end
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZADD', KEYS[2], expires, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
if latest > 0 and redis.call('PEXPIRETIME', KEYS[2]) < latest then redis.call('PEXPIREAT', KEYS[2], latest) end
return #ARGV - 1`);

/** What an agent must be sent on connect: active blocks and unacknowledged commands, oldest first, unexpired. */
export function dueCommands(active: readonly ActiveResponseCommand[], due: readonly ActiveResponseCommand[], now: number): ActiveResponseCommand[] {
  const byId = new Map<string, ActiveResponseCommand>();
  for (const c of [...active, ...due]) if (c.expiresAt > now) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => a.createdAt - b.createdAt || (a.action === b.action ? a.id.localeCompare(b.id) : a.action === "add" ? -1 : 1));
}

/** Seconds left at send time, rounded up; 0 for a delete or a one-shot command. */
export function remainingTtlSeconds(command: ActiveResponseCommand, now: number): number {
  if (command.action === "delete" || command.ttlSeconds === 0) return 0;
  return Math.max(1, Math.ceil((command.expiresAt - now) / 1000));
}

/** One SSE message, as the contract writes it: id, event, and the command (without agentId) on one data line. */
export function sseMessage(command: ActiveResponseCommand, now: number): string {
  const data = {
    id: command.id,
    action: command.action,
    program: command.program,
    ip: command.ip,
    ttlSeconds: remainingTtlSeconds(command, now),
    expiresAt: command.expiresAt,
    alertId: command.alertId,
    ruleId: command.ruleId,
    createdAt: command.createdAt,
  };
  return `id: ${command.id}\nevent: command\ndata: ${JSON.stringify(data)}\n\n`;
}

function parseAll(values: string[]): ActiveResponseCommand[] {
  return values.map((v) => JSON.parse(v) as ActiveResponseCommand);
}

export class CommandStore {
  constructor(private readonly redis: Redis) {}

  /** Queues a command for its agent; false when there was nothing to queue (expired, or acknowledged already). */
  async apply(command: ActiveResponseCommand, now = Date.now()): Promise<boolean> {
    const k = keys(command.agentId);
    const applied = await APPLY_SCRIPT.run(
      this.redis,
      [k.due, k.active, k.acked, k.dueByIp],
      [
        command.id,
        command.action,
        command.ip,
        JSON.stringify(command),
        String(command.createdAt),
        String(command.expiresAt),
        String(now),
      ],
    );
    return applied === 1;
  }

  /** Everything the agent must receive now (see dueCommands); expired entries are dropped on the way. */
  async pending(agentId: string, now = Date.now()): Promise<ActiveResponseCommand[]> {
    const k = keys(agentId);
    const [activeReply, dueReply] = (await this.redis.pipeline().hgetall(k.active).hgetall(k.due).exec()) ?? [];
    if (activeReply?.[0]) throw activeReply[0];
    if (dueReply?.[0]) throw dueReply[0];
    const active = parseAll(Object.values(activeReply?.[1] as Record<string, string>));
    const due = parseAll(Object.values(dueReply?.[1] as Record<string, string>));
    const expiredActive = active.filter((c) => c.expiresAt <= now).map((c) => c.ip);
    const expiredDue = due.filter((c) => c.expiresAt <= now).map((c) => c.id);
    if (expiredActive.length || expiredDue.length) {
      const p = this.redis.pipeline();
      if (expiredActive.length) p.hdel(k.active, ...expiredActive);
      if (expiredDue.length) p.hdel(k.due, ...expiredDue);
      await p.exec();
    }
    return dueCommands(active, due, now);
  }

  /** The agent has applied (or definitively refused) these: they are not sent again, except active blocks on reconnect. */
  async ack(agentId: string, ids: readonly string[], now = Date.now()): Promise<number> {
    if (ids.length === 0) return 0;
    const k = keys(agentId);
    return (await ACK_SCRIPT.run(this.redis, [k.due, k.acked], [String(now), ...ids])) as number;
  }
}
