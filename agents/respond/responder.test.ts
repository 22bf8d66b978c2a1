import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "node:test";
import type { ShippedEvent } from "../../lib/collectorClient.js";
import { FirewallError, FirewallInactive, type Enforcer, type FirewallAddress } from "../enforce/enforcer.js";
import { NftablesEnforcer } from "../enforce/nftables.js";
import { RecordingRunner } from "../enforce/recordingRunner.js";
import { BlockStore } from "./blockState.js";
import { ActiveResponder } from "./responder.js";
import { protectedNetworks } from "./start.js";

/** A firewall in memory: what is blocked until when, and every call made. */
class MemoryEnforcer implements Enforcer {
  readonly name = "iptables" as const;
  readonly blocked = new Map<string, number>();
  readonly calls: string[] = [];
  failWith: Error | null = null;
  constructor(readonly kernelTimeouts = false) {}
  async probe() {
    this.calls.push("probe");
    if (this.failWith) throw this.failWith;
  }
  async block(a: FirewallAddress, ttlMs: number) {
    this.calls.push(`block ${a.ip}`);
    if (this.failWith) throw this.failWith;
    this.blocked.set(a.ip, Date.now() + ttlMs);
  }
  async unblock(a: FirewallAddress) {
    this.calls.push(`unblock ${a.ip}`);
    if (this.failWith) throw this.failWith;
    this.blocked.delete(a.ip);
  }
  async isBlocked(a: FirewallAddress) {
    return this.blocked.has(a.ip);
  }
}

const silent = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(enforcer: Enforcer = new MemoryEnforcer(), dir = mkdtempSync(path.join(tmpdir(), "tld-ar-"))) {
  const store = await BlockStore.open(path.join(dir, "active-response.json"), () => {});
  const reports: ShippedEvent[] = [];
  const responder = new ActiveResponder({ enforcer, store, agent: { id: "001", name: "ubuntu" }, report: (e) => reports.push(e), log: silent, protectedNetworks: await protectedNetworks("http://192.0.2.250:1514") });
  await responder.start();
  const bodies = () => reports.map((r) => r.message.slice(r.message.indexOf("active-response/bin/")));
  return { responder, store, reports, bodies, dir };
}

let seq = 0;
function command(over: Record<string, unknown> = {}, ttlMs = 60_000): string {
  const now = Date.now();
  return JSON.stringify({ id: `cmd-${++seq}`, action: "add", program: "firewall-drop", ip: "203.0.113.9", ttlSeconds: Math.ceil(ttlMs / 1000), expiresAt: now + ttlMs, alertId: "a1", ruleId: "100100", createdAt: now, ...over });
}

test("an add blocks, is reported once, is saved; the same command again changes nothing", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, reports, store, dir } = await setup(enforcer);
  const add = command({ id: "c-add" });
  assert.equal(await responder.handle(add), "c-add");
  assert.equal(await responder.handle(add), "c-add", "a duplicate is still acknowledged");
  assert.deepEqual(enforcer.calls, ["probe", "block 203.0.113.9"]);
  assert.equal(reports.length, 1);
  assert.match(reports[0].message, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d active-response\/bin\/firewall-drop: \{"version":1,"origin":\{"name":"ubuntu","module":"tld-agent"\},"command":"add","parameters":\{"program":"active-response\/bin\/firewall-drop","alert":\{"id":"a1","rule":\{"id":"100100"\},"data":\{"srcip":"203.0.113.9"\}\},"extra_args":\[\],"command_id":"c-add","enforcer":"iptables","ttl_seconds":60\}\}$/);
  assert.equal(reports[0].logFormat, "ar");
  assert.equal(reports[0].location, "active-response");
  const saved = JSON.parse(readFileSync(path.join(dir, "active-response.json"), "utf8"));
  assert.equal(saved.blocks[0].ip, "203.0.113.9");
  assert.ok(saved.applied["c-add"] > Date.now());
  assert.equal(store.blocks.size, 1);
  await responder.stop();
});

