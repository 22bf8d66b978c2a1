// Firewall tests need Debian's nftables, iptables and ipset. The product only reports a missing tool; the tests
// install them (when root) so a fresh CI machine runs the real thing, the way ensureKcat does for kcat.
import { locateTool, type RunProgram } from "../../agents/enforce/exec.js";
import { runProgram } from "../../agents/enforce/exec.js";
import { ensureDebianPackages } from "../../lib/debian.js";


const PACKAGES: Record<string, string> = { nft: "nftables", iptables: "iptables", ip6tables: "iptables", ipset: "ipset" };

export async function ensureFirewallTools(log: (line: string) => void = (l) => console.log(`# ${l}`)): Promise<void> {
  const missing = [...new Set(Object.entries(PACKAGES).filter(([tool]) => locateTool(tool) === null).map(([, pkg]) => pkg))];
  await ensureDebianPackages(missing, "the firewall tests", log);
}

/** Runs firewall tools inside a network namespace (`ip netns exec NS tool ...`), as an agent living there would. */
export function runInNamespace(netns: string): RunProgram {
  return (tool, args, options) => runProgram("ip", ["netns", "exec", netns, tool, ...args], options);
}

/**
 * Opens a TCP connection from inside a namespace with node itself (no curl or nc needed) and says what happened:
 * the server's greeting, "TIMEOUT" (dropped packets look like this) or "ERROR <code>".
 */
export async function tcpProbe(exec: (program: string, args: string[]) => Promise<{ stdout: string }>, address: string, port: number, timeoutMs = 1000): Promise<string> {
  const script = `const s=require("net").connect({host:${JSON.stringify(address)},port:${port},timeout:${timeoutMs}});let d="";s.on("data",c=>d+=c);s.on("end",()=>console.log(d));s.on("timeout",()=>{console.log("TIMEOUT");process.exit(0)});s.on("error",e=>{console.log("ERROR "+e.code);process.exit(0)});`;
  return (await exec(process.execPath, ["-e", script])).stdout.trim();
}
