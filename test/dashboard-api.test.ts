// The dashboard API against the real PostgreSQL (and Redis for sessions, agents and lists): every operator of
// the query language, errors with their positions, injection attempts, pagination while alerts keep arriving,
// histogram totals, top values, authentication.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AGENT_KEYS } from "../lib/agents.js";
import type { Alert } from "../lib/records.js";
import { startTestDashboard, testAlert, type TestDashboard } from "./harness/dashboard.js";

const T0 = Date.parse("2026-12-01T00:00:00Z");
const min = (n: number) => T0 + n * 60_000;

let dash: TestDashboard;
const label = new Map<string, string>();

function seeded(name: string, alert: Alert): Alert {
  label.set(alert.id, name);
  return alert;
}

const SEED: Alert[] = [
  seeded("a1", testAlert({ timestamp: min(1), rule: { id: "651", level: 3, description: "Host Blocked by firewall-drop Active Response", groups: ["ossec", "active_response"] }, fields: { srcip: "203.0.113.77" }, fullLog: "active-response/bin/firewall-drop: add 203.0.113.77" })),
  seeded("a2", testAlert({ timestamp: min(2), rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, fields: { srcip: "203.0.113.77", url: "/", id: "200" } })),
  seeded("a3", testAlert({ timestamp: min(3), rule: { id: "100100", level: 10, description: "IP address found in AlienVault reputation database.", groups: ["attack"] }, agent: { id: "002", name: "windows", ip: "192.0.2.20" }, fields: { srcip: "203.0.113.78", id: "200" } })),
  seeded("a4", testAlert({ timestamp: min(4), rule: { id: "657", level: 3, description: "Active response: netsh", groups: ["ossec", "active_response"] }, agent: { id: "002", name: "windows", ip: "192.0.2.20" }, fields: { srcip: "203.0.113.78" } })),
  seeded("a5", testAlert({ timestamp: min(5), rule: { id: "31108", level: 5 }, fields: { srcip: "198.51.100.1", url: "/admin/login.php", id: "404" } })),
  seeded("a6", testAlert({ timestamp: min(6), rule: { id: "31151", level: 10, description: "Multiple web server 400 error codes from same source ip.", groups: ["web", "accesslog", "attack"] }, agent: { id: "003", name: "web-01" }, fields: { srcip: "198.51.100.2", id: "400" }, fullLog: '198.51.100.2 - - "GET /x HTTP/1.1" 400 1 "-" "sqlmap/1.7"' })),
  seeded("a7", testAlert({ timestamp: min(7), rule: { id: "5710", level: 5, description: "sshd: Attempt to login using a non-existent user", groups: ["syslog", "sshd", "authentication_failed"] }, agent: { id: "004", name: "web-02" }, decoder: "sshd", location: "/var/log/auth.log", fields: { srcip: "2001:db8::5" }, fullLog: "sshd[99]: Failed password for invalid user admin from 2001:db8::5 port 22" })),
  seeded("a8", testAlert({ timestamp: min(8), rule: { id: "31108", level: 5 }, agent: { id: "003", name: "web-01", ip: null }, fields: { srcip: "10.1.2.3", url: "/search?q=%' OR 1=1 --", id: "500" }, fullLog: "10.1.2.3 GET /search?q=%' OR 1=1 -- 500" })),
];

before(async () => {
  dash = await startTestDashboard();
  assert.equal(await dash.store.insert(SEED), SEED.length);
});

after(async () => {
  await dash?.close();
});

async function api(path: string, params: Record<string, string | number> = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, dash.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, { headers: { authorization: `Bearer ${dash.token}`, ...headers } });
  return { status: res.status, body: await res.json() };
}

/** Labels of the seeded alerts a query finds (within the seed's hour), sorted. */
async function found(q: string, extra: Record<string, string | number> = {}): Promise<string[]> {
  const { status, body } = await api("/api/alerts", { q, from: new Date(T0).toISOString(), to: new Date(min(60)).toISOString(), size: 1000, ...extra });
  assert.equal(status, 200, `${q}: ${JSON.stringify(body)}`);
  assert.equal(body.total, body.items.length, `${q}: total counts the same alerts`);
  return body.items.map((a: { id: string }) => label.get(a.id) ?? a.id).sort();
}

