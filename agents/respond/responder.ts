// The agent's side of active response: applies the manager's commands to the firewall, once per command id and
// in the order they came, keeps the live blocks on disk, lifts each one when its time is up (with nftables and
// ipset the kernel does so too, even if the agent is dead) and reports every block, unblock and failure.
//   add    -> block the address until the command's end (a longer end for a blocked address extends it)
//   delete -> lift the block now
// A late add (its end has passed) is ignored; a refused command (bad IP, unknown program, protected address) is
// reported and acknowledged, so it is not delivered again.
import { networkContains, parseIp, type Network } from "../../lib/ip.js";
import type { ShippedEvent } from "../../lib/collectorClient.js";
import { firewallAddress, FirewallInactive, type Enforcer, type FirewallAddress } from "../enforce/enforcer.js";
import type { BlockStore, StoredBlock } from "./blockState.js";
import { blockEnd, parseCommand, type ArCommand } from "./command.js";
import { arEvent, formatArLine, formatInactiveLine, type ArResult } from "./report.js";

/** Programs the agent carries out with its firewall enforcer (Wazuh's firewall-drop, and netsh on Windows). */
export const FIREWALL_PROGRAMS: ReadonlySet<string> = new Set(["firewall-drop", "netsh", "netsh.exe"]);
/** A repeat whose end differs from what was applied by less than this is the same command again. */
const SAME_END_MS = 1_000;
/** How soon a block that could not be lifted is tried again. */
const LIFT_RETRY_MS = 10_000;
/** setTimeout's longest delay; a later end is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ResponderLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Addresses the agent never blocks, whatever it is told: its own loopback, "any", and the manager itself. */
export interface ProtectedNetwork {
  network: Network;
  why: string;
}

export interface ResponderOptions {
  enforcer: Enforcer;
  store: BlockStore;
  agent: { id: string; name: string };
  report: (event: ShippedEvent) => void;
  log: ResponderLog;
  protectedNetworks: readonly ProtectedNetwork[];
  /** The enforcer a previous run used, to lift its blocks when the configuration changed since. */
  enforcerByName?: (name: string) => Enforcer | null;
  now?: () => number;
}

export class ActiveResponder {
  private readonly enforcer: Enforcer;
  private readonly store: BlockStore;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private inactiveReason: string | null = null;
  private readonly liftFailed = new Set<string>();
  private stopped = false;
  private skewWarnedAt = 0;

  constructor(private readonly options: ResponderOptions) {
    this.enforcer = options.enforcer;
    this.store = options.store;
    this.now = options.now ?? Date.now;
  }

  get enforcerName(): string {
    return this.enforcer.name;
  }

  /** Why the firewall cannot act, or null when it can. */
  get inactive(): string | null {
    return this.inactiveReason;
  }

  activeBlocks(): StoredBlock[] {
    return [...this.store.blocks.values()];
  }

  /** Prepares the firewall, then puts the saved blocks right: lifts what ended while the agent was away, keeps the rest. */
  async start(): Promise<void> {
    await this.serial(async () => {
      if (!(await this.prepare())) this.emitInactive({ program: "firewall-drop", ip: null, commandId: null, alertId: null, ruleId: null, enforcer: this.enforcer.name }, `inactive-start:${this.now()}`);
      await this.restore();
    });
    this.arm();
  }

