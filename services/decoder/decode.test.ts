import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { RawEvent } from "../../lib/records.js";
import { decodedKey, decodeEvent, loadDecoderEngine } from "./decode.js";

// dist/services/decoder/ and services/decoder/ are both three levels below the repository root.
const engine = loadDecoderEngine({ decoderDirs: [fileURLToPath(new URL("../../../ruleset/decoders", import.meta.url))], decoderExclude: [] });

const raw = (message: string, logFormat = "apache"): RawEvent => ({
  id: "e1", agent: { id: "001", name: "ubuntu", ip: null, os: "linux" }, location: "/var/log/apache2/access.log",
  logFormat, message, collectedAt: 1, receivedAt: 2,
});

test("an access-log line is decoded by the stock web-accesslog decoder and keyed by its source IP", () => {
  const line = '192.0.2.10 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8"';
  const d = decodeEvent(engine, raw(line), 3);
  assert.equal(d.decoder, "web-accesslog");
  assert.equal(d.parentDecoder, "web-accesslog");
  assert.equal(d.category, "web-log");
  assert.equal(d.srcip, "192.0.2.10");
  assert.equal(d.decodedAt, 3);
  assert.equal(d.message, line);
  assert.equal(d.id, "e1");
  assert.equal(decodedKey(d), "192.0.2.10");
});

test("Apache combined line: fields under Wazuh's names and ours", () => {
  const d = decodeEvent(engine, raw('203.0.113.9 - frank [10/Oct/2026:13:55:36 -0700] "GET /apache_pb.gif?a=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'));
  assert.deepEqual(d.fields, {
    srcip: "203.0.113.9", time: "10/Oct/2026:13:55:36 -0700", srcuser: "frank", protocol: "GET", method: "GET", url: "/apache_pb.gif?a=1",
    http_version: "1.0", id: "200", status: "200", bytes: "2326", referer: "http://www.example.com/start.html", user_agent: "Mozilla/4.08 [en] (Win98; I ;Nav)",
  });
});

test("common format, IPv6 client in canonical form, Windows CR LF, behind a syslog header", () => {
  const common = decodeEvent(engine, raw('2001:DB8:0:0::7 - - [04/Dec/2026:10:00:01 +0000] "POST /login HTTP/1.1" 401 -\r\n'));
  assert.equal(common.srcip, "2001:db8::7");
  assert.equal(common.fields.srcip, "2001:db8::7");
  assert.equal(common.fields.id, "401");
  assert.equal(common.fields.user_agent, undefined);
  const syslog = decodeEvent(engine, raw('Dec  4 10:00:00 web01 nginx: 198.51.100.4 - - [04/Dec/2026:10:00:02 +0000] "GET /q?x=\\"1\\" HTTP/1.1" 404 153 "-" "curl/8.0"', "syslog"));
  assert.equal(syslog.decoder, "web-accesslog");
  assert.equal(syslog.fields.id, "404");
  assert.equal(syslog.srcip, "198.51.100.4");
});

test("a host field that is not an IP leaves no srcip (it could reach a firewall); the event is keyed by agent", () => {
  for (const host of ["$(reboot)", "999.1.1.1", "web01.example.com"]) {
    const d = decodeEvent(engine, raw(`${host} - - [04/Dec/2026:10:00:03 +0000] "GET / HTTP/1.1" 200 1`));
    assert.equal(d.decoder, "web-accesslog", host);
    assert.equal(d.srcip, null, host);
    assert.equal(d.fields.srcip, undefined, host);
    assert.equal(decodedKey(d), "001");
  }
});

test("JSON and active-response lines are decoded too; an unknown line is passed on undecoded", () => {
  const json = decodeEvent(engine, raw('{"srcip":"203.0.113.5","data":{"user":"bob"}}', "json"));
  assert.equal(json.decoder, "json");
  assert.equal(json.srcip, "203.0.113.5");
  assert.equal(json.fields["data.user"], "bob");
  const unknown = decodeEvent(engine, raw("kernel: something happened", "syslog"));
  assert.equal(unknown.decoder, null);
  assert.equal(unknown.category, null);
  assert.deepEqual(unknown.fields, {});
  assert.equal(decodedKey(unknown), "001");
  assert.equal(unknown.message, "kernel: something happened");
});
