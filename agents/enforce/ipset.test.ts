import assert from "node:assert/strict";
import test from "node:test";
import { firewallAddress, FirewallError } from "./enforcer.js";
import { IpsetEnforcer, IPSET_MAX_TIMEOUT_S, ipsetTimeoutSeconds } from "./ipset.js";
import { RecordingRunner } from "./recordingRunner.js";

const v4 = firewallAddress("203.0.113.9")!;
const v6 = firewallAddress("2001:db8::9")!;

test("probe only reads; a family's first block makes its timeout set and the iptables rules that drop its members", async () => {
  const runner = new RecordingRunner((c) => (c.args.includes("-C") ? { code: 1 } : undefined));
  const ipset = new IpsetEnforcer(runner.run);
  await ipset.probe();
  await ipset.block(v4, 59_001);
  await ipset.block(v4, 10_000);
  await ipset.block(v6, 10_000);
  await ipset.unblock(v6);
  assert.equal(await ipset.isBlocked(v4), true);
  const match = (tool: string, op: string, chain: string, family: number) => `${tool} -w 5 ${op} ${chain} -m set --match-set tld-blocked${family} src -m comment --comment tld-agent -j DROP`;
  assert.deepEqual(runner.lines(), [
    "ipset list -n",
    "iptables -w 5 -n -L INPUT",
    "ipset create tld-blocked4 hash:ip family inet timeout 0 -exist",
    match("iptables", "-C", "INPUT", 4),
    match("iptables", "-I", "INPUT", 4),
    match("iptables", "-C", "FORWARD", 4),
    match("iptables", "-I", "FORWARD", 4),
    "ipset add tld-blocked4 203.0.113.9 timeout 60 -exist",
    "ipset add tld-blocked4 203.0.113.9 timeout 10 -exist",
    "ipset create tld-blocked6 hash:ip family inet6 timeout 0 -exist",
    match("ip6tables", "-C", "INPUT", 6),
    match("ip6tables", "-I", "INPUT", 6),
    match("ip6tables", "-C", "FORWARD", 6),
    match("ip6tables", "-I", "FORWARD", 6),
    "ipset add tld-blocked6 2001:db8::9 timeout 10 -exist",
    "ipset del tld-blocked6 2001:db8::9 -exist",
    "ipset test tld-blocked4 203.0.113.9",
  ]);
  assert.equal(ipsetTimeoutSeconds((IPSET_MAX_TIMEOUT_S + 1) * 1000), 0, "beyond the kernel's limit: no timeout, the agent lifts it");
});

test("unblock before any set exists is fine; other ipset failures are errors", async () => {
  await new IpsetEnforcer(new RecordingRunner(() => ({ code: 1, stderr: "ipset v7.17: The set with the given name does not exist\n" })).run).unblock(v4);
  const full = new RecordingRunner((c) => (c.args[0] === "add" ? { code: 1, stderr: "ipset v7.17: Hash is full, cannot add more elements\n" } : undefined));
  await assert.rejects(new IpsetEnforcer(full.run).block(v4, 1000), (e: Error) => e instanceof FirewallError && /Hash is full/.test(e.message));
});
