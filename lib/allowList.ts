// Addresses that are never blocked, whatever an alert or an analyst says (Wazuh's <white_list>): loopback, the
// manager's own addresses (its interfaces, found by themselves, and the ones configured, e.g. a public address
// behind NAT), and the networks in activeResponse.allowList. The responder and manual blocks both ask it.
import { networkInterfaces } from "node:os";
import { networkContains, parseIp, parseNetwork, type Network } from "./ip.js";

export type AllowReason = "loopback" | "manager address" | "allow-list";

interface Entry {
  network: Network;
  reason: AllowReason;
  text: string;
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"];
/** Interfaces change (DHCP, a new VIP): their addresses are read again at most this often. */
const INTERFACES_REFRESH_MS = 60_000;

type Interfaces = ReturnType<typeof networkInterfaces>;

export interface AllowListSettings {
  allowList: readonly string[];
  managerAddresses: readonly string[];
}

export class AllowList {
  private fixed: Entry[];
  private own: Entry[] = [];
  private ownReadAt = -Infinity;

  constructor(
    settings: AllowListSettings,
    private readonly interfaces: () => Interfaces = networkInterfaces,
    private readonly now: () => number = Date.now,
  ) {
    const entries = (texts: readonly string[], reason: AllowReason) =>
      texts.map((text) => {
        const network = parseNetwork(text);
        // The config schema refuses these already; a caller building settings by hand gets the same answer.
        if (!network) throw new Error(`allow-list entry ${JSON.stringify(text)} is not an IP address or CIDR network`);
        return { network, reason, text };
      });
    this.fixed = [...entries(LOOPBACK, "loopback"), ...entries(settings.managerAddresses, "manager address"), ...entries(settings.allowList, "allow-list")];
  }

  private ownAddresses(): Entry[] {
    if (this.now() - this.ownReadAt < INTERFACES_REFRESH_MS) return this.own;
    const own: Entry[] = [];
    for (const addresses of Object.values(this.interfaces())) {
      for (const a of addresses ?? []) {
        const network = parseNetwork(a.address);
        if (network) own.push({ network, reason: "manager address", text: a.address });
      }
    }
    this.own = own;
    this.ownReadAt = this.now();
    return own;
  }

  /** Why this IP must never be blocked ("loopback", ...) with the entry that covers it, or null when it may be. */
  covering(ip: string): { reason: AllowReason; entry: string } | null {
    const parsed = parseIp(ip);
    if (!parsed) return null;
    for (const e of this.fixed) if (networkContains(e.network, parsed)) return { reason: e.reason, entry: e.text };
    for (const e of this.ownAddresses()) if (networkContains(e.network, parsed)) return { reason: e.reason, entry: e.text };
    return null;
  }
}
