// The one interface every firewall enforcer follows (nftables, iptables, ipset, netsh: one file each, registered
// in registry.ts). An enforcer only ever sees a FirewallAddress: an IP that lib/ip.ts validated and wrote in its
// canonical form, so no caller can hand a firewall a hostile string by mistake.
import { canonicalIp, isHostAddress, parseIp } from "../../lib/ip.js";
import type { ProgramResult } from "./exec.js";

export const ENFORCER_NAMES = ["nftables", "iptables", "ipset", "netsh"] as const;
export type EnforcerName = (typeof ENFORCER_NAMES)[number];

declare const validated: unique symbol;
/** A canonical IPv4 or IPv6 address; made only by firewallAddress(). */
export interface FirewallAddress {
  readonly ip: string;
  readonly version: 4 | 6;
  readonly [validated]: true;
}

/**
 * The address in canonical text, or null when the text is not exactly one host's IP address: the manager never
 * sends an unspecified, broadcast or multicast address (lib/ip.ts isHostAddress), so one arriving is refused too.
 */
export function firewallAddress(text: unknown): FirewallAddress | null {
  if (typeof text !== "string") return null;
  const ip = canonicalIp(text);
  if (ip === null) return null;
  const parsed = parseIp(ip);
  if (parsed === null || !isHostAddress(parsed)) return null;
  return { ip, version: parsed.version } as FirewallAddress;
}

/** Defence in depth: every enforcer re-checks before it builds a command line. */
export function assertFirewallAddress(address: FirewallAddress): string {
  if (typeof address?.ip !== "string" || canonicalIp(address.ip) !== address.ip) throw new Error(`refusing a non-canonical address: ${JSON.stringify(String(address?.ip)).slice(0, 80)}`);
  return address.ip;
}

export interface Enforcer {
  readonly name: EnforcerName;
  /** The kernel lifts a block by itself at its timeout (nftables, ipset): the block ends on time even if the agent is dead. */
  readonly kernelTimeouts: boolean;
  /**
   * Checks the firewall can be driven, changing nothing: what an enforcer needs (table, sets, rules) is made with
   * the first block, so an agent that never blocks leaves the ruleset as it found it.
   */
  probe(): Promise<void>;
  /** Blocks the address for ttlMs from now; blocking it again sets the new end (never a second rule). */
  block(address: FirewallAddress, ttlMs: number): Promise<void>;
  /** Lifts the block; an address that is not blocked is fine. */
  unblock(address: FirewallAddress): Promise<void>;
  /** Whether the firewall holds a block for the address now. */
  isBlocked(address: FirewallAddress): Promise<boolean>;
}

/**
 * The firewall cannot act at all (tool missing, not permitted, firewall switched off): reported as
 * "firewall is inactive" (rule 658), never hidden.
 */
export class FirewallInactive extends Error {
  constructor(readonly reason: string) {
    super(`firewall is inactive: ${reason}`);
    this.name = "FirewallInactive";
  }
}

/** A firewall call that ran and failed. */
export class FirewallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FirewallError";
  }
}

/** The first meaningful line a tool printed, for error messages. */
export function toolOutput(result: ProgramResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split(/\r?\n/)[0] ?? "";
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Not being root is the usual reason a Linux firewall tool refuses everything: that is an inactive firewall. */
export function permissionProblem(result: ProgramResult): boolean {
  return /operation not permitted|permission denied|you must be root|must be run as root|requires elevation|access is denied/i.test(`${result.stderr}\n${result.stdout}`);
}
