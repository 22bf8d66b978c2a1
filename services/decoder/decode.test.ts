import { test } from "node:test";
import assert from "node:assert/strict";
import type { RawEvent } from "../../lib/records.js";
import { decodedKey, decodeEvent } from "./decode.js";

const raw = (message: string, logFormat = "apache"): RawEvent => ({
  id: "e1", agent: { id: "001", name: "ubuntu", ip: null, os: "linux" }, location: "/var/log/apache2/access.log",
  logFormat, message, collectedAt: 1, receivedAt: 2,
});

test("an access-log line is decoded and keyed by its source IP", () => {
  const line = '192.0.2.10 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8"';
  const d = decodeEvent(raw(line), 3);
  assert.equal(d.decoder, "web-accesslog");
  assert.equal(d.srcip, "192.0.2.10");
  assert.equal(d.decodedAt, 3);
  assert.equal(d.message, line);
  assert.equal(d.id, "e1");
  assert.equal(decodedKey(d), "192.0.2.10");
});

test("an unknown line is passed on undecoded, keyed by agent id", () => {
  const d = decodeEvent(raw("kernel: something happened", "syslog"));
  assert.equal(d.decoder, null);
  assert.deepEqual(d.fields, {});
  assert.equal(decodedKey(d), "001");
  assert.equal(d.message, "kernel: something happened");
});