test("the use case's filter finds exactly the block and the reputation alerts, shaped like Wazuh alerts", async () => {
  assert.deepEqual(await found("rule.id:(651 OR 100100)"), ["a1", "a2", "a3"]);
  assert.deepEqual(await found("rule.id:(651 OR 100100) and agent.name:ubuntu"), ["a1", "a2"]);
  const { body } = await api("/api/alerts", { q: "rule.id:100100 and agent.name:windows" });
  const [item] = body.items;
  assert.equal(item.rule.id, "100100");
  assert.equal(item.rule.level, 10);
  assert.deepEqual(item.rule.groups, ["attack"]);
  assert.equal(item.rule.firedtimes, 1);
  assert.deepEqual(item.agent, { id: "002", name: "windows", ip: "192.0.2.20" });
  assert.deepEqual(item.decoder, { name: "web-accesslog" });
  assert.equal(item.data.srcip, "203.0.113.78");
  assert.equal(item.timestamp, new Date(min(3)).toISOString());
  assert.equal(item.location, "/var/log/apache2/access.log");
  assert.match(item.full_log, /GET \//);
  assert.equal(typeof item.id, "string");
});

test("each operator of the query language", async () => {
  const cases: [string, string[]][] = [
    ["rule.id:651", ["a1"]],
    ["rule.id:651 or rule.id:657", ["a1", "a4"]],
    ["rule.id:100100 AND NOT agent.name:ubuntu", ["a3"]],
    ["rule.id:100100 aNd not agent.name:ubuntu", ["a3"]],
    ["(rule.id:651 OR rule.id:657) and not data.srcip:203.0.113.77", ["a4"]],
    ["rule.groups:(active_response and not attack)", ["a1", "a4"]],
    ["rule.level >= 10", ["a2", "a3", "a6"]],
    ["rule.level:>5", ["a2", "a3", "a6"]],
    ["rule.level < 5", ["a1", "a4"]],
    ["rule.level:[5 TO 10}", ["a5", "a7", "a8"]],
    ["rule.level:{3 TO *]", ["a2", "a3", "a5", "a6", "a7", "a8"]],
    ["rule.id >= 100000", ["a2", "a3"]],
    ["rule.groups:attack", ["a2", "a3", "a6"]],
    ["rule.groups:auth*", ["a7"]],
    ["agent.name:web-0?", ["a6", "a7", "a8"]],
    ["agent.name:web*", ["a6", "a7", "a8"]],
    ["agent.id:002", ["a3", "a4"]],
    ["data.srcip:203.0.113.0/24", ["a1", "a2", "a3", "a4"]],
    ["data.srcip:2001:db8::/32", ["a7"]],
    ['data.srcip:"203.0.113.77"', ["a1", "a2"]],
    ["data.url:/admin*", ["a5"]],
    ["data.id >= 400", ["a5", "a6", "a8"]],
    ["data.url:*", ["a2", "a5", "a8"]],
    ["agent.ip:192.0.2.0/24", ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]],
    ["not agent.ip:*", ["a8"]],
    ['rule.description:"alienvault reputation"', ["a2", "a3"]],
    ["rule.description:firewall*drop", ["a1"]],
    ['"Failed password"', ["a7"]],
    ["sqlmap", ["a6"]],
    ["full_log:FAILED", ["a7"]],
    ["decoder.name:sshd", ["a7"]],
    ["location:/var/log/auth.log", ["a7"]],
    [`timestamp >= "${new Date(min(5)).toISOString()}"`, ["a5", "a6", "a7", "a8"]],
    [`timestamp:[${new Date(min(2)).toISOString()} TO ${new Date(min(3)).toISOString()}]`, ["a2", "a3"]],
    [`timestamp:{${new Date(min(2)).toISOString()} TO ${new Date(min(3)).toISOString()}]`, ["a3"]],
    [`id:${SEED[0].id}`, ["a1"]],
    ["rule.id:(651 OR 100100) (agent.name:windows)", ["a3"]],
    ["rule.id:nothing-has-this", []],
  ];
  for (const [q, expected] of cases) assert.deepEqual(await found(q), expected, q);
  // The time range of the request, `to` exclusive.
  assert.deepEqual(await found("", { from: new Date(min(2)).toISOString(), to: new Date(min(4)).toISOString() }), ["a2", "a3"]);
  assert.deepEqual(await found("", { from: String(min(7)) }), ["a7", "a8"]);
});

