// The stock decoders under ruleset/decoders, loaded from disk as the services will load them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createDecoderEngineFromDirs } from "./load.js";

// dist/services/decoder/wazuh/ and services/decoder/wazuh/ are both four levels below the repository root.
const STOCK_DECODERS = fileURLToPath(new URL("../../../../ruleset/decoders", import.meta.url));
const engine = createDecoderEngineFromDirs([STOCK_DECODERS]);

test("Apache/Nginx combined line: Wazuh's field names and ours", () => {
  const r = engine.decode('203.0.113.9 - - [04/Dec/2023:14:35:01 +0000] "GET /index.html?a=1 HTTP/1.1" 200 10701 "http://ref/" "curl/8.0 (x; \\"y\\")"');
  assert.equal(r.decoder, "web-accesslog");
  assert.equal(r.category, "web-log");
  assert.deepEqual(r.fields, {
    srcip: "203.0.113.9",
    time: "04/Dec/2023:14:35:01 +0000",
    protocol: "GET",
    url: "/index.html?a=1",
    http_version: "1.1",
    method: "GET",
    id: "200",
    status: "200",
    bytes: "10701",
    referer: "http://ref/",
    user_agent: 'curl/8.0 (x; \\"y\\")',
  });
});

test("common format, authenticated user, IPv6 client, '-' size", () => {
  const r = engine.decode('2001:db8::7 - frank [04/Dec/2023:14:35:01 -0700] "POST /login HTTP/1.0" 302 -');
  assert.equal(r.decoder, "web-accesslog");
  assert.equal(r.fields.srcip, "2001:db8::7");
  assert.equal(r.fields.srcuser, "frank");
  assert.equal(r.fields.id, "302");
  assert.equal(r.fields.bytes, "-");
  assert.equal(r.fields.referer, undefined);
});

test("the same Apache line written on Windows (CR LF) and behind a syslog header", () => {
  const line = '198.51.100.4 - - [04/Dec/2023:14:35:01 +0100] "GET / HTTP/1.1" 200 45';
  const windows = engine.decode(`${line}\r\n`);
  assert.equal(windows.decoder, "web-accesslog");
  assert.equal(windows.fields.id, "200");
  const forwarded = engine.decode(`Dec  4 14:35:01 web01 apache2: ${line}`);
  assert.equal(forwarded.decoder, "web-accesslog");
  assert.equal(forwarded.preDecoded.programName, "apache2");
  assert.equal(forwarded.fields.srcip, "198.51.100.4");
  assert.equal(forwarded.fields.url, "/");
});

test("odd request lines still give srcip and status: '-' request, no protocol version, escaped quotes", () => {
  const dash = engine.decode('203.0.113.9 - - [04/Dec/2023:14:35:01 +0000] "-" 408 0 "-" "-"');
  assert.equal(dash.fields.srcip, "203.0.113.9");
  assert.equal(dash.fields.id, "408");
  assert.equal(dash.fields.url, undefined);
  const old = engine.decode('203.0.113.9 - - [04/Dec/2023:14:35:01 +0000] "GET /x" 200 5');
  assert.deepEqual([old.fields.protocol, old.fields.url, old.fields.id], ["GET", "/x", "200"]);
  const quoted = engine.decode('203.0.113.9 - - [04/Dec/2023:14:35:01 +0000] "GET /?q=\\"><script> HTTP/1.1" 400 5');
  assert.equal(quoted.fields.id, "400");
});

test("Apache error log, 2.4 and 2.2 formats", () => {
  const r = engine.decode("[Mon Dec 04 14:35:01.123456 2023] [core:error] [pid 1234:tid 140] [client 203.0.113.9:51234] AH00126: Invalid URI in request GET /..%2f HTTP/1.1");
  assert.equal(r.decoder, "apache-errorlog");
  assert.deepEqual(r.fields, { module: "core", severity: "error", pid: "1234", tid: "140", srcip: "203.0.113.9", srcport: "51234", id: "AH00126" });
  const old = engine.decode("[Mon Dec 04 14:35:01 2023] [error] [client 203.0.113.9] File does not exist: /var/www/favicon.ico");
  assert.equal(old.decoder, "apache-errorlog");
  assert.deepEqual([old.fields.severity, old.fields.srcip], ["error", "203.0.113.9"]);
});

test("JSON line", () => {
  const r = engine.decode('{"srcip":"203.0.113.9","event":{"kind":"login"}}');
  assert.equal(r.decoder, "json");
  assert.deepEqual(r.fields, { srcip: "203.0.113.9", "event.kind": "login" });
});

test("active-response result lines: JSON body, program, blocked address", () => {
  const r = engine.decode(
    '2023/12/04 14:35:02 active-response/bin/firewall-drop: {"version":1,"origin":{"name":"ubuntu","module":"tld-agent"},"command":"add","parameters":{"program":"active-response/bin/firewall-drop","alert":{"rule":{"id":"100100"},"data":{"srcip":"203.0.113.9"}},"extra_args":[]}}',
  );
  assert.equal(r.decoder, "ar_log_json");
  assert.equal(r.category, "ossec");
  assert.equal(r.fields.command, "add");
  assert.equal(r.fields["parameters.program"], "active-response/bin/firewall-drop");
  assert.equal(r.fields.program, "firewall-drop");
  assert.equal(r.fields.srcip, "203.0.113.9");
  assert.equal(r.fields.extra_data, undefined);
  const text = engine.decode("2023/12/04 14:35:02 active-response/bin/netsh.exe: Firewall is not active");
  assert.equal(text.decoder, "ar_log_json");
  assert.equal(text.fields.program, "netsh.exe");
  assert.equal(text.fields.extra_data, "Firewall is not active");
});

test("lines no stock decoder knows stay undecoded", () => {
  for (const line of ["", "hello world", "Dec  4 14:35:01 host kernel: [123.4] eth0 up", "<<<>>>"]) {
    assert.equal(engine.decode(line).decoder, null, line);
  }
});
