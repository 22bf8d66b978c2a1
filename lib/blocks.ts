// Active blocks: which IP is blocked on which agent, until when, and why. One live block per (agent, IP): a
// repeat hit extends it (a new add command with a later expiresAt), it never stacks. The state lives in Redis
// and expires with the block; the responder (alerts), `tld blocks` and the dashboard API all go through here,
// and a manual block or unblock publishes its command to tld.ar.commands exactly as the responder does.
//
// Redis layout (one hash tag, so every script below touches a single slot: Redis Cluster ready):
//   {tld:blocks}:block:<agent>:<ip>     hash, the block (fields of StoredBlock); PEXPIREAT its expiresAt
//   {tld:blocks}:index                  sorted set "<agent>/<ip>" -> expiresAt, to list blocks without SCAN
//   {tld:blocks}:offences:<agent>:<ip>  count of the IP's earlier blocks on the agent (repeated offenders);
//                                       expires offenderMemorySeconds after the last one
//   {tld:blocks}:seen:<command id>      an alert already applied (at-least-once replays are recognised);
//                                       for a one-shot command it holds the command itself
import { createHash, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { AllowList } from "./allowList.js";
import { findAgent, type AgentRecord } from "./agents.js";
import { MAX_BLOCK_SECONDS } from "./arConfig.js";
import type { TldConfig } from "./config.js";
import { canonicalIp, isHostAddress, parseIp } from "./ip.js";
import { createKafka, Publisher, type OutRecord } from "./kafka.js";
import type { Logger } from "./logger.js";
import type { ActiveResponseCommand } from "./records.js";
import { createRegistryClient, TopicSerde } from "./serde.js";
import { TOPICS } from "./topics.js";
import { RedisScript } from "./redisScript.js";

export interface ActiveBlock {
  agentId: string;
  ip: string;
  program: string;
  /** Rule and alert of the hit that last set expiresAt; null for a manual block. */
  ruleId: string | null;
  alertId: string | null;
  /** The add command that carries the current expiresAt (what an agent reconnecting must have applied). */
  commandId: string;
  /** When this block began (extensions keep it). */
  createdAt: number;
  expiresAt: number;
  /** Alerts that hit this block (the first included); 0 for a manual block nobody hit since. */
  hits: number;
  manual: boolean;
}

/** What Redis keeps of a block: enough to rebuild the exact command that set its expiry. */
export interface StoredBlock extends ActiveBlock {
  /** Repeated-offender step: 0 = the response's timeout, 1 = its first repeatedOffenders entry, ... */
  step: number;
  /** ttlSeconds and createdAt of the command `commandId`. */
  ttlSeconds: number;
  commandCreatedAt: number;
  /** Revision, raised by every write: what the compare-and-set compares (0: not written yet). */
  rev: number;
}

export interface BlockView extends ActiveBlock {
  step: number;
  /** expiresAt - now, in milliseconds, at the time of listing. */
  timeLeftMs: number;
}

const PREFIX = "{tld:blocks}:";
const INDEX = `${PREFIX}index`;
const blockKey = (agentId: string, ip: string) => `${PREFIX}block:${agentId}:${ip}`;
const offencesKey = (agentId: string, ip: string) => `${PREFIX}offences:${agentId}:${ip}`;
const seenKey = (commandId: string) => `${PREFIX}seen:${commandId}`;
const member = (agentId: string, ip: string) => `${agentId}/${ip}`;

/**
 * A command id: the same parts always give the same id, so an alert replayed after a crash yields the very
 * command it yielded before and the agent, which applies each id once, does nothing twice.
 */
export function commandId(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

/** The add command that gave the block its current expiry. */
export function addCommandOf(block: StoredBlock): ActiveResponseCommand {
  return {
    id: block.commandId,
    agentId: block.agentId,
    action: "add",
    program: block.program,
    ip: block.ip,
    ttlSeconds: block.ttlSeconds,
    expiresAt: block.expiresAt,
    alertId: block.alertId,
    ruleId: block.ruleId,
    createdAt: block.commandCreatedAt,
  };
}

/**
 * The unblock of a block. Its expiresAt is the block's: once that has passed the agent has lifted the block by
 * itself, so an agent offline until then no longer needs the delete.
 */
export function deleteCommandOf(block: StoredBlock, now: number): ActiveResponseCommand {
  return {
    id: commandId(block.agentId, block.ip, "delete", block.commandId),
    agentId: block.agentId,
    action: "delete",
    program: block.program,
    ip: block.ip,
    ttlSeconds: 0,
    expiresAt: block.expiresAt,
    alertId: null,
    ruleId: block.ruleId,
    createdAt: now,
  };
}

/** Bounds what is echoed of a hostile value in logs and errors. */
export function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * The canonical text of an IP that can be blocked, or why not: anything lib/ip.ts does not take for an address
 * (`1.2.3.4;reboot`, `$(id)`, `--flush`, `01.2.3.4`, zone ids, over-long text) and addresses that are no single
 * host (unspecified, broadcast, multicast) never reach a command.
 */
export function blockableIp(text: string | null | undefined): { ip: string } | { error: string } {
  if (text === null || text === undefined || text === "") return { error: "no IP address" };
  const ip = canonicalIp(text);
  if (ip === null) return { error: `${shown(text)} is not an IP address` };
  if (!isHostAddress(parseIp(ip)!)) return { error: `${ip} is not a single host's address (unspecified, broadcast or multicast)` };
  return { ip };
}

// Writes a block if nobody changed it since it was read (compare-and-set on its revision): several responder
// instances (location "all") and `tld blocks` may touch the same block at once.
// KEYS: block, index, seen, offences. ARGV: expected revision ('' = no live block), index member, expiresAt,
// seen TTL ('' = no seen mark), new offence '1'/'0', offence memory ms, now, then the block's field/value pairs.
// Returns the block's new revision. A new block's revisions start from `now`, not 1, so a block removed and made
// again never carries a revision an older copy of it had: a writer holding that copy gets 'conflict'.
const WRITE_SCRIPT = new RedisScript(`
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return 'seen' end
local current = redis.call('HGET', KEYS[1], 'rev') or ''
if current ~= ARGV[1] then return 'conflict' end
if current == '' then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
local rev = (tonumber(current) or tonumber(ARGV[7])) + 1
redis.call('HSET', KEYS[1], 'rev', rev)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7])
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
if ARGV[5] == '1' then
  redis.call('INCR', KEYS[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end
return rev`);

// Removes a block that still carries the expected command id (a hit that only counted may have come in
// between; an extension may not: its add would outlive the delete). KEYS: block, index, offences.
// ARGV: expected command id, index member, clear offences '1'/'0'.
const REMOVE_SCRIPT = new RedisScript(`
local current = redis.call('HGET', KEYS[1], 'commandId') or ''
if current ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] == '1' then redis.call('DEL', KEYS[3]) end
return 1`);

function toFields(block: StoredBlock): string[] {
  return [
    "agentId", block.agentId, "ip", block.ip, "program", block.program, "ruleId", block.ruleId ?? "", "alertId", block.alertId ?? "",
    "commandId", block.commandId, "createdAt", String(block.createdAt), "expiresAt", String(block.expiresAt), "hits", String(block.hits),
    "manual", block.manual ? "1" : "0", "step", String(block.step), "ttlSeconds", String(block.ttlSeconds), "commandCreatedAt", String(block.commandCreatedAt),
  ];
}

function fromHash(hash: Record<string, string>): StoredBlock | null {
  if (!hash.commandId || !hash.agentId || !hash.ip) return null;
  return {
    agentId: hash.agentId,
    ip: hash.ip,
    program: hash.program,
    ruleId: hash.ruleId || null,
    alertId: hash.alertId || null,
    commandId: hash.commandId,
    createdAt: Number(hash.createdAt),
    expiresAt: Number(hash.expiresAt),
    hits: Number(hash.hits),
    manual: hash.manual === "1",
    step: Number(hash.step),
    ttlSeconds: Number(hash.ttlSeconds),
    commandCreatedAt: Number(hash.commandCreatedAt),
    rev: Number(hash.rev ?? 0),
  };
}

export interface BlockState {
  /** The live block, or null (never blocked, or expired). */
  block: StoredBlock | null;
  /** Earlier blocks of this IP on this agent within the offender memory. */
  offences: number;
  /** Whether the command id asked about was applied already (a replayed alert). */
  seen: boolean;
}

export type WriteResult = "ok" | "seen" | "conflict";

export interface WriteOptions {
  /** The revision the block must still have (null: there must be no live block). */
  expectedRev: number | null;
  /** Marks this command id as applied, for this long, so a replay of the same alert is recognised. */
  seen?: { id: string; ttlMs: number };
  /** This write starts a new block that counts as an offence (repeated offenders). */
  newOffence?: boolean;
  offenderMemoryMs?: number;
  now: number;
}

/** The block state in Redis. Redis errors are thrown as they are; callers decide whether to retry. */
export class BlockStore {
  constructor(readonly redis: Redis) {}

  /** The block of (agent, ip) as of `now`, its IP's offence count, and whether `candidateId` was applied already. */
  async read(agentId: string, ip: string, options: { candidateId?: string; now?: number } = {}): Promise<BlockState> {
    const p = this.redis.pipeline().hgetall(blockKey(agentId, ip)).get(offencesKey(agentId, ip));
    if (options.candidateId) p.exists(seenKey(options.candidateId));
    const replies = (await p.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [hash, offences, seen] = replies.map(([, v]) => v);
    const block = fromHash(hash as Record<string, string>);
    // A key past its time may linger for a moment in Redis: the block is over all the same.
    return { block: block && block.expiresAt > (options.now ?? Date.now()) ? block : null, offences: Number(offences ?? 0), seen: seen === 1 };
  }

  async write(block: StoredBlock, options: WriteOptions): Promise<WriteResult> {
    const result = await this.writeRevision(block, options);
    return typeof result === "number" ? "ok" : result;
  }

  /** As write(), answering the block's new revision instead of "ok". */
  async writeRevision(block: StoredBlock, options: WriteOptions): Promise<number | "seen" | "conflict"> {
    const result = await WRITE_SCRIPT.run(
      this.redis,
      [blockKey(block.agentId, block.ip), INDEX, options.seen ? seenKey(options.seen.id) : seenKey("-"), offencesKey(block.agentId, block.ip)],
      [
        options.expectedRev === null ? "" : String(options.expectedRev),
        member(block.agentId, block.ip),
        String(block.expiresAt),
        options.seen ? String(Math.max(1, Math.ceil(options.seen.ttlMs))) : "",
        options.newOffence ? "1" : "0",
        String(options.offenderMemoryMs ?? 24 * 3600 * 1000),
        String(options.now),
        ...toFields(block),
      ],
    );
    return result as number | "seen" | "conflict";
  }

  /** Marks an alert's command as applied without touching a block (a hit that changed nothing). */
  async markSeen(id: string, ttlMs: number): Promise<void> {
    await this.redis.set(seenKey(id), "1", "PX", Math.max(1, Math.ceil(ttlMs)));
  }

  /** Removes the block if it still carries `expected`; false when it changed or is gone. */
  async remove(block: Pick<StoredBlock, "agentId" | "ip" | "commandId">, options: { clearOffences: boolean }): Promise<boolean> {
    const removed = await REMOVE_SCRIPT.run(this.redis, [blockKey(block.agentId, block.ip), INDEX, offencesKey(block.agentId, block.ip)], [block.commandId, member(block.agentId, block.ip), options.clearOffences ? "1" : "0"]);
    return removed === 1;
  }

  /**
   * Records a one-shot command (no block to keep) the first time; a replay gets the command recorded then, so it
   * is republished unchanged rather than issued anew.
   */
  async rememberOneShot(command: ActiveResponseCommand, ttlMs: number): Promise<ActiveResponseCommand> {
    const key = seenKey(command.id);
    const created = await this.redis.set(key, JSON.stringify(command), "PX", Math.max(1, Math.ceil(ttlMs)), "NX");
    if (created === "OK") return command;
    const stored = await this.redis.get(key);
    return stored && stored !== "1" ? (JSON.parse(stored) as ActiveResponseCommand) : command;
  }

  /** Live blocks, soonest to end first; one agent's when agentId is given. */
  async list(options: { agentId?: string; now?: number } = {}): Promise<BlockView[]> {
    const now = options.now ?? Date.now();
    await this.redis.zremrangebyscore(INDEX, "-inf", `(${now}`);
    let members = await this.redis.zrangebyscore(INDEX, now, "+inf");
    if (options.agentId) members = members.filter((m) => m.startsWith(`${options.agentId}/`));
    if (members.length === 0) return [];
    const p = this.redis.pipeline();
    for (const m of members) {
      const slash = m.indexOf("/");
      p.hgetall(blockKey(m.slice(0, slash), m.slice(slash + 1)));
    }
    const views: BlockView[] = [];
    for (const [err, hash] of (await p.exec()) ?? []) {
      if (err) throw err;
      const block = fromHash(hash as Record<string, string>);
      if (block && block.expiresAt > now) views.push(toView(block, now));
    }
    return views.sort((a, b) => a.expiresAt - b.expiresAt || a.agentId.localeCompare(b.agentId) || a.ip.localeCompare(b.ip));
  }
}

export function toView(block: StoredBlock, now: number): BlockView {
  const { ttlSeconds: _ttl, commandCreatedAt: _created, rev: _rev, ...view } = block;
  return { ...view, timeLeftMs: Math.max(0, block.expiresAt - now) };
}

/** Kafka records of commands: keyed by agent id, so each agent's adds and deletes keep their order. */
export function commandRecords(serde: TopicSerde<ActiveResponseCommand>, commands: readonly ActiveResponseCommand[]): OutRecord[] {
  return commands.map((c) => ({ topic: TOPICS.commands, key: c.agentId, value: serde.encode(c) }));
}

export type BlockErrorCode = "invalid_ip" | "allow_listed" | "unknown_agent" | "no_block" | "invalid_ttl" | "invalid_program" | "busy";

/** A manual block or unblock that cannot be done, with a message fit to show the user as it is. */
export class BlockError extends Error {
  constructor(
    readonly code: BlockErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "BlockError";
  }
}

export interface ManualBlockRequest {
  /** Agent id ("001") or name. */
  agent: string;
  ip: string;
  ttlSeconds: number;
  /** Default: netsh for a Windows agent, else firewall-drop (or the program of the block it replaces). */
  program?: string;
}

export interface BlockControlDeps {
  redis: Redis;
  /** Publishes commands to tld.ar.commands and resolves once the broker acknowledged them. */
  publish(commands: ActiveResponseCommand[]): Promise<void>;
  allowList: AllowList;
  now?: () => number;
}

const PROGRAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CAS_ATTEMPTS = 5;

/** Manual control over blocks: what `tld blocks` and the dashboard API call. */
export class BlockControl {
  readonly store: BlockStore;
  private readonly now: () => number;

  constructor(private readonly deps: BlockControlDeps) {
    this.store = new BlockStore(deps.redis);
    this.now = deps.now ?? Date.now;
  }

  list(options: { agentId?: string } = {}): Promise<BlockView[]> {
    return this.store.list({ ...options, now: this.now() });
  }

  private async agent(idOrName: string): Promise<AgentRecord> {
    const agent = await findAgent(this.deps.redis, idOrName);
    if (!agent) throw new BlockError("unknown_agent", `no agent ${shown(idOrName)} is enrolled (see \`tld agents ls\`)`);
    return agent;
  }

  private ip(text: string): string {
    const checked = blockableIp(text);
    if ("error" in checked) throw new BlockError("invalid_ip", checked.error);
    return checked.ip;
  }

  /**
   * Blocks `ip` on the agent for exactly ttlSeconds from now: a live block of the same IP is replaced (its time
   * set to this, longer or shorter), never doubled. The state is written first, then the command published: a
   * failure in between leaves a block that `tld blocks ls` shows and `rm` lifts, never an invisible one.
   */
  async block(request: ManualBlockRequest): Promise<{ block: BlockView; command: ActiveResponseCommand }> {
    const ip = this.ip(request.ip);
    if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds < 1 || request.ttlSeconds > MAX_BLOCK_SECONDS) {
      throw new BlockError("invalid_ttl", `the block's length must be a whole number of seconds from 1 to ${MAX_BLOCK_SECONDS} (a year)`);
    }
    if (request.program !== undefined && !PROGRAM_NAME.test(request.program)) {
      throw new BlockError("invalid_program", `${shown(request.program)} is not a program name (letters, digits, . _ -)`);
    }
    const allowed = this.deps.allowList.covering(ip);
    if (allowed) throw new BlockError("allow_listed", `${ip} is never blocked: ${allowed.reason} (${allowed.entry})`);
    const agent = await this.agent(request.agent);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const now = this.now();
      const { block: current } = await this.store.read(agent.id, ip, { now });
      const id = commandId(agent.id, ip, "add", "manual", String(now), randomUUID());
      const next: StoredBlock = {
        agentId: agent.id,
        ip,
        program: request.program ?? current?.program ?? (agent.os === "windows" ? "netsh" : "firewall-drop"),
        ruleId: null,
        alertId: null,
        commandId: id,
        createdAt: current?.createdAt ?? now,
        expiresAt: now + request.ttlSeconds * 1000,
        hits: current?.hits ?? 0,
        manual: true,
        step: current?.step ?? 0,
        ttlSeconds: request.ttlSeconds,
        commandCreatedAt: now,
        rev: current?.rev ?? 0,
      };
      if ((await this.store.write(next, { expectedRev: current ? current.rev : null, now })) !== "ok") continue;
      const command = addCommandOf(next);
      await this.deps.publish([command]);
      return { block: toView(next, now), command };
    }
    throw new BlockError("busy", `the block of ${ip} on agent ${agent.id} kept changing under us; try again`);
  }

  /**
   * Lifts the live block of `ip` on the agent: the delete is published first, then the state removed (a failure
   * in between leaves a listed block that `rm` can lift again). Also forgets the IP's earlier blocks on that
   * agent: an analyst lifting a block says the address should not be escalated later.
   */
  async unblock(request: { agent: string; ip: string }): Promise<{ block: BlockView; command: ActiveResponseCommand }> {
    const ip = this.ip(request.ip);
    const agent = await this.agent(request.agent);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const now = this.now();
      const { block } = await this.store.read(agent.id, ip, { now });
      if (!block) throw new BlockError("no_block", `${ip} is not blocked on agent ${agent.id} (${agent.name})`);
      const command = deleteCommandOf(block, now);
      await this.deps.publish([command]);
      // Extended meanwhile: its new add would outlive this delete, so lift that one too.
      if (await this.store.remove(block, { clearOffences: true })) return { block: toView(block, now), command };
    }
    throw new BlockError("busy", `the block of ${ip} on agent ${agent.id} kept changing under us; try again`);
  }
}

