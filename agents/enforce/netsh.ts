// Windows: Windows Defender Firewall rules through `netsh advfirewall firewall`, one inbound and one outbound
// block rule per address, both under one name so a single delete removes the pair; removed by the agent when the
// block ends (Windows has no per-rule timeout). Built and unit-tested here as exact argument lists; there is no
// Windows machine in this project's CI. Arguments hold no spaces or quotes, so node passes them to netsh verbatim.
import { assertFirewallAddress, FirewallError, FirewallInactive, permissionProblem, toolOutput, type Enforcer, type FirewallAddress } from "./enforcer.js";
import { ToolMissing, type ProgramResult, type RunProgram } from "./exec.js";

export const NETSH_RULE_PREFIX = "tld-block-";

/** The rule name of one blocked address, e.g. tld-block-203.0.113.9 (colons of IPv6 are fine in rule names). */
export function netshRuleName(address: FirewallAddress): string {
  return `${NETSH_RULE_PREFIX}${assertFirewallAddress(address)}`;
}

export function netshAddArgs(address: FirewallAddress, direction: "in" | "out"): string[] {
  return ["advfirewall", "firewall", "add", "rule", `name=${netshRuleName(address)}`, `dir=${direction}`, "action=block", `remoteip=${assertFirewallAddress(address)}`, "profile=any", "enable=yes"];
}

export function netshDeleteArgs(address: FirewallAddress): string[] {
  return ["advfirewall", "firewall", "delete", "rule", `name=${netshRuleName(address)}`];
}

export function netshShowArgs(address: FirewallAddress): string[] {
  return ["advfirewall", "firewall", "show", "rule", `name=${netshRuleName(address)}`];
}

export const NETSH_STATE_ARGS = ["advfirewall", "show", "allprofiles", "state"];

/**
 * Whether `netsh advfirewall show allprofiles state` says every profile is off. Only an explicit OFF for every
 * profile counts (the output is localised: when it cannot be read, the firewall is taken to be on).
 */
export function allProfilesOff(output: string): boolean {
  const states = [...output.matchAll(/^\s*State\s+(ON|OFF)\s*$/gim)].map((m) => m[1].toUpperCase());
  return states.length > 0 && states.every((s) => s === "OFF");
}

/** netsh's answer to deleting or showing a rule that does not exist (exit code 1). */
function noSuchRule(result: ProgramResult): boolean {
  return /no rules match/i.test(result.stdout + result.stderr);
}

export class NetshEnforcer implements Enforcer {
  readonly name = "netsh" as const;
  readonly kernelTimeouts = false;

  constructor(private readonly run: RunProgram) {}

  private async netsh(args: string[]): Promise<ProgramResult> {
    let result: ProgramResult;
    try {
      result = await this.run("netsh", args);
    } catch (err) {
      if (err instanceof ToolMissing) throw new FirewallInactive("netsh not found");
      throw err;
    }
    if (result.code !== 0 && permissionProblem(result)) throw new FirewallInactive(`netsh needs an elevated agent (run the service as LocalSystem or an administrator): ${toolOutput(result)}`);
    return result;
  }

  async probe(): Promise<void> {
    const state = await this.netsh(NETSH_STATE_ARGS);
    if (state.code !== 0) throw new FirewallInactive(`netsh cannot read the firewall state: ${toolOutput(state)}`);
    if (allProfilesOff(state.stdout)) throw new FirewallInactive("Windows Defender Firewall is off in every profile");
  }

  async block(address: FirewallAddress, _ttlMs: number): Promise<void> {
    // netsh adds a second rule of the same name without complaint: delete first so a repeat never stacks.
    await this.unblock(address);
    for (const direction of ["in", "out"] as const) {
      const result = await this.netsh(netshAddArgs(address, direction));
      if (result.code !== 0) throw new FirewallError(`netsh could not add the ${direction}bound rule for ${address.ip}: ${toolOutput(result)}`);
    }
  }

  async unblock(address: FirewallAddress): Promise<void> {
    const result = await this.netsh(netshDeleteArgs(address));
    if (result.code !== 0 && !noSuchRule(result)) throw new FirewallError(`netsh could not delete the rules for ${address.ip}: ${toolOutput(result)}`);
  }

  async isBlocked(address: FirewallAddress): Promise<boolean> {
    const result = await this.netsh(netshShowArgs(address));
    return result.code === 0 && !noSuchRule(result);
  }
}