  /** Applies one command (the JSON of an SSE message); resolves with the id to acknowledge, null when there is none. */
  handle(data: string): Promise<string | null> {
    return this.serial(() => this.apply(data, this.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.catch(() => {});
  }

  /** One change at a time: commands, expiries and restores never interleave on the firewall or the state file. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async prepare(): Promise<boolean> {
    try {
      await this.enforcer.probe();
      if (this.inactiveReason) this.options.log.info({ enforcer: this.enforcer.name }, "firewall answers again");
      this.inactiveReason = null;
      return true;
    } catch (err) {
      const reason = err instanceof FirewallInactive ? err.reason : `${this.enforcer.name} could not be prepared: ${(err as Error).message}`;
      if (reason !== this.inactiveReason) this.options.log.error({ enforcer: this.enforcer.name, reason }, "firewall is inactive: blocks cannot be enforced");
      this.inactiveReason = reason;
      return false;
    }
  }

  private async apply(data: string, receivedAt: number): Promise<string | null> {
    const parsed = parseCommand(data);
    if (!parsed.ok) {
      const r = parsed.refused;
      this.options.log.warn({ command: r.id, reason: r.reason }, "refused an active-response command");
      this.emit({ command: r.action, program: r.program, ip: null, commandId: r.id, alertId: r.alertId, ruleId: r.ruleId, enforcer: null, error: r.reason }, `refused:${r.id ?? data}`);
      return r.id;
    }
    const command = parsed.command;
    if (command.action === "add") await this.add(command, receivedAt);
    else await this.remove(command, receivedAt);
    return command.id;
  }

  private base(command: ArCommand): Omit<ArResult, "command"> {
    return { program: command.program, ip: command.address.ip, commandId: command.id, alertId: command.alertId, ruleId: command.ruleId, enforcer: this.enforcer.name };
  }

  private protectedReason(address: FirewallAddress): string | null {
    const ip = parseIp(address.ip);
    if (!ip) return "not an address";
    return this.options.protectedNetworks.find((p) => networkContains(p.network, ip))?.why ?? null;
  }

  private async add(command: ArCommand, receivedAt: number): Promise<void> {
    const { log, store } = this.options;
    const ip = command.address.ip;
    const { endsAt, clockAgrees } = blockEnd(command, receivedAt);
    if (!clockAgrees && receivedAt - this.skewWarnedAt > 60_000) {
      this.skewWarnedAt = receivedAt;
      log.warn({ command: command.id, skewMs: command.expiresAt - command.ttlSeconds * 1000 - receivedAt }, "the manager's clock and this agent's disagree: block ends are counted from arrival (ttlSeconds)");
    }
    if (endsAt <= receivedAt) {
      log.info({ command: command.id, ip, expiresAt: command.expiresAt }, "ignored a block that ended before it arrived");
      return;
    }
    if (!FIREWALL_PROGRAMS.has(command.program)) {
      const error = `program ${command.program} is not available on this agent (it carries out ${[...FIREWALL_PROGRAMS].join(", ")})`;
      log.warn({ command: command.id, ip, program: command.program }, error);
      store.applied.set(command.id, endsAt);
      this.emit({ command: "add", ...this.base(command), error }, `unknown-program:${command.id}`);
      return;
    }
    const why = this.protectedReason(command.address);
    if (why) {
      const error = `refused to block ${ip}: ${why}`;
      log.warn({ command: command.id, ip }, error);
      store.applied.set(command.id, endsAt);
      this.emit({ command: "add", ...this.base(command), error }, `protected:${command.id}`);
      return;
    }
    const applied = store.applied.get(command.id);
    const existing = store.blocks.get(ip);
    if (applied !== undefined && endsAt <= applied + SAME_END_MS) {
      // Delivered again (a reconnect resends active blocks): the firewall may have lost it since, so look.
      if (existing?.commandId === command.id && !this.inactiveReason) await this.ensurePresent(existing);
      return;
    }
    if (existing && endsAt <= existing.endsAt + SAME_END_MS) {
      store.applied.set(command.id, endsAt); // already blocked at least that long
      return;
    }
    if (this.inactiveReason && !(await this.prepare())) {
      // Not remembered as applied: when the manager resends the block after the firewall is fixed, it applies.
      this.emitInactive({ command: "add", ...this.base(command) }, `inactive:${command.id}:${endsAt}`);
      return;
    }
    const block: StoredBlock = { ip, program: command.program, enforcer: this.enforcer.name, commandId: command.id, alertId: command.alertId, ruleId: command.ruleId, blockedAt: existing?.blockedAt ?? receivedAt, endsAt };
    // The block is written down as the rule goes in: an agent killed right after still knows, once restarted,
    // that the block exists. Without kernel timeouts the write comes first (the restarted agent must lift the
    // rule); with them it runs beside the firewall call, off the path to the rule (the kernel lifts it anyway).
    store.blocks.set(ip, block);
    const saving = store.save(this.now());
    if (!this.enforcer.kernelTimeouts) await saving;
    try {
      await this.enforcer.block(command.address, endsAt - this.now());
      await saving;
    } catch (err) {
      await saving.catch(() => {});
      if (existing) store.blocks.set(ip, existing);
      else store.blocks.delete(ip);
      await store.save(this.now());
      this.failed(command, "add", err, endsAt);
      return;
    }
    const ttlSeconds = Math.max(1, Math.ceil((endsAt - receivedAt) / 1000 - 0.001)); // as the collector counts it
    // appliedMs: from the command's arrival to the rule in the kernel (what `npm run bench` reads).
    log.info({ ip, command: command.id, enforcer: this.enforcer.name, ttlSeconds, rule: command.ruleId, alert: command.alertId, receivedAt, appliedMs: this.now() - receivedAt }, existing ? "block extended" : "blocked");
    store.applied.set(command.id, endsAt);
    await store.save(this.now());
    this.emit({ command: "add", ...this.base(command), ttlSeconds }, `add:${command.id}:${endsAt}`);
    this.arm();
  }

  private failed(command: ArCommand, action: "add" | "delete", err: unknown, endsAt: number): void {
    if (err instanceof FirewallInactive) {
      this.inactiveReason = err.reason;
      this.options.log.error({ command: command.id, ip: command.address.ip, reason: err.reason }, "firewall is inactive: cannot enforce");
      this.emitInactive({ command: action, ...this.base(command) }, `inactive:${command.id}:${endsAt}`);
      return;
    }
    const error = (err as Error).message;
    this.options.log.error({ command: command.id, ip: command.address.ip, err: error }, action === "add" ? "block failed" : "unblock failed");
    this.options.store.applied.set(command.id, endsAt);
    this.emit({ command: action, ...this.base(command), error }, `failed:${command.id}`);
  }

  private async remove(command: ArCommand, receivedAt: number): Promise<void> {
    const { store, log } = this.options;
    if (store.applied.has(command.id)) return;
    const existing = store.blocks.get(command.address.ip);
    try {
      await this.enforcerFor(existing).unblock(command.address);
    } catch (err) {
      this.failed(command, "delete", err, receivedAt);
      return;
    }
    store.applied.set(command.id, receivedAt);
    if (existing) store.blocks.delete(existing.ip);
    await store.save(this.now());
    if (!existing) {
      log.info({ ip: command.address.ip, command: command.id }, "unblock for an address that was not blocked (it may have expired already)");
      return;
    }
    log.info({ ip: existing.ip, command: command.id, blockedBy: existing.commandId }, "unblocked");
    this.emit({ command: "delete", program: existing.program, ip: existing.ip, commandId: command.id, alertId: existing.alertId, ruleId: existing.ruleId, enforcer: existing.enforcer, reason: "unblocked" }, `delete:${command.id}`);
    this.arm();
  }

  private enforcerFor(block: StoredBlock | undefined): Enforcer {
    if (!block || block.enforcer === this.enforcer.name) return this.enforcer;
    return this.options.enforcerByName?.(block.enforcer) ?? this.enforcer;
  }

  /** Re-adds a stored live block the firewall does not hold (flushed by hand, lost in a reboot). */
  private async ensurePresent(block: StoredBlock): Promise<void> {
    const address = firewallAddress(block.ip);
    if (!address) return;
    try {
      if (await this.enforcer.isBlocked(address)) return;
      await this.enforcer.block(address, block.endsAt - this.now());
      this.options.log.warn({ ip: block.ip, command: block.commandId }, "the firewall had lost an active block: put it back");
    } catch (err) {
      this.options.log.error({ ip: block.ip, err: (err as Error).message }, "could not check or restore an active block");
    }
  }

  private async restore(): Promise<void> {
    const { store, log } = this.options;
    let kept = 0;
    for (const block of [...store.blocks.values()]) {
      if (!firewallAddress(block.ip)) {
        log.warn({ ip: block.ip }, "dropping a saved block whose address is not valid");
        store.blocks.delete(block.ip);
        continue;
      }
      if (block.endsAt <= this.now()) {
        await this.lift(block, "expired");
        continue;
      }
      if (this.inactiveReason) continue;
      if (block.enforcer !== this.enforcer.name) {
        // The configuration changed enforcers: move the block over.
        const previous = this.enforcerFor(block);
        if (previous !== this.enforcer) await previous.unblock(firewallAddress(block.ip)!).catch((err: Error) => log.warn({ ip: block.ip, err: err.message }, `could not lift a block from ${block.enforcer}`));
        block.enforcer = this.enforcer.name;
      }
      await this.ensurePresent(block);
      kept++;
    }
    await store.save(this.now());
    if (store.blocks.size > 0 || kept > 0) log.info({ active: kept, enforcer: this.enforcer.name }, "active blocks restored from the last run");
  }

  /** Ends a block: removes it from the firewall (a no-op when the kernel's timeout did already) and reports it. */
  private async lift(block: StoredBlock, reason: string): Promise<void> {
    const { store, log } = this.options;
    const address = firewallAddress(block.ip)!;
    try {
      if (!this.inactiveReason || !this.enforcerFor(block).kernelTimeouts) await this.enforcerFor(block).unblock(address);
    } catch (err) {
      const message = (err as Error).message;
      if (!this.liftFailed.has(block.ip)) {
        this.liftFailed.add(block.ip);
        log.error({ ip: block.ip, err: message }, `could not lift a block; retrying every ${LIFT_RETRY_MS / 1000}s`);
        this.emit({ command: "delete", program: block.program, ip: block.ip, commandId: block.commandId, alertId: block.alertId, ruleId: block.ruleId, enforcer: block.enforcer, reason, error: message }, `lift-failed:${block.commandId}:${block.endsAt}`);
      }
      return;
    }
    this.liftFailed.delete(block.ip);
    store.blocks.delete(block.ip);
    await store.save(this.now());
    log.info({ ip: block.ip, command: block.commandId, enforcer: block.enforcer, late: Math.max(0, this.now() - block.endsAt) }, "block ended");
    this.emit({ command: "delete", program: block.program, ip: block.ip, commandId: block.commandId, alertId: block.alertId, ruleId: block.ruleId, enforcer: block.enforcer, reason }, `expired:${block.commandId}:${block.endsAt}`);
  }

  private async expire(): Promise<void> {
    const now = this.now();
    for (const block of [...this.options.store.blocks.values()]) if (block.endsAt <= now) await this.lift(block, "expired");
  }

  /** One timer, for the earliest end (or a retry of a lift that failed). */
  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let next = Infinity;
    for (const block of this.options.store.blocks.values()) next = Math.min(next, this.liftFailed.has(block.ip) ? this.now() + LIFT_RETRY_MS : block.endsAt);
    if (next === Infinity) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.serial(() => this.expire())
        .catch((err: Error) => this.options.log.error({ err: err.message }, "lifting expired blocks failed"))
        .finally(() => this.arm());
    }, delay);
  }

  private emit(result: ArResult, outcome: string): void {
    const at = this.now();
    this.options.report(arEvent(this.options.agent.id, outcome, formatArLine(result, this.options.agent.name, new Date(at)), at));
  }

  /** The firewall cannot act at all: "firewall is inactive: <reason>" (rule 658), with the command's details. */
  private emitInactive(result: ArResult, outcome: string): void {
    const at = this.now();
    this.options.report(arEvent(this.options.agent.id, outcome, formatInactiveLine(result, this.inactiveReason ?? "unknown reason", new Date(at)), at));
  }
}
