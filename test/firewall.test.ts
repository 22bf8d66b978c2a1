// Real firewalls in network namespaces: each enforcer, driven by the agent's responder exactly as `tld agent run`
// drives it, changes the victim's own kernel ruleset; the attacker's TCP connection then fails, and succeeds
// again once the block's time is up. With nftables the kernel lifts the block by itself: nothing of the agent
// runs after the block went in. The full path (collector push channel, agent process, kill -9) is in
// test/active-response.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { ChildProcess } from "node:child_process";
import type { ShippedEvent } from "../lib/collectorClient.js";
import { firewallAddress, type EnforcerName } from "../agents/enforce/enforcer.js";
import { ENFORCERS } from "../agents/enforce/registry.js";
import { BlockStore } from "../agents/respond/blockState.js";
import { ActiveResponder } from "../agents/respond/responder.js";
import { protectedNetworks } from "../agents/respond/start.js";
import { createLab, labUnavailable, type Lab } from "../demo/lab.js";
import { nftBlocked } from "../demo/victim.js";
import { ensureFirewallTools, runInNamespace, tcpProbe } from "./harness/firewall.js";

const unavailable = await labUnavailable();
if (unavailable === null) await ensureFirewallTools();
const skip = unavailable === null ? false : `skipped: ${unavailable}`;
const PORT = 8080;
const silent = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function victimServer(lab: Lab): Promise<ChildProcess> {
  const server = lab.spawn(lab.victim, process.execPath, ["-e", `require("net").createServer(s=>s.end("hello")).listen(${PORT},${JSON.stringify(lab.victim.address)},()=>console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => server.stdout!.once("data", resolve));
  return server;
}

async function withLab(fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await createLab();
  let server: ChildProcess | null = null;
  try {
    server = await victimServer(lab);
    await fn(lab);
  } finally {
    server?.kill();
    await lab.destroy(); // the namespaces go, and with them every rule, set and table made in them
  }
}

function responderIn(lab: Lab, name: EnforcerName) {
  const enforcer = ENFORCERS[name](runInNamespace(lab.victim.netns));
  const reports: ShippedEvent[] = [];
  return {
    enforcer,
    reports,
    async start() {
      const store = await BlockStore.open(path.join(mkdtempSync(path.join(tmpdir(), "tld-fw-")), "active-response.json"), () => {});
      const responder = new ActiveResponder({ enforcer, store, agent: { id: "fw", name: "victim" }, report: (e) => reports.push(e), log: silent, protectedNetworks: await protectedNetworks(`http://${lab.managerAddress}:1514`) });
      await responder.start();
      return responder;
    },
  };
}

function addCommand(ip: string, ttlMs: number, id = `fw-${Date.now()}`): string {
  const now = Date.now();
  return JSON.stringify({ id, action: "add", program: "firewall-drop", ip, ttlSeconds: Math.ceil(ttlMs / 1000), expiresAt: now + ttlMs, alertId: "alert-1", ruleId: "100100", createdAt: now });
}

const probe = (lab: Lab) => tcpProbe((program, args) => lab.exec(lab.attacker, program, args), lab.victim.address, PORT);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now();
}

test("nftables: a block lands in the victim's kernel, drops the attacker, and the kernel lifts it on time with no agent running", { skip }, async () => {
  await withLab(async (lab) => {
    const { reports, start } = responderIn(lab, "nftables");
    const responder = await start();
    assert.equal(await probe(lab), "hello", "before the block the attacker gets through");
    const ttlMs = 3000;
    const blockedAt = Date.now();
    await responder.handle(addCommand(lab.attacker.address, ttlMs));
    assert.deepEqual(await nftBlocked(lab), [lab.attacker.address]);
    const ruleset = (await lab.exec(lab.victim, "nft", ["list", "table", "inet", "tld"])).stdout;
    assert.match(ruleset, /hook input priority (filter - 10|-10); policy accept;\s+ip saddr @blocked4 drop\s+ip6 saddr @blocked6 drop/);
    assert.match(ruleset, /hook forward priority (filter - 10|-10); policy accept;\s+ip saddr @blocked4 drop/);
    assert.equal(await probe(lab), "TIMEOUT", "the attacker's connection is dropped");
    assert.match(reports[0].message, /active-response\/bin\/firewall-drop: \{.*"command":"add".*"srcip":"10\.\d+\.\d+\.1".*"enforcer":"nftables","ttl_seconds":3\}\}$/);
    // The agent dies here: no timer of its own will run.
    await responder.stop();
    const liftedAt = await waitUntil("the kernel to lift the block", async () => (await nftBlocked(lab)).length === 0, ttlMs + 3000);
    assert.ok(liftedAt - blockedAt >= ttlMs - 100, `lifted after ${liftedAt - blockedAt} ms, not before its ${ttlMs} ms`);
    assert.equal(await probe(lab), "hello", "after the TTL the attacker gets through again");
  });
});