export interface OpenBlockControlOptions {
  /** Each step (Redis, registry, Kafka, a publish) fails after this long, naming what could not be reached. */
  timeoutMs?: number;
  /** A long-running service (the dashboard API): Redis reconnects for ever instead of failing at once. */
  reconnect?: boolean;
}

/**
 * A BlockControl with connections of its own (the CLI, or a service that has none): Redis at once; a Kafka
 * producer and the registry's schema id for tld.ar.commands on the first publish (listing needs neither).
 */
export async function openBlockControl(config: TldConfig, log: Logger, options: OpenBlockControlOptions = {}): Promise<BlockControl & { close(): Promise<void> }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const within = <T>(what: string, step: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`cannot reach ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    return Promise.race([step, timeout]).finally(() => clearTimeout(timer));
  };
  const redis = new Redis(config.redis.url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, ...(options.reconnect ? {} : { retryStrategy: () => null }) });
  redis.on("error", () => undefined); // reported through connect() and the commands that fail
  try {
    await within(`Redis at ${config.redis.url}`, redis.connect());
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const kafka = `Kafka at ${config.kafka.brokers.join(",")}`;
  let publisher: Publisher | null = null;
  let serde: Promise<TopicSerde<ActiveResponseCommand>> | null = null;
  const control = new BlockControl({
    redis,
    allowList: new AllowList(config.activeResponse),
    async publish(commands) {
      serde ??= within(`the schema registry at ${config.registry.url}`, new TopicSerde<ActiveResponseCommand>(createRegistryClient(config.registry.url), TOPICS.commands).init());
      const s = await serde;
      if (!publisher) {
        publisher = new Publisher(createKafka(config, log, "tld-cli-blocks"));
        await within(kafka, publisher.connect());
      }
      await within(kafka, publisher.publish(commandRecords(s, commands)));
    },
  });
  return Object.assign(control, {
    async close() {
      await publisher?.disconnect().catch(() => undefined);
      redis.disconnect();
    },
  });
}
