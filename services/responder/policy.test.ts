import { test } from "node:test";
import assert from "node:assert/strict";
import { AllowList } from "../../lib/allowList.js";
import { activeResponseSchema, type ActiveResponseConfig } from "../../lib/arConfig.js";
import type { BlockState } from "../../lib/blocks.js";
import type { Alert } from "../../lib/records.js";
import { decideHit, hitCommandId, oneShotCommand, planResponses, type HitDecision, type PlanContext, type Target } from "./policy.js";

const T0 = 1_796_400_000_000;

function arConfig(section: unknown): ActiveResponseConfig {
  return activeResponseSchema.parse(section);
}

/** The use case: firewall-drop and netsh on rule 100100, location local, 60 s, then 10 min, then an hour. */
const useCase = arConfig({
  responses: [
    { command: "firewall-drop", location: "local", rulesId: [100100], timeout: 60, repeatedOffenders: [600, 3600] },
    { command: "netsh", location: "local", rulesId: "100100", timeout: 60 },
  ],
  allowList: ["192.0.2.0/24"],
});

function alert(overrides: { srcip?: string | null; ruleId?: string; level?: number; groups?: string[]; agent?: Partial<Alert["agent"]>; id?: string; location?: string } = {}): Alert {
  const fields: Record<string, string> = {};
  if (overrides.srcip !== null) fields.srcip = overrides.srcip ?? "203.0.113.9";
  return {
    id: overrides.id ?? "ev-1:100100",
    timestamp: T0,
    rule: { id: overrides.ruleId ?? "100100", level: overrides.level ?? 10, description: "IP address found in AlienVault reputation database.", groups: overrides.groups ?? ["attack", "web"], firedtimes: 1 },
    agent: { id: "001", name: "ubuntu", ip: "10.0.0.5", os: "linux", ...overrides.agent },
    decoder: "web-accesslog",
    fields,
    fullLog: "203.0.113.9 - - ...",
    location: overrides.location ?? "/var/log/apache2/access.log",
    eventId: "ev-1",
  };
}

const noInterfaces = () => ({});
const ctx = (agents?: PlanContext["agents"]): PlanContext => ({ allowList: new AllowList(useCase, noInterfaces), agents });
const noState: BlockState = { block: null, offences: 0, seen: false };

function target(config = useCase, a = alert()): Target {
  const plan = planResponses(a, config, ctx());
  assert.equal(plan.targets.length, 1, JSON.stringify(plan));
  return plan.targets[0];
}

function applied(decision: HitDecision): BlockState["block"] {
  assert.ok(decision.kind === "new" || decision.kind === "extend" || decision.kind === "count", decision.kind);
  return decision.block;
}

test("triggers: rulesId, rulesGroup or level fire a response (any of them, as in Wazuh); others do not", () => {
  const config = arConfig({
    responses: [
      { command: "firewall-drop", location: "local", rulesId: [31151], timeout: 60 },
      { command: "firewall-drop", location: "local", rulesGroup: "authentication_failures|sshd", timeout: 120 },
      { command: "firewall-drop", location: "local", level: 12, timeout: 180 },
      { command: "firewall-drop", location: "local", rulesId: [100100], timeout: 240, disabled: true },
    ],
  });
  const timeoutFor = (a: Alert) => planResponses(a, config, ctx()).targets.map((t) => t.response.timeout);
  assert.deepEqual(timeoutFor(alert({ ruleId: "31151", level: 5, groups: ["web"] })), [60]);
  assert.deepEqual(timeoutFor(alert({ ruleId: "5710", level: 5, groups: ["syslog", "sshd"] })), [120]);
  assert.deepEqual(timeoutFor(alert({ ruleId: "1", level: 12, groups: [] })), [180]);
  assert.deepEqual(timeoutFor(alert({ ruleId: "1", level: 11, groups: [] })), []);
  assert.deepEqual(timeoutFor(alert({ ruleId: "100100", level: 10, groups: ["attack"] })), [], "a disabled response never fires");
  assert.deepEqual(planResponses(alert({ ruleId: "31151" }), { ...config, disabled: true }, ctx()).targets, [], "activeResponse.disabled turns all off");
});

