import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAccessLog } from "./accessLog.js";

test("Apache combined line: every field under Wazuh's names and ours", () => {
  const f = parseAccessLog('203.0.113.9 - frank [10/Oct/2026:13:55:36 -0700] "GET /apache_pb.gif?a=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"');
  assert.deepEqual(f, {
    srcip: "203.0.113.9", time: "10/Oct/2026:13:55:36 -0700", status: "200", id: "200", user: "frank",
    method: "GET", protocol: "GET", url: "/apache_pb.gif?a=1", http_version: "HTTP/1.0", bytes: "2326",
    referer: "http://www.example.com/start.html", user_agent: "Mozilla/4.08 [en] (Win98; I ;Nav)",
  });
});

test("common format (no referer, no agent) and '-' bytes", () => {
  const f = parseAccessLog('2001:db8::7 - - [04/Dec/2026:10:00:01 +0000] "POST /login HTTP/1.1" 401 -');
  assert.equal(f?.srcip, "2001:db8::7");
  assert.equal(f?.status, "401");
  assert.equal(f?.bytes, undefined);
  assert.equal(f?.user_agent, undefined);
});

test("Nginx combined with escaped quotes in the request and the agent", () => {
  const f = parseAccessLog('198.51.100.4 - - [04/Dec/2026:10:00:02 +0000] "GET /q?x=\\"1\\" HTTP/1.1" 404 153 "-" "curl/8.0 \\"x\\""');
  assert.equal(f?.url, '/q?x=\\"1\\"');
  assert.equal(f?.referer, undefined);
  assert.equal(f?.user_agent, 'curl/8.0 \\"x\\"');
});

test("a garbage request line is kept as `request`, not split", () => {
  const f = parseAccessLog('198.51.100.5 - - [04/Dec/2026:10:00:03 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"');
  assert.equal(f?.request, "\\x16\\x03\\x01");
  assert.equal(f?.method, undefined);
});

test("lines that are not access logs, or carry a hostile host field, decode to null", () => {
  for (const line of [
    "",
    "Dec  4 10:00:00 host sshd[1]: Failed password for root",
    '$(reboot) - - [04/Dec/2026:10:00:03 +0000] "GET / HTTP/1.1" 200 1',
    '999.1.1.1 - - [04/Dec/2026:10:00:03 +0000] "GET / HTTP/1.1" 200 1',
    "x".repeat(70_000),
  ]) assert.equal(parseAccessLog(line), null, line.slice(0, 40));
});
