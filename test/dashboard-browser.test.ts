// The web UI in a real browser (Debian's Chromium through playwright-core): log in, search the use case's filter
// and see exactly those alerts, open one, then unblock an IP from the active blocks page. Screenshots are kept
// under test-artifacts/dashboard/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { AGENT_KEYS } from "../lib/agents.js";
import { artifactsDir, launchBrowser } from "./harness/browser.js";
import { startTestDashboard, testAlert, type TestDashboard } from "./harness/dashboard.js";

let dash: TestDashboard;
let browser: Browser;
let page: Page;
const shots = artifactsDir("dashboard");
const agentId = String(800_000 + (process.pid % 99_999));
const agentName = `browser-victim-${agentId}`;
const blockedIp = "198.51.100.250";

const now = Date.now();
const wanted = [
  testAlert({ timestamp: now - 50_000, rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, fields: { srcip: "203.0.113.77" } }),
  testAlert({ timestamp: now - 40_000, rule: { id: "651", level: 3, description: "Host Blocked by firewall-drop Active Response", groups: ["active_response"] }, fields: { srcip: "203.0.113.77" } }),
  testAlert({ timestamp: now - 30_000, rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, agent: { id: "002", name: "windows" }, fields: { srcip: "203.0.113.78" } }),
];
const others = [
  testAlert({ timestamp: now - 45_000, rule: { id: "31108", level: 5, description: "Web server 400 error code." } }),
  testAlert({ timestamp: now - 35_000, rule: { id: "5710", level: 5, description: "sshd: Attempt to login using a non-existent user" } }),
];

before(async () => {
  dash = await startTestDashboard();
  await dash.store.insert([...wanted, ...others]);
  await dash.redis.hset(AGENT_KEYS.names, agentName, agentId);
  await dash.redis.hset(AGENT_KEYS.agentPrefix + agentId, { id: agentId, name: agentName, ip: "192.0.2.50", os: "linux", version: "0.1.0", groups: "[]", registeredAt: String(now), lastKeepalive: String(now) });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

after(async () => {
  await browser?.close();
  if (dash) {
    await fetch(new URL(`/api/blocks/${agentId}/${blockedIp}`, dash.url), { method: "DELETE", headers: { authorization: `Bearer ${dash.token}` } }).catch(() => undefined);
    await dash.redis.hdel(AGENT_KEYS.names, agentName);
    await dash.redis.del(AGENT_KEYS.agentPrefix + agentId);
    await dash.close();
  }
});

test("log in, search rule.id:(651 OR 100100), see exactly those alerts, open one", async () => {
  await page.goto(dash.url);
  await page.getByTestId("login").waitFor();
  await page.screenshot({ path: path.join(shots, "1-login.png") });
  await page.fill("input[name=password]", "not the password");
  await page.click("button[type=submit]");
  await page.getByText("wrong user name or password").waitFor();
  await page.fill("input[name=password]", dash.password);
  await page.click("button[type=submit]");
  await page.getByTestId("query").waitFor();

  await page.fill("[data-testid=query]", "rule.id:(651 OR 100100)");
  await page.click("[data-testid=search]");
  await page.getByTestId("hits").filter({ hasText: "3 hits" }).waitFor();
  const rules = await page.locator("[data-testid=alert-row]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-rule-id")));
  assert.deepEqual(rules, ["100100", "651", "100100"], "exactly the three alerts, newest first");
  await page.getByTestId("histogram").waitFor();
  await page.screenshot({ path: path.join(shots, "2-search.png"), fullPage: true });

  await page.locator("[data-testid=alert-row]").nth(1).click();
  const details = page.getByTestId("alert-details");
  await details.waitFor();
  const text = await details.innerText();
  assert.match(text, /rule\.description\s+Host Blocked by firewall-drop Active Response/);
  assert.match(text, /data\.srcip\s+203\.0\.113\.77/);
  assert.match(text, new RegExp(wanted[1].id));
  await page.screenshot({ path: path.join(shots, "3-alert-opened.png"), fullPage: true });

  await page.fill("[data-testid=query]", "rule.id:(651 OR");
  await page.click("[data-testid=search]");
  const error = page.getByTestId("query-error");
  await error.waitFor();
  assert.match(await error.innerText(), /rule\.id:\(651 OR\n\s{15}\^/);
  await page.screenshot({ path: path.join(shots, "4-bad-query.png") });
});

test("unblock an IP from the active blocks page", async () => {
  const res = await fetch(new URL("/api/blocks", dash.url), {
    method: "POST",
    headers: { authorization: `Bearer ${dash.token}`, "content-type": "application/json" },
    body: JSON.stringify({ agent: agentName, ip: blockedIp, ttlSeconds: 300 }),
  });
  assert.equal(res.status, 200, await res.text());
  await page.click("header >> text=Active blocks");
  const row = page.locator(`[data-testid=block-row][data-ip="${blockedIp}"]`);
  await row.waitFor();
  const left = Number((await row.locator(".ttl").innerText()).replace(/\D/g, ""));
  assert.ok(left > 250 && left <= 300, `time left ${left} s`);
  await page.screenshot({ path: path.join(shots, "5-blocks.png") });
  await row.getByTestId("unblock").click();
  await page.getByTestId("blocks-message").filter({ hasText: `unblocked ${blockedIp}` }).waitFor();
  await row.waitFor({ state: "detached" });
  await page.screenshot({ path: path.join(shots, "6-unblocked.png") });
  const blocks = (await (await fetch(new URL("/api/blocks", dash.url), { headers: { authorization: `Bearer ${dash.token}` } })).json()) as { items: { ip: string; agentId: string }[] };
  assert.equal(blocks.items.filter((b) => b.agentId === agentId && b.ip === blockedIp).length, 0, "the block is gone from the state");
});

test("the agents and lists pages show the registry and the lists", async () => {
  await page.click("header >> text=Agents");
  await page.getByTestId("agents").getByText(agentName).waitFor();
  await page.screenshot({ path: path.join(shots, "7-agents.png") });
  await page.click("header >> text=Lists");
  await page.locator("section h2", { hasText: "Reputation lists" }).waitFor();
  await page.screenshot({ path: path.join(shots, "8-lists.png") });
});