test("location local: the agent that saw the event, with the first response whose command suits its OS", () => {
  const linux = planResponses(alert(), useCase, ctx()).targets;
  assert.deepEqual(linux.map((t) => [t.agentId, t.command.program, t.ip]), [["001", "firewall-drop", "203.0.113.9"]]);
  const windows = planResponses(alert({ agent: { id: "002", name: "windows11", os: "windows" } }), useCase, ctx()).targets;
  assert.deepEqual(windows.map((t) => [t.agentId, t.command.program]), [["002", "netsh"]]);
  const unknownOs = planResponses(alert({ agent: { os: null } }), useCase, ctx()).targets;
  assert.deepEqual(unknownOs.map((t) => t.command.program), ["firewall-drop"], "an agent of unknown OS takes the first response");
  const onlyNetsh = arConfig({ responses: [{ command: "netsh", location: "local", rulesId: [100100], timeout: 60 }] });
  const plan = planResponses(alert(), onlyNetsh, ctx());
  assert.deepEqual(plan.targets, []);
  assert.deepEqual(plan.skipped.map((s) => [s.reason, s.agentId]), [["no_command_for_os", "001"]]);
});

test("location all: every enrolled agent once; defined-agent: the listed ones, unknown ids reported", () => {
  const agents = [{ id: "001", os: "linux" }, { id: "002", os: "windows" }, { id: "003", os: "linux" }];
  const all = arConfig({
    responses: [
      { command: "firewall-drop", location: "all", rulesId: [100100], timeout: 300 },
      { command: "netsh", location: "all", rulesId: [100100], timeout: 300 },
    ],
  });
  const plan = planResponses(alert({ agent: { id: "009", os: "linux" } }), all, ctx(agents));
  assert.deepEqual(plan.targets.map((t) => [t.agentId, t.command.program]), [["001", "firewall-drop"], ["003", "firewall-drop"], ["002", "netsh"]]);
  const defined = arConfig({ responses: [{ command: "firewall-drop", location: "defined-agent", agentIds: ["003", "042"], level: 3, timeout: 60 }] });
  const p2 = planResponses(alert(), defined, ctx(agents));
  assert.deepEqual(p2.targets.map((t) => t.agentId), ["003"]);
  assert.deepEqual(p2.skipped.map((s) => [s.reason, s.agentId]), [["unknown_agent", "042"]]);
  assert.throws(() => planResponses(alert(), all, ctx()), /needs the agent registry/);
});

test("the allow-list: loopback, the manager's own addresses and configured networks are never blocked", () => {
  const interfaces = () => ({ eth0: [{ address: "198.51.100.20", netmask: "255.255.255.0", family: "IPv4", mac: "00:00:00:00:00:00", internal: false, cidr: "198.51.100.20/24" }] });
  const withNat = arConfig({ ...useCase, responses: [{ command: "firewall-drop", location: "local", rulesId: [100100], timeout: 60 }], managerAddresses: ["203.0.113.200"] });
  const context: PlanContext = { allowList: new AllowList(withNat, interfaces as never) };
  for (const [ip, reason] of [
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["198.51.100.20", "manager address"],
    ["203.0.113.200", "manager address"],
    ["192.0.2.77", "allow-list"],
  ] as const) {
    const plan = planResponses(alert({ srcip: ip }), withNat, context);
    assert.deepEqual(plan.targets, [], ip);
    assert.equal(plan.skipped[0]?.reason, "allow_listed", ip);
    assert.match(plan.skipped[0].detail, new RegExp(reason), ip);
  }
  assert.equal(planResponses(alert({ srcip: "198.51.100.21" }), withNat, context).targets.length, 1, "the manager's neighbour is not the manager");
});