test("a repeat with a later end extends (one rule, reported); a shorter or equal one is absorbed", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, bodies } = await setup(enforcer);
  await responder.handle(command({ id: "first" }, 30_000));
  await responder.handle(command({ id: "longer" }, 90_000));
  await responder.handle(command({ id: "shorter" }, 10_000));
  assert.deepEqual(enforcer.calls, ["probe", "block 203.0.113.9", "block 203.0.113.9"]);
  assert.equal(responder.activeBlocks().length, 1);
  assert.equal(responder.activeBlocks()[0].commandId, "longer");
  assert.equal(bodies().length, 2);
  assert.match(bodies()[1], /"command_id":"longer".*"ttl_seconds":90/);
  await responder.stop();
});

test("expiry: the block is lifted on time and the unblock reported (652 layout), with the alert that caused it", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, bodies, reports } = await setup(enforcer);
  const started = Date.now();
  await responder.handle(command({ id: "short", ttlSeconds: 1 }, 300));
  while (reports.length < 2 && Date.now() - started < 3000) await sleep(10);
  assert.equal(responder.activeBlocks().length, 0);
  assert.ok(Date.now() - started >= 290, "not before its end");
  assert.deepEqual(enforcer.calls, ["probe", "block 203.0.113.9", "unblock 203.0.113.9"]);
  assert.match(bodies()[1], /^active-response\/bin\/firewall-drop: \{.*"command":"delete","parameters":\{"program":"active-response\/bin\/firewall-drop","alert":\{"id":"a1","rule":\{"id":"100100"\},"data":\{"srcip":"203.0.113.9"\}\},"extra_args":\[\],"command_id":"short","enforcer":"iptables","reason":"expired"\}\}$/);
  await responder.stop();
});

test("delete lifts now; a late add is ignored; a replayed add after its delete does not block again", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, bodies } = await setup(enforcer);
  const add = command({ id: "blk" });
  await responder.handle(add);
  assert.equal(await responder.handle(JSON.stringify({ ...JSON.parse(add), id: "blk-del", action: "delete", ttlSeconds: 0 })), "blk-del");
  assert.equal(enforcer.blocked.size, 0);
  assert.match(bodies()[1], /"command":"delete".*"command_id":"blk-del".*"reason":"unblocked"/);
  await responder.handle(add); // a reconnect resending it
  assert.equal(enforcer.blocked.size, 0);
  assert.equal(await responder.handle(command({ id: "late", ttlSeconds: 0, expiresAt: Date.now() - 5 })), "late");
  assert.equal(enforcer.blocked.size, 0);
  assert.equal(bodies().length, 2, "late adds and duplicates are not reported");
  await responder.stop();
});

test("hostile values never reach the firewall tool; each is reported as a failure and acknowledged", async () => {
  const runner = new RecordingRunner();
  const { responder, reports } = await setup(new NftablesEnforcer(runner.run));
  const hostile = ["1.2.3.4;reboot", "$(id)", "--flush", "`reboot`", "1.2.3.4\nflush ruleset", "x".repeat(70_000), "fe80::1%eth0", "[::1]", "2001:db8::1::1", "::ffff:999.1.1.1", "01.2.3.4", "1.2.3.4/0", "{ 0.0.0.0/0 }"];
  for (const [i, ip] of hostile.entries()) assert.equal(await responder.handle(command({ id: `h${i}`, ip })), `h${i}`);
  assert.deepEqual(runner.lines(), ["nft list tables"], "only the probe ran");
  assert.equal(reports.length, hostile.length);
  for (const r of reports) {
    const body = JSON.parse(r.message.slice(r.message.indexOf("{")));
    assert.match(body.parameters.error, /^invalid (IP address|command)/);
    assert.equal(body.parameters.alert.data, undefined, "no srcip for a refused value");
    assert.ok(r.message.length < 1000);
  }
  await responder.stop();
});

