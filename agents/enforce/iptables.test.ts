import assert from "node:assert/strict";
import test from "node:test";
import { firewallAddress, FirewallInactive } from "./enforcer.js";
import { IptablesEnforcer } from "./iptables.js";
import { RecordingRunner } from "./recordingRunner.js";

const v4 = firewallAddress("203.0.113.9")!;
const v6 = firewallAddress("2001:db8::9")!;
const rule = (tool: string, op: string, chain: string, ip: string) => `${tool} -w 5 ${op} ${chain} -s ${ip} -m comment --comment tld-agent -j DROP`;

test("block: firewall-drop's DROP in INPUT and FORWARD, inserted only when not there yet", async () => {
  const runner = new RecordingRunner((c) => (c.args.includes("-C") ? { code: 1, stderr: "iptables: Bad rule (does a matching rule exist in that chain?).\n" } : undefined));
  await new IptablesEnforcer(runner.run).block(v4, 60_000);
  assert.deepEqual(runner.lines(), [rule("iptables", "-C", "INPUT", "203.0.113.9"), rule("iptables", "-I", "INPUT", "203.0.113.9"), rule("iptables", "-C", "FORWARD", "203.0.113.9"), rule("iptables", "-I", "FORWARD", "203.0.113.9")]);
  const present = new RecordingRunner();
  await new IptablesEnforcer(present.run).block(v6, 60_000);
  assert.deepEqual(present.lines(), [rule("ip6tables", "-C", "INPUT", "2001:db8::9"), rule("ip6tables", "-C", "FORWARD", "2001:db8::9")], "a repeat block adds no second rule");
});

test("unblock: deletes our rule (every copy) from both chains, nothing when it is gone", async () => {
  let copies = 2;
  const runner = new RecordingRunner((c) => {
    if (c.args[3] !== "INPUT") return { code: 1 };
    if (c.args.includes("-C")) return copies > 0 ? undefined : { code: 1 };
    copies--;
    return undefined;
  });
  await new IptablesEnforcer(runner.run).unblock(v4);
  assert.deepEqual(runner.lines(), [
    rule("iptables", "-C", "INPUT", "203.0.113.9"),
    rule("iptables", "-D", "INPUT", "203.0.113.9"),
    rule("iptables", "-C", "INPUT", "203.0.113.9"),
    rule("iptables", "-D", "INPUT", "203.0.113.9"),
    rule("iptables", "-C", "INPUT", "203.0.113.9"),
    rule("iptables", "-C", "FORWARD", "203.0.113.9"),
  ]);
});

test("probe lists INPUT; missing tool or not root is an inactive firewall", async () => {
  const ok = new RecordingRunner();
  await new IptablesEnforcer(ok.run).probe();
  assert.deepEqual(ok.lines(), ["iptables -w 5 -n -L INPUT", "ip6tables -w 5 -n -L INPUT"]);
  await assert.rejects(new IptablesEnforcer(new RecordingRunner(() => "missing").run).probe(), (e: Error) => e instanceof FirewallInactive && /iptables not found \(install iptables\)/.test(e.message));
  const notRoot = new RecordingRunner(() => ({ code: 4, stderr: "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n" }));
  await assert.rejects(new IptablesEnforcer(notRoot.run).probe(), (e: Error) => e instanceof FirewallInactive && /run the agent as root/.test(e.message));
});