test("bad queries and parameters get 400 with the error and, for a query, its position", async () => {
  const cases: [string, number][] = [
    ["rule.id:(651 OR", 15],
    ["nosuch.field:1", 0],
    ["rule.level:high", 11],
    ["rule.id:651 and", 15],
    ['full_log:"open', 9],
    ["rule.id:651 )", 12],
  ];
  for (const [q, position] of cases) {
    const { status, body } = await api("/api/alerts", { q });
    assert.equal(status, 400, q);
    assert.equal(body.position, position, `${q}: ${body.error}`);
    assert.equal(typeof body.error, "string");
  }
  const badParams: Record<string, string | number>[] = [{ from: "yesterday-ish" }, { cursor: "bm90IGEgY3Vyc29y" }, { size: 0 }, { size: 100_000 }, { sort: "sideways" }, { from: "2026-12-02", to: "2026-12-01" }];
  for (const params of badParams) {
    const { status, body } = await api("/api/alerts", params);
    assert.equal(status, 400, JSON.stringify(params));
    assert.equal(typeof body.error, "string");
  }
  assert.equal((await api("/api/alerts/histogram", { interval: "soon" })).status, 400);
  assert.equal((await api("/api/alerts/top", { field: "timestamp" })).status, 400);
  assert.equal((await api("/api/alerts/top", { field: "data.x'); DROP TABLE alerts; --" })).status, 400);
});

test("injection attempts are only values: they match literally or not at all, and the store is intact", async () => {
  const attempts = [
    `rule.id:"651' OR '1'='1"`,
    `agent.name:"x'); DROP TABLE alerts; --"`,
    `data.srcip:"1.2.3.4' OR 1=1 --"`,
    `"'; DELETE FROM alerts; --"`,
    `rule.id:(651 OR "1) OR (1=1")`,
    `data.url:"%"`,
    `rule.description:"_"`,
  ];
  for (const q of attempts) {
    const { status, body } = await api("/api/alerts", { q, size: 1000 });
    assert.equal(status, 200, `${q}: ${JSON.stringify(body)}`);
    if (q.startsWith("rule.id:(651")) assert.deepEqual(body.items.map((a: { id: string }) => label.get(a.id)), ["a1"]);
    else assert.equal(body.items.length, 0, `${q} matched ${body.items.length}`);
  }
  // The hostile strings stored in a8 are found as the text they are.
  assert.deepEqual(await found(`data.url:"/search?q=%' OR 1=1 --"`), ["a8"]);
  assert.deepEqual(await found(`full_log:"%' OR 1=1"`), ["a8"]);
  assert.equal(await dash.store.count({ q: "" }), SEED.length, "nothing was dropped or deleted");
});

test("cursor pagination has no gaps and no repeats while alerts keep arriving", async () => {
  const start = Date.parse("2026-11-20T00:00:00Z");
  // Three alerts per timestamp: the id breaks the ties.
  const initial = Array.from({ length: 240 }, (_, i) => testAlert({ timestamp: start + Math.floor(i / 3) * 1000, agent: { name: "pager" } }));
  await dash.store.insert(initial);
  const expected = new Set(initial.map((a) => a.id));
  for (const sort of ["desc", "asc"] as const) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let arrived = 0;
    do {
      const params: Record<string, string | number> = { q: "agent.name:pager", size: 17, sort };
      if (cursor) params.cursor = cursor;
      const { status, body } = await api("/api/alerts", params);
      assert.equal(status, 200, JSON.stringify(body));
      seen.push(...body.items.map((a: { id: string }) => a.id));
      cursor = body.next;
      // Between pages, new alerts arrive: newer ones, and ones stamped exactly at an already paged time.
      const late = [testAlert({ timestamp: Date.now(), agent: { name: "pager" } }), testAlert({ timestamp: start + 5_000, agent: { name: "pager" } })];
      arrived += await dash.store.insert(late);
      pages++;
    } while (cursor && pages < 100);
    assert.ok(arrived > 0);
    assert.equal(new Set(seen).size, seen.length, `${sort}: no alert is on two pages`);
    const missing = [...expected].filter((id) => !seen.includes(id));
    assert.deepEqual(missing, [], `${sort}: every alert there at the start is on a page`);
    const times = seen.map((id) => initial.find((a) => a.id === id)?.timestamp).filter((t): t is number => t !== undefined);
    const ordered = [...times].sort((a, b) => (sort === "desc" ? b - a : a - b));
    assert.deepEqual(times, ordered, `${sort}: pages come in ${sort} timestamp order`);
  }
  // A cursor read in one order cannot be used in the other.
  const first = await api("/api/alerts", { q: "agent.name:pager", size: 5, sort: "desc" });
  assert.equal((await api("/api/alerts", { q: "agent.name:pager", size: 5, sort: "asc", cursor: first.body.next })).status, 400);
});