test("protected addresses (loopback, unspecified, the manager) and unknown programs are refused and reported", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, bodies } = await setup(enforcer);
  for (const ip of ["127.0.0.1", "::1", "0.0.0.0", "::", "192.0.2.250", "::ffff:127.0.0.2"]) await responder.handle(command({ ip }));
  await responder.handle(command({ program: "route-null" }));
  assert.deepEqual(enforcer.calls, ["probe"]);
  assert.equal(bodies().length, 7);
  assert.match(bodies()[4], /"error":"refused to block 192.0.2.250: it is the manager's address/);
  assert.match(bodies()[6], /"error":"program route-null is not available on this agent/);
  await responder.stop();
});

test("an inactive firewall is reported at start and per command (658 text), and the command is not marked applied", async () => {
  const enforcer = new MemoryEnforcer();
  enforcer.failWith = new FirewallInactive("iptables not found (install iptables)");
  const { responder, bodies } = await setup(enforcer);
  assert.equal(responder.inactive, "iptables not found (install iptables)");
  const add = command({ id: "while-inactive" });
  await responder.handle(add);
  assert.match(bodies()[0], /^active-response\/bin\/firewall-drop: firewall is inactive: iptables not found \(install iptables\) \{"enforcer":"iptables"\}$/);
  assert.match(bodies()[1], /^active-response\/bin\/firewall-drop: firewall is inactive: iptables not found \(install iptables\) \{"command":"add","srcip":"203.0.113.9","command_id":"while-inactive"/);
  enforcer.failWith = null; // installed meanwhile: the resend on reconnect applies
  await responder.handle(add);
  assert.ok(enforcer.blocked.has("203.0.113.9"));
  assert.equal(responder.inactive, null);
  await responder.stop();
});

test("a firewall error is reported with its message (659) and the block is not kept", async () => {
  const enforcer = new MemoryEnforcer();
  const { responder, bodies, store } = await setup(enforcer);
  enforcer.failWith = new FirewallError("ip6tables -I INPUT failed: ip6tables: No chain/target/match by that name.");
  await responder.handle(command({ ip: "2001:db8::5" }));
  assert.match(bodies()[0], /"command":"add".*"srcip":"2001:db8::5".*"error":"ip6tables -I INPUT failed/);
  assert.equal(store.blocks.size, 0);
  await responder.stop();
});

test("restart: what expired while the agent was away is lifted and reported, what is live is kept and put back", async () => {
  const enforcer = new MemoryEnforcer();
  const first = await setup(enforcer);
  await first.responder.handle(command({ id: "short-lived", ip: "198.51.100.1", ttlSeconds: 1 }, 200));
  await first.responder.handle(command({ id: "long-lived", ip: "198.51.100.2" }, 60_000));
  await first.responder.stop();
  await sleep(250);
  enforcer.blocked.clear(); // a reboot emptied the firewall
  enforcer.calls.length = 0;
  const second = await setup(enforcer, first.dir);
  assert.deepEqual(enforcer.calls, ["probe", "unblock 198.51.100.1", "block 198.51.100.2"]);
  assert.deepEqual(second.responder.activeBlocks().map((b) => b.ip), ["198.51.100.2"]);
  assert.match(second.bodies()[0], /"command":"delete".*"srcip":"198.51.100.1".*"command_id":"short-lived".*"reason":"expired"/);
  // The manager resends the live block on reconnect: known, already in place, nothing new.
  const resend = command({ id: "long-lived", ip: "198.51.100.2" }, 59_000);
  await second.responder.handle(resend);
  assert.deepEqual(enforcer.calls, ["probe", "unblock 198.51.100.1", "block 198.51.100.2"]);
  assert.equal(second.reports.length, 1);
  await second.responder.stop();
});

test("a resent active block the firewall lost is put back", async () => {
  const enforcer = new MemoryEnforcer(true);
  const { responder, reports } = await setup(enforcer);
  const add = command({ id: "lost" });
  await responder.handle(add);
  enforcer.blocked.clear(); // `nft flush ruleset` by hand
  await responder.handle(add);
  assert.ok(enforcer.blocked.has("203.0.113.9"));
  assert.equal(reports.length, 1);
  await responder.stop();
});
