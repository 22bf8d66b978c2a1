import assert from "node:assert/strict";
import test from "node:test";
import { firewallAddress, FirewallError, FirewallInactive } from "./enforcer.js";
import { NftablesEnforcer, nftBlockScript, nftPrepareScript, nftTimeout, nftUnblockScript } from "./nftables.js";
import { RecordingRunner } from "./recordingRunner.js";

const v4 = firewallAddress("203.0.113.9")!;
const v6 = firewallAddress("2001:db8::9")!;

test("prepare: own inet table, IPv4 and IPv6 timeout sets, drop in input and forward, rules refilled not stacked", () => {
  assert.equal(
    nftPrepareScript(),
    [
      "add table inet tld",
      "add set inet tld blocked4 { type ipv4_addr; flags timeout; }",
      "add set inet tld blocked6 { type ipv6_addr; flags timeout; }",
      "add chain inet tld input { type filter hook input priority -10; policy accept; }",
      "flush chain inet tld input",
      "add rule inet tld input ip saddr @blocked4 drop",
      "add rule inet tld input ip6 saddr @blocked6 drop",
      "add chain inet tld forward { type filter hook forward priority -10; policy accept; }",
      "flush chain inet tld forward",
      "add rule inet tld forward ip saddr @blocked4 drop",
      "add rule inet tld forward ip6 saddr @blocked6 drop",
      "",
    ].join("\n"),
  );
  assert.doesNotMatch(nftPrepareScript(), /flush (set|table|ruleset)/, "live blocks in the sets survive a restart");
});

test("block: one transaction that resets the element's timeout; unblock tolerates an element already gone", () => {
  assert.equal(
    nftBlockScript(v4, 60_000),
    "add element inet tld blocked4 { 203.0.113.9 }\ndelete element inet tld blocked4 { 203.0.113.9 }\nadd element inet tld blocked4 { 203.0.113.9 timeout 60000ms }\n",
  );
  assert.match(nftBlockScript(v6, 1500.4), /^add element inet tld blocked6 \{ 2001:db8::9 \}\n.*timeout 1500ms \}\n$/s);
  assert.equal(nftUnblockScript(v6), "add element inet tld blocked6 { 2001:db8::9 }\ndelete element inet tld blocked6 { 2001:db8::9 }\n");
  assert.equal(nftTimeout(10), "1000ms", "never a zero or sub-second timeout");
});

test("probe only reads; the first block makes the table in its own transaction; scripts go on stdin (nft -f -)", async () => {
  const runner = new RecordingRunner();
  const nft = new NftablesEnforcer(runner.run);
  await nft.probe();
  await nft.block(v4, 60_000);
  await nft.block(v6, 60_000);
  await nft.unblock(v4);
  assert.deepEqual(runner.calls.map((c) => [c.tool, ...c.args]), [["nft", "list", "tables"], ["nft", "-f", "-"], ["nft", "-f", "-"], ["nft", "-f", "-"]]);
  assert.equal(runner.calls[1].input, nftPrepareScript() + nftBlockScript(v4, 60_000));
  assert.equal(runner.calls[2].input, nftBlockScript(v6, 60_000));
  assert.equal(runner.calls[3].input, nftUnblockScript(v4));
  assert.equal(await nft.isBlocked(v4), true);
  assert.deepEqual(runner.calls[4].args, ["get", "element", "inet", "tld", "blocked4", "{ 203.0.113.9 }"]);
});

test("a table removed behind the agent's back is made again on the next block", async () => {
  let flushed = false;
  const runner = new RecordingRunner((c) => (flushed && c.input && !c.input.startsWith("add table") ? { code: 1, stderr: "Error: Could not process rule: No such file or directory\n" } : undefined));
  const nft = new NftablesEnforcer(runner.run);
  await nft.block(v4, 1000);
  flushed = true;
  await nft.block(v4, 2000);
  assert.deepEqual(runner.calls.map((c) => c.input?.startsWith("add table")), [true, false, true]);
});

test("missing nft or no privileges: firewall inactive; another failure: a firewall error with nft's words", async () => {
  await assert.rejects(new NftablesEnforcer(new RecordingRunner(() => "missing").run).probe(), (err: Error) => err instanceof FirewallInactive && /nft not found \(install nftables\)/.test(err.message));
  const eperm = new RecordingRunner(() => ({ code: 1, stderr: "Error: Could not process rule: Operation not permitted\n" }));
  await assert.rejects(new NftablesEnforcer(eperm.run).block(v4, 1000), (err: Error) => err instanceof FirewallInactive && /run the agent as root/.test(err.message));
  const bad = new RecordingRunner(() => ({ code: 1, stderr: "Error: syntax error, unexpected junk\n" }));
  await assert.rejects(new NftablesEnforcer(bad.run).block(v4, 1000), (err: Error) => err instanceof FirewallError && /could not block 203.0.113.9: Error: syntax error/.test(err.message));
});
