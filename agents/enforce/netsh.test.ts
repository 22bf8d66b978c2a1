// Windows' netsh is not available here: these tests pin the exact argument lists the agent runs there.
import assert from "node:assert/strict";
import test from "node:test";
import { firewallAddress, FirewallInactive } from "./enforcer.js";
import { allProfilesOff, NetshEnforcer } from "./netsh.js";
import { RecordingRunner } from "./recordingRunner.js";

const v4 = firewallAddress("203.0.113.9")!;
const v6 = firewallAddress("2001:db8::9")!;

test("block: old rules of that name deleted, then one inbound and one outbound block rule", async () => {
  const runner = new RecordingRunner((c) => (c.args[2] === "delete" ? { code: 1, stdout: "\nNo rules match the specified criteria.\n\n" } : { stdout: "Ok.\n\n" }));
  await new NetshEnforcer(runner.run).block(v4, 60_000);
  assert.deepEqual(runner.calls.map((c) => [c.tool, ...c.args]), [
    ["netsh", "advfirewall", "firewall", "delete", "rule", "name=tld-block-203.0.113.9"],
    ["netsh", "advfirewall", "firewall", "add", "rule", "name=tld-block-203.0.113.9", "dir=in", "action=block", "remoteip=203.0.113.9", "profile=any", "enable=yes"],
    ["netsh", "advfirewall", "firewall", "add", "rule", "name=tld-block-203.0.113.9", "dir=out", "action=block", "remoteip=203.0.113.9", "profile=any", "enable=yes"],
  ]);
  for (const call of runner.calls) for (const arg of call.args) assert.doesNotMatch(arg, /[\s"]/, "no argument needs quoting on a Windows command line");
});

test("unblock deletes both rules by name; IPv6 names keep the canonical address", async () => {
  const runner = new RecordingRunner(() => ({ stdout: "\nDeleted 2 rule(s).\nOk.\n\n" }));
  await new NetshEnforcer(runner.run).unblock(v6);
  assert.deepEqual(runner.lines(), ["netsh advfirewall firewall delete rule name=tld-block-2001:db8::9"]);
  const gone = new RecordingRunner(() => ({ code: 1, stdout: "\nNo rules match the specified criteria.\n\n" }));
  await new NetshEnforcer(gone.run).unblock(v6);
  assert.equal(await new NetshEnforcer(gone.run).isBlocked(v6), false);
});

test("probe: every profile OFF, no elevation or no netsh is an inactive firewall", async () => {
  const off = "\nDomain Profile Settings:\n----------------------------------------------------------------------\nState                                 OFF\n\nPrivate Profile Settings:\n----------------------------------------------------------------------\nState                                 OFF\n\nPublic Profile Settings:\n----------------------------------------------------------------------\nState                                 OFF\nOk.\n\n";
  assert.equal(allProfilesOff(off), true);
  assert.equal(allProfilesOff(off.replace(/OFF\n\nPublic/, "ON\n\nPublic")), false);
  assert.equal(allProfilesOff("Zustand                               AUS\n"), false, "output it cannot read counts as on");
  const runner = new RecordingRunner(() => ({ stdout: off }));
  await assert.rejects(new NetshEnforcer(runner.run).probe(), (e: Error) => e instanceof FirewallInactive && /off in every profile/.test(e.message));
  assert.deepEqual(runner.lines(), ["netsh advfirewall show allprofiles state"]);
  const denied = new RecordingRunner(() => ({ code: 1, stdout: "The requested operation requires elevation (Run as administrator).\n" }));
  await assert.rejects(new NetshEnforcer(denied.run).block(v4, 1000), (e: Error) => e instanceof FirewallInactive && /elevated/.test(e.message));
  await assert.rejects(new NetshEnforcer(new RecordingRunner(() => "missing").run).probe(), /netsh not found/);
});
