// The use case for real, as `tld demo` sets it up (demo/usecase.ts): a reputation-listed attacker's first request
// to Apache in the victim namespace passes, its second is dropped by the victim's own nftables, the dashboard API
// finds 100100 and 651 for the agent, and after the TTL the kernel has lifted the block, a request passes and 652
// is there. Each step is checked against the firewall itself (`nft list ruleset` in the victim) and the API,
// not against what the demo reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { labUnavailable } from "../demo/lab.js";
import { DEMO_AGENT, requestFrom, runDemo, setUpUseCase } from "../demo/usecase.js";
import { waitFor } from "./harness/tools.js";

const unavailable = await labUnavailable();
const skip = unavailable === null ? false : `skipped: ${unavailable}`;
const TTL = 6;

test("the use case: request 1 passes, request 2 is dropped in the victim's kernel, 100100/651 in the dashboard, let back after the TTL with 652", { skip, timeout: 300_000 }, async () => {
  const useCase = await setUpUseCase({ ttlSeconds: TTL, say: (line) => console.log(`# ${line}`) });
  const { lab, apache, attacker, dashboard } = useCase;
  const rulesetHasAttacker = async () => {
    const ruleset = (await lab.exec(lab.victim, "nft", ["list", "ruleset"])).stdout;
    return new RegExp(`elements = \\{[^}]*\\b${attacker.replace(/\./g, "\\.")}\\b`).test(ruleset);
  };
  try {
    assert.equal(await rulesetHasAttacker(), false, "no block before the attack");
    const first = await requestFrom(lab, apache.url);
    assert.equal(first.status, 200, `request 1 passes: ${JSON.stringify(first)}`);

    const blockedAt = await waitFor("the attacker in the victim's nftables", async () => ((await rulesetHasAttacker()) ? Date.now() : undefined), 30_000, 50);
    const ruleset = (await lab.exec(lab.victim, "nft", ["list", "ruleset"])).stdout;
    assert.match(ruleset, /table inet tld/);
    assert.match(ruleset, /ip saddr @blocked4 drop/, "the set is dropped in a hook");

    const second = await requestFrom(lab, apache.url);
    assert.equal(second.ok, false, "request 2 is dropped");
    assert.equal(second.status, null, `dropped means no answer at all, not an error page: ${JSON.stringify(second)}`);

    const query = `rule.id:(651 OR 100100) and agent.name:${DEMO_AGENT} and data.srcip:${attacker}`;
    const alerts = await waitFor("100100 and 651 through the dashboard API", async () => {
      const found = await dashboard.search(query);
      return found.some((a) => a.rule.id === "100100") && found.some((a) => a.rule.id === "651") ? found : undefined;
    }, 60_000, 250);
    const attack = alerts.find((a) => a.rule.id === "100100")!;
    assert.equal(attack.rule.level, 10);
    assert.equal(attack.rule.description, "IP address found in AlienVault reputation database.");
    assert.ok(attack.rule.groups?.includes("attack"));
    assert.equal(attack.agent.name, DEMO_AGENT);
    assert.equal(attack.data.srcip, attacker);
    assert.deepEqual(new Set(alerts.map((a) => a.rule.id)), new Set(["651", "100100"]), "the query returns exactly those rules");

    const liftedAt = await waitFor("the kernel to lift the block", async () => ((await rulesetHasAttacker()) ? undefined : Date.now()), (TTL + 30) * 1000, 100);
    const lasted = (liftedAt - blockedAt) / 1000;
    console.log(`# block lasted ${lasted.toFixed(1)} s (TTL ${TTL} s)`);
    assert.ok(lasted >= TTL - 1 && lasted <= TTL + 5, `the block lasts the TTL, not ${lasted} s`);
    const third = await requestFrom(lab, apache.url);
    assert.equal(third.status, 200, `after the TTL the attacker gets through: ${JSON.stringify(third)}`);

    const unblocks = await waitFor("652 through the dashboard API", async () => {
      const found = await dashboard.search(`rule.id:652 and agent.name:${DEMO_AGENT} and data.srcip:${attacker}`);
      return found.length > 0 ? found : undefined;
    }, 60_000, 250);
    assert.equal(unblocks[0].rule.description, `Host ${attacker} unblocked by firewall-drop active response.`);
  } finally {
    await useCase.close();
  }
  const left = (await import("node:child_process")).execFileSync("ip", ["netns", "list"]).toString();
  assert.ok(!left.includes(lab.victim.netns), "the demo's namespaces are gone");
});

test("tld demo --json reports the same facts (the command users run)", { skip, timeout: 300_000 }, async () => {
  const result = await runDemo({ ttlSeconds: 5, say: () => undefined });
  assert.equal(result.first_request_ok, true);
  assert.equal(result.second_request_blocked, true);
  assert.equal(result.after_ttl_request_ok, true);
  assert.ok(result.alerts.some((a) => a.rule.id === "100100" && a.agent.name === DEMO_AGENT && a.data.srcip === result.attacker_ip));
  assert.ok(result.alerts.some((a) => a.rule.id === "651"));
  assert.ok(result.unblock_alerts.some((a) => a.rule.id === "652"));
  assert.ok(typeof result.line_to_block_ms === "number" && result.line_to_block_ms > 0, `line_to_block_ms: ${result.line_to_block_ms}`);
});
