// iptables / ip6tables with firewall-drop's behaviour: one DROP rule per blocked source in INPUT and in FORWARD,
// inserted at the top, removed by the agent when the block ends. Each rule carries the comment "tld-agent", so
// the agent only ever deletes its own rules, never an operator's identical one. `-w` waits for the xtables lock
// instead of failing when another tool is changing the ruleset at the same moment.
import { assertFirewallAddress, FirewallError, FirewallInactive, permissionProblem, toolOutput, type Enforcer, type FirewallAddress } from "./enforcer.js";
import { ToolMissing, type ProgramResult, type RunProgram } from "./exec.js";

export const RULE_COMMENT = "tld-agent";
export const CHAINS = ["INPUT", "FORWARD"] as const;
const LOCK_WAIT = ["-w", "5"];
/** Bound on how many duplicates one unblock removes (someone inserting our rule by hand many times). */
const MAX_DUPLICATES = 32;

export function iptablesTool(version: 4 | 6): "iptables" | "ip6tables" {
  return version === 4 ? "iptables" : "ip6tables";
}

/** The rule's match and target, as firewall-drop writes it (plus our comment). */
export function dropRuleSpec(address: FirewallAddress): string[] {
  return ["-s", assertFirewallAddress(address), "-m", "comment", "--comment", RULE_COMMENT, "-j", "DROP"];
}

/** iptables arguments for one operation on one chain: -C checks, -I inserts at the top, -D deletes. */
export function iptablesArgs(operation: "-C" | "-I" | "-D", chain: string, spec: readonly string[]): string[] {
  return [...LOCK_WAIT, operation, chain, ...spec];
}

/** Runs an iptables-family tool; a missing tool or missing privileges mean the firewall is inactive. */
export async function runIptables(run: RunProgram, tool: string, args: readonly string[]): Promise<ProgramResult> {
  let result: ProgramResult;
  try {
    result = await run(tool, args);
  } catch (err) {
    if (err instanceof ToolMissing) throw new FirewallInactive(`${tool} not found (install ${tool === "ipset" ? "ipset" : "iptables"})`);
    throw err;
  }
  if (result.code !== 0 && permissionProblem(result)) throw new FirewallInactive(`${tool} is not permitted to change the ruleset (run the agent as root): ${toolOutput(result)}`);
  return result;
}

/** Inserts the rule in the chain unless it is there already (-C exits 1 when it is not). */
export async function ensureRule(run: RunProgram, tool: string, chain: string, spec: readonly string[]): Promise<void> {
  const check = await runIptables(run, tool, iptablesArgs("-C", chain, spec));
  if (check.code === 0) return;
  const insert = await runIptables(run, tool, iptablesArgs("-I", chain, spec));
  if (insert.code !== 0) throw new FirewallError(`${tool} -I ${chain} failed: ${toolOutput(insert)}`);
}

/** Deletes every copy of the rule from the chain; none is fine. */
export async function removeRule(run: RunProgram, tool: string, chain: string, spec: readonly string[]): Promise<void> {
  for (let i = 0; i < MAX_DUPLICATES; i++) {
    const check = await runIptables(run, tool, iptablesArgs("-C", chain, spec));
    if (check.code !== 0) return;
    const del = await runIptables(run, tool, iptablesArgs("-D", chain, spec));
    if (del.code !== 0) throw new FirewallError(`${tool} -D ${chain} failed: ${toolOutput(del)}`);
  }
}

/** Lists a chain, which fails when the tool or the kernel's tables are not usable at all. */
export async function probeIptables(run: RunProgram, tool: string): Promise<void> {
  const result = await runIptables(run, tool, [...LOCK_WAIT, "-n", "-L", "INPUT"]);
  if (result.code !== 0) throw new FirewallInactive(`${tool} cannot read the filter table: ${toolOutput(result)}`);
}

export class IptablesEnforcer implements Enforcer {
  readonly name = "iptables" as const;
  readonly kernelTimeouts = false;

  constructor(private readonly run: RunProgram) {}

  async probe(): Promise<void> {
    await probeIptables(this.run, "iptables");
    // ip6tables may be absent on an IPv4-only host: IPv6 blocks then fail one by one, with the reason.
    await probeIptables(this.run, "ip6tables").catch(() => {});
  }

  async block(address: FirewallAddress, _ttlMs: number): Promise<void> {
    const tool = iptablesTool(address.version);
    for (const chain of CHAINS) await ensureRule(this.run, tool, chain, dropRuleSpec(address));
  }

  async unblock(address: FirewallAddress): Promise<void> {
    const tool = iptablesTool(address.version);
    for (const chain of CHAINS) await removeRule(this.run, tool, chain, dropRuleSpec(address));
  }

  async isBlocked(address: FirewallAddress): Promise<boolean> {
    const result = await runIptables(this.run, iptablesTool(address.version), iptablesArgs("-C", "INPUT", dropRuleSpec(address)));
    return result.code === 0;
  }
}
