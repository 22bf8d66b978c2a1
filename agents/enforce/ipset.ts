// ipset with timeouts: one hash:ip set per family whose members expire in the kernel, matched by one iptables
// (ip6tables) DROP rule per chain. A block is one `ipset add ... timeout N -exist` (which also resets the timeout
// of a member already there), so blocking is cheap however many addresses are blocked.
import { assertFirewallAddress, FirewallError, FirewallInactive, toolOutput, type Enforcer, type FirewallAddress } from "./enforcer.js";
import { CHAINS, ensureRule, iptablesTool, probeIptables, RULE_COMMENT, runIptables } from "./iptables.js";
import type { RunProgram } from "./exec.js";

export const IPSET_NAMES = { 4: "tld-blocked4", 6: "tld-blocked6" } as const;
/** The kernel's largest ipset timeout, in seconds; a longer block is kept without a timeout and lifted by the agent. */
export const IPSET_MAX_TIMEOUT_S = 2_147_483;

export function ipsetCreateArgs(version: 4 | 6): string[] {
  // timeout 0 as the set's default: timeouts are enabled, each member says its own.
  return ["create", IPSET_NAMES[version], "hash:ip", "family", version === 4 ? "inet" : "inet6", "timeout", "0", "-exist"];
}

export function ipsetTimeoutSeconds(ttlMs: number): number {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return seconds > IPSET_MAX_TIMEOUT_S ? 0 : seconds;
}

export function ipsetAddArgs(address: FirewallAddress, ttlMs: number): string[] {
  return ["add", IPSET_NAMES[address.version], assertFirewallAddress(address), "timeout", String(ipsetTimeoutSeconds(ttlMs)), "-exist"];
}

export function ipsetDelArgs(address: FirewallAddress): string[] {
  return ["del", IPSET_NAMES[address.version], assertFirewallAddress(address), "-exist"];
}

export function ipsetTestArgs(address: FirewallAddress): string[] {
  return ["test", IPSET_NAMES[address.version], assertFirewallAddress(address)];
}

export function matchSetRuleSpec(version: 4 | 6): string[] {
  return ["-m", "set", "--match-set", IPSET_NAMES[version], "src", "-m", "comment", "--comment", RULE_COMMENT, "-j", "DROP"];
}

export class IpsetEnforcer implements Enforcer {
  readonly name = "ipset" as const;
  readonly kernelTimeouts = true;
  private readonly ready = new Set<4 | 6>();

  constructor(private readonly run: RunProgram) {}

  private async ipset(args: string[], what: string): Promise<void> {
    const result = await runIptables(this.run, "ipset", args);
    if (result.code !== 0) throw new FirewallError(`ipset could not ${what}: ${toolOutput(result)}`);
  }

  /** The family's set and its DROP rules, made with the family's first block of a run (again after a failure). */
  private async prepareFamily(version: 4 | 6): Promise<void> {
    if (this.ready.has(version)) return;
    await this.ipset(ipsetCreateArgs(version), `create ${IPSET_NAMES[version]}`);
    for (const chain of CHAINS) await ensureRule(this.run, iptablesTool(version), chain, matchSetRuleSpec(version));
    this.ready.add(version);
  }

  async probe(): Promise<void> {
    const probe = await runIptables(this.run, "ipset", ["list", "-n"]);
    if (probe.code !== 0) throw new FirewallInactive(`ipset cannot list sets: ${toolOutput(probe)}`);
    await probeIptables(this.run, "iptables");
  }

  async block(address: FirewallAddress, ttlMs: number): Promise<void> {
    await this.prepareFamily(address.version);
    await this.ipset(ipsetAddArgs(address, ttlMs), `block ${address.ip}`);
  }

  async unblock(address: FirewallAddress): Promise<void> {
    const result = await runIptables(this.run, "ipset", ipsetDelArgs(address));
    // No set yet means nothing of ours is blocked in it.
    if (result.code !== 0 && !/does not exist/i.test(result.stderr)) throw new FirewallError(`ipset could not unblock ${address.ip}: ${toolOutput(result)}`);
  }

  async isBlocked(address: FirewallAddress): Promise<boolean> {
    const result = await runIptables(this.run, "ipset", ipsetTestArgs(address));
    return result.code === 0;
  }
}