test("histogram buckets add up to the search's count; top values count the same alerts", async () => {
  for (const q of ["", "rule.id:(651 OR 100100)", "agent.name:pager", "rule.level >= 10", "not rule.groups:attack"]) {
    const search = await api("/api/alerts", { q, size: 1 });
    const histogram = await api("/api/alerts/histogram", { q });
    assert.equal(histogram.status, 200, JSON.stringify(histogram.body));
    const sum = histogram.body.buckets.reduce((s: number, b: { count: number }) => s + b.count, 0);
    assert.equal(histogram.body.total, search.body.total, `${q}: histogram total = search total`);
    assert.equal(sum, search.body.total, `${q}: buckets add up to the total`);
    assert.ok(histogram.body.buckets.length <= 61, `${q}: about 60 buckets at most, got ${histogram.body.buckets.length}`);
  }
  const hour = { from: new Date(T0).toISOString(), to: new Date(min(60)).toISOString() };
  const fixed = await api("/api/alerts/histogram", { q: "rule.id:(651 OR 100100)", ...hour, interval: "1m" });
  assert.equal(fixed.body.buckets.length, 60);
  assert.equal(fixed.body.interval, "1m");
  assert.deepEqual(fixed.body.buckets.filter((b: { count: number }) => b.count > 0).map((b: { time: string; count: number }) => [b.time, b.count]), [
    [new Date(min(1)).toISOString(), 1],
    [new Date(min(2)).toISOString(), 1],
    [new Date(min(3)).toISOString(), 1],
  ]);
  const top = await api("/api/alerts/top", { q: "rule.id:(651 OR 100100)", field: "data.srcip", ...hour });
  assert.deepEqual(top.body.buckets, [{ value: "203.0.113.77", count: 2 }, { value: "203.0.113.78", count: 1 }]);
  assert.equal(top.body.total, 3);
  const groups = await api("/api/alerts/top", { field: "rule.groups", size: 10, ...hour });
  assert.deepEqual(groups.body.buckets.find((b: { value: string }) => b.value === "attack"), { value: "attack", count: 3 }, "each element of an array field counts");
  assert.deepEqual(groups.body.buckets.find((b: { value: string }) => b.value === "active_response"), { value: "active_response", count: 2 });
  const rules = await api("/api/alerts/top", { field: "rule.id", size: 1, ...hour });
  assert.deepEqual(rules.body.buckets, [{ value: "100100", count: 2 }]);
});

test("agents come from the collector's registry in Redis, with their status", async () => {
  const id = String(900_000 + (process.pid % 99_999));
  const name = `test-dashboard-agent-${id}`;
  await dash.redis.hset(AGENT_KEYS.names, name, id);
  await dash.redis.hset(AGENT_KEYS.agentPrefix + id, { id, name, ip: "192.0.2.99", os: "linux", version: "0.1.0", groups: '["default"]', registeredAt: String(Date.now() - 60_000), lastKeepalive: String(Date.now() - 1_000) });
  try {
    const { status, body } = await api("/api/agents");
    assert.equal(status, 200);
    const agent = body.items.find((a: { id: string }) => a.id === id);
    assert.equal(agent.name, name);
    assert.equal(agent.status, "active");
    assert.equal(agent.ip, "192.0.2.99");
    assert.deepEqual(agent.groups, ["default"]);
    assert.ok(Date.parse(agent.lastKeepalive) > Date.now() - 10_000);
  } finally {
    await dash.redis.hdel(AGENT_KEYS.names, name);
    await dash.redis.del(AGENT_KEYS.agentPrefix + id);
  }
});