test("nftables: IPv6 blocks go to their own set; a repeat extends the element's timeout instead of adding one", { skip }, async () => {
  await withLab(async (lab) => {
    const { enforcer } = responderIn(lab, "nftables");
    const v6 = firewallAddress("2001:db8::77")!;
    await enforcer.block(v6, 5000);
    await enforcer.block(v6, 60_000);
    const set = JSON.parse((await lab.exec(lab.victim, "nft", ["-j", "list", "set", "inet", "tld", "blocked6"])).stdout) as { nftables: { set?: { elem?: { elem: { val: string; timeout: number } }[] } }[] };
    const elems = set.nftables.find((o) => o.set)!.set!.elem!;
    assert.deepEqual(elems.map((e) => [e.elem.val, e.elem.timeout]), [["2001:db8::77", 60]]);
    assert.equal(await enforcer.isBlocked(v6), true);
    await enforcer.unblock(v6);
    await enforcer.unblock(v6); // already gone: fine
    assert.equal(await enforcer.isBlocked(v6), false);
  });
});

for (const name of ["iptables", "ipset"] as const) {
  test(`${name}: the block drops the attacker; the agent lifts it at the end of its time`, { skip }, async () => {
    await withLab(async (lab) => {
      const { reports, start, enforcer } = responderIn(lab, name);
      const responder = await start();
      try {
        assert.equal(await probe(lab), "hello");
        const ttlMs = 2500;
        const blockedAt = Date.now();
        await responder.handle(addCommand(lab.attacker.address, ttlMs));
        const rules = (await lab.exec(lab.victim, "iptables", ["-S"])).stdout;
        if (name === "iptables") {
          for (const chain of ["INPUT", "FORWARD"]) assert.ok(rules.includes(`-A ${chain} -s ${lab.attacker.address}/32 -m comment --comment tld-agent -j DROP`), rules);
        } else {
          for (const chain of ["INPUT", "FORWARD"]) assert.ok(rules.includes(`-A ${chain} -m set --match-set tld-blocked4 src -m comment --comment tld-agent -j DROP`), rules);
          assert.match((await lab.exec(lab.victim, "ipset", ["list", "tld-blocked4"])).stdout, new RegExp(`^${lab.attacker.address.replace(/\./g, "\\.")} timeout \\d+$`, "m"));
        }
        assert.equal(await probe(lab), "TIMEOUT");
        const address = firewallAddress(lab.attacker.address)!;
        const liftedAt = await waitUntil("the block to end", async () => !(await enforcer.isBlocked(address)), ttlMs + 3000);
        assert.ok(liftedAt - blockedAt >= ttlMs - 100, `lifted after ${liftedAt - blockedAt} ms`);
        assert.equal(await probe(lab), "hello");
        await waitUntil("the unblock report", async () => reports.length === 2, 2000);
        assert.match(reports[1].message, new RegExp(`"command":"delete".*"enforcer":"${name}","reason":"expired"`));
        if (name === "iptables") assert.ok(!(await lab.exec(lab.victim, "iptables", ["-S"])).stdout.includes(lab.attacker.address), "no rule left behind");
      } finally {
        await responder.stop();
      }
    });
  });
}
