// nftables: a table of the agent's own (inet tld) with one IPv4 and one IPv6 set whose elements carry their own
// timeout, dropped in the input and forward hooks. The kernel removes an element when its timeout ends, so a
// block is lifted on time even when the agent is dead. Every change is one `nft -f -` transaction read from
// stdin: it applies whole or not at all, and the table is never touched by anyone's shell.
import { assertFirewallAddress, FirewallError, FirewallInactive, permissionProblem, toolOutput, type Enforcer, type FirewallAddress } from "./enforcer.js";
import { ToolMissing, type RunProgram } from "./exec.js";

export const NFT_TABLE = "tld";
const SET = { 4: "blocked4", 6: "blocked6" } as const;
// Before the usual filter chains (priority 0): a dropped packet costs nothing further.
const PRIORITY = -10;

/**
 * Creates the table, sets, chains and rules, or puts the rules right; the sets (the live blocks) are kept. Sent
 * with the first block of a run, in the same transaction.
 */
export function nftPrepareScript(table = NFT_TABLE): string {
  const lines = [
    `add table inet ${table}`,
    `add set inet ${table} ${SET[4]} { type ipv4_addr; flags timeout; }`,
    `add set inet ${table} ${SET[6]} { type ipv6_addr; flags timeout; }`,
  ];
  for (const hook of ["input", "forward"]) {
    lines.push(`add chain inet ${table} ${hook} { type filter hook ${hook} priority ${PRIORITY}; policy accept; }`);
    // Flushed and refilled in the same transaction, so a restart never stacks rules and never leaves a gap.
    lines.push(`flush chain inet ${table} ${hook}`);
    lines.push(`add rule inet ${table} ${hook} ip saddr @${SET[4]} drop`);
    lines.push(`add rule inet ${table} ${hook} ip6 saddr @${SET[6]} drop`);
  }
  return lines.join("\n") + "\n";
}

/** The timeout nft is given: whole milliseconds, at least 1 s (a shorter block is not worth a packet race). */
export function nftTimeout(ttlMs: number): string {
  return `${Math.max(1000, Math.round(ttlMs))}ms`;
}

/**
 * Adds the element with a fresh timeout. `add` of an existing element keeps its old timeout, so the element is
 * first made sure to exist, deleted, and added again, all in one transaction (no instant without the block).
 */
export function nftBlockScript(address: FirewallAddress, ttlMs: number, table = NFT_TABLE): string {
  const ip = assertFirewallAddress(address);
  const set = SET[address.version];
  return [`add element inet ${table} ${set} { ${ip} }`, `delete element inet ${table} ${set} { ${ip} }`, `add element inet ${table} ${set} { ${ip} timeout ${nftTimeout(ttlMs)} }`].join("\n") + "\n";
}

/** Deletes the element whether or not it is still there (it may have timed out in the kernel already). */
export function nftUnblockScript(address: FirewallAddress, table = NFT_TABLE): string {
  const ip = assertFirewallAddress(address);
  const set = SET[address.version];
  return [`add element inet ${table} ${set} { ${ip} }`, `delete element inet ${table} ${set} { ${ip} }`].join("\n") + "\n";
}

export function nftGetElementArgs(address: FirewallAddress, table = NFT_TABLE): string[] {
  return ["get", "element", "inet", table, SET[address.version], `{ ${assertFirewallAddress(address)} }`];
}

export class NftablesEnforcer implements Enforcer {
  readonly name = "nftables" as const;
  readonly kernelTimeouts = true;
  /** The table is known to be in place (made by this run's first block). */
  private ready = false;

  constructor(
    private readonly run: RunProgram,
    private readonly table = NFT_TABLE,
  ) {}

  private async apply(script: string, what: string): Promise<void> {
    let result;
    try {
      result = await this.run("nft", ["-f", "-"], { input: script });
    } catch (err) {
      if (err instanceof ToolMissing) throw new FirewallInactive("nft not found (install nftables)");
      throw err;
    }
    if (result.code === 0) return;
    if (permissionProblem(result)) throw new FirewallInactive(`nft is not permitted to change the ruleset (run the agent as root): ${toolOutput(result)}`);
    throw new FirewallError(`nft could not ${what}: ${toolOutput(result)}`);
  }

  async probe(): Promise<void> {
    let result;
    try {
      result = await this.run("nft", ["list", "tables"]);
    } catch (err) {
      if (err instanceof ToolMissing) throw new FirewallInactive("nft not found (install nftables)");
      throw err;
    }
    if (result.code !== 0) throw new FirewallInactive(`nft cannot read the ruleset${permissionProblem(result) ? " (run the agent as root)" : ""}: ${toolOutput(result)}`);
  }

  async block(address: FirewallAddress, ttlMs: number): Promise<void> {
    const script = nftBlockScript(address, ttlMs, this.table);
    if (this.ready) {
      try {
        return await this.apply(script, `block ${address.ip}`);
      } catch (err) {
        if (err instanceof FirewallInactive) throw err;
        this.ready = false; // the table may have been flushed away by hand: make it again, once
      }
    }
    await this.apply(nftPrepareScript(this.table) + script, `block ${address.ip}`);
    this.ready = true;
  }

  unblock(address: FirewallAddress): Promise<void> {
    return this.apply(nftUnblockScript(address, this.table), `unblock ${address.ip}`);
  }

  async isBlocked(address: FirewallAddress): Promise<boolean> {
    const result = await this.run("nft", nftGetElementArgs(address, this.table)).catch((err: unknown) => {
      if (err instanceof ToolMissing) throw new FirewallInactive("nft not found (install nftables)");
      throw err;
    });
    return result.code === 0;
  }
}
