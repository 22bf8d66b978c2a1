import { test } from "node:test";
import assert from "node:assert/strict";
import { agentStatus } from "../../lib/agents.js";
import { formatAgentId, hashSecret, newAgentKey, parseAgentKey, secretMatches } from "./registry.js";
import { bearerToken, rateLimitKey, secretEquals } from "./auth.js";

test("agent ids look like Wazuh's and keys name their agent", () => {
  assert.equal(formatAgentId(1), "001");
  assert.equal(formatAgentId(1234), "1234");
  const key = newAgentKey("007");
  const parsed = parseAgentKey(key);
  assert.equal(parsed?.id, "007");
  assert.ok(parsed && parsed.secret.length >= 40);
  for (const bad of ["", "nodot", ".secret", "007.", "../x.y", "abc.def"]) assert.equal(parseAgentKey(bad), null, bad);
});

test("only the hash of a key is kept, and it is compared in constant time", () => {
  const { secret } = parseAgentKey(newAgentKey("001"))!;
  const stored = hashSecret(secret);
  assert.notEqual(stored, secret);
  assert.ok(secretMatches(secret, stored));
  assert.ok(!secretMatches(secret + "x", stored));
  assert.ok(!secretMatches(secret, "abcd"));
});

test("status: never connected, active within the disconnection time, disconnected after", () => {
  assert.equal(agentStatus(null, 1_000_000, 60_000), "never_connected");
  assert.equal(agentStatus(990_000, 1_000_000, 60_000), "active");
  assert.equal(agentStatus(900_000, 1_000_000, 60_000), "disconnected");
});

test("auth helpers: bearer parsing, password comparison, rate-limit bucket per agent", () => {
  assert.equal(bearerToken("Bearer abc"), "abc");
  assert.equal(bearerToken("Basic abc"), null);
  assert.equal(bearerToken(undefined), null);
  assert.ok(secretEquals("pw-123456", "pw-123456"));
  assert.ok(!secretEquals("pw-123456", "pw-1234567"));
  const agent = { id: "004", name: "n", ip: null, os: null, version: null, groups: [], registeredAt: 0, lastKeepalive: null, buffered: 0, dropped: 0 };
  assert.equal(rateLimitKey({ kind: "agent", agent }, "1.2.3.4"), "agent:004");
  assert.equal(rateLimitKey(null, "1.2.3.4"), "ip:1.2.3.4");
});
