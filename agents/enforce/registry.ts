// The one place enforcers are registered, and how the agent picks one: the configured name, or with `auto`
// netsh on Windows, nftables where `nft` answers, else iptables. A new enforcer is one file plus one line here.
import { ENFORCER_NAMES, type Enforcer, type EnforcerName } from "./enforcer.js";
import type { RunProgram } from "./exec.js";
import { IpsetEnforcer } from "./ipset.js";
import { IptablesEnforcer } from "./iptables.js";
import { NetshEnforcer } from "./netsh.js";
import { NftablesEnforcer } from "./nftables.js";

export const ENFORCERS: Record<EnforcerName, (run: RunProgram) => Enforcer> = {
  nftables: (run) => new NftablesEnforcer(run),
  iptables: (run) => new IptablesEnforcer(run),
  ipset: (run) => new IpsetEnforcer(run),
  netsh: (run) => new NetshEnforcer(run),
};

export const ENFORCER_CHOICES = ["auto", ...ENFORCER_NAMES] as const;
export type EnforcerChoice = (typeof ENFORCER_CHOICES)[number];

/** Whether `nft list tables` runs: the tool is there and the kernel speaks nftables to us. */
async function nftAnswers(run: RunProgram): Promise<boolean> {
  try {
    return (await run("nft", ["list", "tables"])).code === 0;
  } catch {
    return false; // not installed
  }
}

export async function chooseEnforcer(choice: EnforcerChoice, run: RunProgram, platform: NodeJS.Platform = process.platform): Promise<Enforcer> {
  if (choice !== "auto") return ENFORCERS[choice](run);
  if (platform === "win32") return ENFORCERS.netsh(run);
  return ENFORCERS[(await nftAnswers(run)) ? "nftables" : "iptables"](run);
}