test("hostile or malformed srcip values are refused and reported, never targeted", () => {
  const hostile = [
    "1.2.3.4;reboot", "$(id)", "`id`", "--flush", "-j ACCEPT", "1.2.3.4 || rm -rf /", "1.2.3.4\n5.6.7.8", "x".repeat(5000), "1".repeat(70),
    "01.2.3.4", "1.2.3.04", "010.0.0.1", "0x7f.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4",
    "fe80::1%eth0", "[2001:db8::1]", "2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.4;x", "2001:db8::g", "::ffff:01.2.3.4",
    "0.0.0.0", "::", "255.255.255.255", "224.0.0.1", "ff02::1",
  ];
  for (const srcip of hostile) {
    const plan = planResponses(alert({ srcip }), useCase, ctx());
    assert.deepEqual(plan.targets, [], srcip);
    assert.equal(plan.skipped[0]?.reason, "invalid_srcip", srcip);
    assert.ok(plan.skipped[0].detail.length < 200, "a hostile value is echoed bounded");
  }
  // Valid spellings are canonicalised before they go anywhere.
  for (const [given, canonical] of [["2001:DB8:0:0:0:0:0:1", "2001:db8::1"], ["::ffff:203.0.113.9", "203.0.113.9"], [" 203.0.113.9 ", "203.0.113.9"]]) {
    assert.equal(target(useCase, alert({ srcip: given })).ip, canonical, given);
  }
  assert.equal(planResponses(alert({ srcip: null }), useCase, ctx()).skipped[0].reason, "no_srcip");
});

test("an alert about an active response itself never triggers one (no block extending itself for ever)", () => {
  const config = arConfig({ responses: [{ command: "firewall-drop", location: "local", level: 3, timeout: 60 }] });
  for (const a of [alert({ ruleId: "651", level: 3, groups: ["ossec", "active_response"] }), alert({ ruleId: "1", location: "active-response" })]) {
    const plan = planResponses(a, config, ctx());
    assert.deepEqual(plan.targets, []);
    assert.equal(plan.skipped[0].reason, "own_result");
  }
});

test("a first hit makes a block of the response's timeout, and the command that carries it", () => {
  const decision = decideHit({ target: target(), alert: alert(), state: noState, now: T0, producedAt: T0 - 20 });
  assert.equal(decision.kind, "new");
  if (decision.kind !== "new") return;
  assert.equal(decision.expectedRev, null);
  assert.deepEqual(decision.command, {
    id: hitCommandId({ agentId: "001", ip: "203.0.113.9" }, alert()),
    agentId: "001",
    action: "add",
    program: "firewall-drop",
    ip: "203.0.113.9",
    ttlSeconds: 60,
    expiresAt: T0 + 60_000,
    alertId: "ev-1:100100",
    ruleId: "100100",
    createdAt: T0,
  });
  assert.deepEqual({ hits: decision.block.hits, step: decision.block.step, manual: decision.block.manual, createdAt: decision.block.createdAt }, { hits: 1, step: 0, manual: false, createdAt: T0 });
});

test("a repeat hit during the block extends it (new command, later expiresAt, same block), never stacks", () => {
  const first = applied(decideHit({ target: target(), alert: alert(), state: noState, now: T0, producedAt: T0 }))!;
  const second = alert({ id: "ev-2:100100" });
  const later = decideHit({ target: target(), alert: second, state: { block: first, offences: 1, seen: false }, now: T0 + 20_000, producedAt: T0 + 20_000 });
  assert.equal(later.kind, "extend");
  if (later.kind !== "extend") return;
  assert.equal(later.expectedRev, first.rev, "written only over the block it extends");
  assert.notEqual(later.command!.id, first.commandId, "the agent applies the extension as a new command");
  assert.equal(later.command!.expiresAt, T0 + 80_000);
  assert.equal(later.command!.alertId, "ev-2:100100");
  assert.deepEqual([later.block.createdAt, later.block.hits, later.block.step, later.block.ip, later.block.agentId], [T0, 2, 0, first.ip, first.agentId]);
  // A burst: a hit that would move the end by less than a second is counted, nothing is published.
  const burst = decideHit({ target: target(), alert: alert({ id: "ev-3:100100" }), state: { block: later.block, offences: 1, seen: false }, now: T0 + 20_300, producedAt: T0 + 20_300 });
  assert.equal(burst.kind, "count");
  if (burst.kind !== "count") return;
  assert.equal(burst.command, null);
  assert.equal(burst.block.expiresAt, later.block.expiresAt);
  assert.equal(burst.block.hits, 3);
  // A block that already lasts longer (a manual one, say) is never shortened by a hit.
  const long = { ...first, expiresAt: T0 + 3_600_000, manual: true };
  const onLong = decideHit({ target: target(), alert: second, state: { block: long, offences: 0, seen: false }, now: T0 + 5_000, producedAt: T0 + 5_000 });
  assert.equal(onLong.kind, "count");
});