test("lists: sizes, add an entry, look an IP up through it, remove it", async () => {
  const name = `test-dashboard-list-${process.pid}`;
  const send = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, dash.url), { method, headers: { authorization: `Bearer ${dash.token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  try {
    assert.equal((await send("POST", `/api/lists/${name}/entries`, { entry: "203.0.113.0/24" })).status, 200);
    const lists = await api("/api/lists");
    assert.equal(lists.body.items.find((l: { name: string }) => l.name === name)?.entries, 1);
    const hit = await api(`/api/lists/${name}/lookup`, { key: "203.0.113.9" });
    assert.deepEqual([hit.body.matched, hit.body.entry], [true, "203.0.113.0/24"]);
    assert.equal((await send("POST", `/api/lists/${name}/entries`, { entry: "not an ip\nsecond line" })).status, 400);
    assert.equal((await send("DELETE", `/api/lists/${name}/entries?entry=${encodeURIComponent("203.0.113.0/24")}`)).status, 200);
    assert.equal((await api(`/api/lists/${name}/lookup`, { key: "203.0.113.9" })).body.matched, false);
    assert.equal((await api("/api/lists/no-such-list-here/lookup", { key: "1.2.3.4" })).status, 404);
  } finally {
    const { RedisListStore } = await import("../lib/lists/index.js");
    await new RedisListStore(dash.redis).drop(name);
  }
});

test("nothing is served anonymously but the login page and health probes; a login gives an HttpOnly SameSite=Strict cookie", async () => {
  const auth = await startTestDashboard({ loginsPerMinute: 3 });
  try {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, auth.url), { headers, redirect: "manual" });
    for (const path of ["/api/alerts?q=rule.id:100100", "/api/agents", "/api/lists", "/api/alerts/histogram", "/docs/json"]) {
      assert.equal((await get(path)).status, 401, path);
      assert.equal((await get(path, { authorization: "Bearer wrong-token" })).status, 401, `${path} with a wrong token`);
      assert.equal((await get(path, { authorization: `Bearer ${auth.token}` })).status, 200, `${path} with the token`);
    }
    assert.equal((await get("/docs", { accept: "text/html" })).status, 302, "a person is sent to the login page");
    assert.equal((await get("/")).status, 200, "the login page itself");
    const login = (password: string) =>
      fetch(new URL("/api/login", auth.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password }) });
    assert.equal((await login("wrong")).status, 401);
    const ok = await login(auth.password);
    assert.equal(ok.status, 200);
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /tld_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    const cookie = setCookie.split(";")[0];
    assert.equal((await get("/api/alerts", { cookie })).status, 200, "the session opens the API");
    assert.equal((await get("/docs/json", { cookie })).status, 200);
    const crossSite = await fetch(new URL("/api/logout", auth.url), { method: "POST", headers: { cookie, origin: "http://evil.example" } });
    assert.equal(crossSite.status, 403, "a cross-origin change with the cookie is refused");
    assert.equal((await fetch(new URL("/api/logout", auth.url), { method: "POST", headers: { cookie } })).status, 200);
    assert.equal((await get("/api/alerts", { cookie })).status, 401, "logged out");
    assert.equal((await login("wrong-again")).status, 401, "the third attempt is still answered");
    assert.equal((await login(auth.password)).status, 429, "the fourth attempt within a minute is rate-limited, even with the right password");
  } finally {
    await auth.close();
  }
});

test("the OpenAPI document describes the search", async () => {
  const { status, body } = await api("/docs/json");
  assert.equal(status, 200);
  assert.ok(body.paths["/api/alerts"].get.parameters.some((p: { name: string }) => p.name === "q"));
  assert.ok(body.paths["/api/alerts/histogram"]);
  assert.ok(body.paths["/api/alerts/top"]);
});

test("active blocks: block by hand, list with time left, unblock; bad requests are refused with a reason", async () => {
  const id = String(700_000 + (process.pid % 99_999));
  const name = `test-dashboard-blocks-${id}`;
  await dash.redis.hset(AGENT_KEYS.names, name, id);
  await dash.redis.hset(AGENT_KEYS.agentPrefix + id, { id, name, ip: "192.0.2.98", os: "linux", version: "0.1.0", groups: "[]", registeredAt: String(Date.now()) });
  const send = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, dash.url), { method, headers: { authorization: `Bearer ${dash.token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  try {
    const blocked = await send("POST", "/api/blocks", { agent: name, ip: "198.51.100.77", ttlSeconds: 120 });
    assert.equal(blocked.status, 200, await blocked.clone().text());
    const list = await api("/api/blocks", { agent: id });
    const [block] = list.body.items;
    assert.equal(block.ip, "198.51.100.77");
    assert.equal(block.agentName, name);
    assert.equal(block.manual, true);
    assert.ok(block.timeLeftMs > 110_000 && block.timeLeftMs <= 120_000, `time left ${block.timeLeftMs}`);
    assert.equal((await send("POST", "/api/blocks", { agent: name, ip: "not-an-ip; rm -rf /", ttlSeconds: 60 })).status, 400);
    assert.equal((await send("POST", "/api/blocks", { agent: "no-such-agent", ip: "198.51.100.78", ttlSeconds: 60 })).status, 404);
    assert.equal((await send("POST", "/api/blocks", { agent: name, ip: "127.0.0.1", ttlSeconds: 60 })).status, 409, "loopback is never blocked");
    assert.equal((await send("DELETE", `/api/blocks/${id}/198.51.100.77`)).status, 200);
    assert.equal((await api("/api/blocks", { agent: id })).body.items.length, 0);
    assert.equal((await send("DELETE", `/api/blocks/${id}/198.51.100.77`)).status, 404, "nothing left to unblock");
  } finally {
    await send("DELETE", `/api/blocks/${id}/198.51.100.77`).catch(() => undefined);
    await dash.redis.hdel(AGENT_KEYS.names, name);
    await dash.redis.del(AGENT_KEYS.agentPrefix + id);
  }
});
