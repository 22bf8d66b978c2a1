import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalIp } from "./ip.js";

test("IPv4 addresses are kept in dotted-quad form", () => {
  assert.equal(canonicalIp("203.0.113.7"), "203.0.113.7");
  assert.equal(canonicalIp(" 198.51.100.1 "), "198.51.100.1");
});

test("IPv6 addresses are compressed and lower-cased; v4-mapped become IPv4", () => {
  assert.equal(canonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalIp("::ffff:192.0.2.5"), "192.0.2.5");
});

test("anything that is not an IP is refused", () => {
  for (const bad of ["", "-", "10.1", "010.0.0.1", "1.2.3.4; rm -rf /", "$(reboot)", "256.1.1.1", "fe80::1%eth0", "a".repeat(500), null, undefined]) {
    assert.equal(canonicalIp(bad), null, String(bad));
  }
});