test("repeated offenders: the IP's 2nd, 3rd, ... block on the agent lasts the next timeout; hits during one do not escalate", () => {
  const ttlFor = (offences: number) => {
    const d = decideHit({ target: target(), alert: alert(), state: { block: null, offences, seen: false }, now: T0, producedAt: T0 });
    return d.kind === "new" ? [d.command!.ttlSeconds, d.block.step] : d.kind;
  };
  assert.deepEqual([ttlFor(0), ttlFor(1), ttlFor(2), ttlFor(7)], [[60, 0], [600, 1], [3600, 2], [3600, 2]]);
  const escalated = applied(decideHit({ target: target(), alert: alert(), state: { block: null, offences: 1, seen: false }, now: T0, producedAt: T0 }))!;
  const hitDuring = decideHit({ target: target(), alert: alert({ id: "ev-9:100100" }), state: { block: escalated, offences: 2, seen: false }, now: T0 + 100_000, producedAt: T0 + 100_000 });
  assert.ok(hitDuring.kind === "extend");
  assert.equal(hitDuring.command!.ttlSeconds, 600, "the block's own step, not the next one");
  assert.equal(hitDuring.block.step, 1);
  // netsh has no repeatedOffenders: every block lasts its timeout.
  const windows = target(useCase, alert({ agent: { id: "002", os: "windows" } }));
  const d = decideHit({ target: windows, alert: alert(), state: { block: null, offences: 4, seen: false }, now: T0, producedAt: T0 });
  assert.equal(d.kind === "new" && d.command!.ttlSeconds, 60);
});

test("command ids are deterministic: a replayed alert republishes its own command or does nothing", () => {
  const t = target();
  assert.equal(hitCommandId(t, alert()), hitCommandId(t, alert()));
  assert.notEqual(hitCommandId(t, alert()), hitCommandId({ ...t, agentId: "002" }, alert()));
  assert.notEqual(hitCommandId(t, alert()), hitCommandId(t, alert({ id: "ev-2:100100" })));
  assert.match(hitCommandId(t, alert()), /^[0-9a-f]{32}$/);
  const first = decideHit({ target: t, alert: alert(), state: noState, now: T0, producedAt: T0 });
  assert.ok(first.kind === "new");
  // Replayed (the state says the alert was applied and its command is still the block's): the same command again.
  const replay = decideHit({ target: t, alert: alert(), state: { block: first.block, offences: 1, seen: true }, now: T0 + 5_000, producedAt: T0 });
  assert.deepEqual(replay, { kind: "replay", command: first.command });
  // Replayed after a later hit superseded it, or after the block ended: nothing.
  const superseded = { ...first.block, commandId: "another" };
  assert.deepEqual(decideHit({ target: t, alert: alert(), state: { block: superseded, offences: 1, seen: true }, now: T0 + 5_000, producedAt: T0 }), { kind: "duplicate" });
  assert.deepEqual(decideHit({ target: t, alert: alert(), state: { block: null, offences: 1, seen: true }, now: T0 + 90_000, producedAt: T0 }), { kind: "duplicate" });
  // A seen mark outlives the block it made, so a replay later than that is stale: it can never block again.
  assert.ok(first.seenTtlMs > 60_000);
  assert.deepEqual(decideHit({ target: t, alert: alert(), state: noState, now: T0 + 60_000, producedAt: T0 }), { kind: "stale", ageMs: 60_000 });
});

test("a one-shot command (timeoutAllowed: false) has a deterministic id, ttlSeconds 0 and a delivery window", () => {
  const config = arConfig({ commands: [{ name: "notify-soc", timeoutAllowed: false }], responses: [{ command: "notify-soc", location: "local", level: 10 }] });
  const t = target(config);
  const command = oneShotCommand(t, alert(), T0, T0, config.statelessDeliverySeconds)!;
  assert.deepEqual([command.program, command.action, command.ttlSeconds, command.expiresAt], ["notify-soc", "add", 0, T0 + 600_000]);
  assert.equal(oneShotCommand(t, alert(), T0 + 1, T0, 600)!.id, command.id);
  assert.equal(oneShotCommand(t, alert(), T0 + 600_000, T0, 600), null, "too late to deliver");
});
