import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIp, parseNetwork, type Network } from "../ip.js";
import {
  addressCandidates,
  decodeAddressValue,
  encodeAddressValue,
  exactCandidates,
  fieldNetwork,
  formatPrefixes,
  isCanonical,
  networkField,
  parsePrefixes,
} from "./fields.js";

const net = (text: string): Network => parseNetwork(text)!;

test("address fields name the network under its prefix length; they round-trip", () => {
  assert.equal(networkField(net("203.0.113.66")), "4/32/3405803842");
  assert.equal(networkField(net("10.1.")), "4/16/167837696");
  assert.equal(networkField(net("198.18.3.9/22")), networkField(net("198.18.0.0/22")), "host bits cleared");
  assert.equal(networkField(net("2001:db8::/32")), "6/32/20010db8000000000000000000000000");
  for (const text of ["203.0.113.66", "10.1.", "198.18.0.0/22", "2001:db8::/32", "::1", "0.0.0.0/0"]) {
    assert.deepEqual(fieldNetwork(networkField(net(text))), net(text), text);
  }
  assert.equal(fieldNetwork("k/admin"), null);
});

test("a canonically written entry stores only its value; any other spelling keeps its text", () => {
  assert.equal(encodeAddressValue("1.2.3.4", net("1.2.3.4"), ""), "");
  assert.equal(encodeAddressValue("198.18.0.0/22", net("198.18.0.0/22"), "v"), "v");
  assert.equal(encodeAddressValue("10.1.", net("10.1."), "x"), "10.1.\nx");
  assert.equal(encodeAddressValue("1.2.3.4/32", net("1.2.3.4/32"), ""), "1.2.3.4/32\n");
  assert.equal(encodeAddressValue("2001:DB8::/32", net("2001:DB8::/32"), ""), "2001:DB8::/32\n");
  assert.deepEqual(decodeAddressValue(net("1.2.3.4"), ""), { entry: "1.2.3.4", value: "" });
  assert.deepEqual(decodeAddressValue(net("10.1."), "10.1.\nx"), { entry: "10.1.", value: "x" });
  assert.deepEqual(decodeAddressValue(net("2001:db8::/32"), "bad:value"), { entry: "2001:db8::/32", value: "bad:value" });
  assert.equal(isCanonical("::ffff:1.2.3.4", net("::ffff:1.2.3.4")), false);
});

test("an address lookup asks for the IP masked at each prefix length present, longest first", () => {
  const ip = parseIp("10.1.44.5")!;
  assert.deepEqual(addressCandidates(ip, [32, 22, 16]), ["4/32/167848965", "4/22/167848960", "4/16/167837696"]);
  assert.equal(addressCandidates(parseIp("10.10.4.5")!, [16])[0] === networkField(net("10.1.")), false, "10.1. is not 10.10.");
  assert.deepEqual(addressCandidates(parseIp("2001:db8::7")!, [32]), [networkField(net("2001:db8::/32"))]);
});

test("an exact lookup of an address-looking key also asks for the address field", () => {
  assert.deepEqual(exactCandidates("admin"), { fields: ["k/admin"], network: null });
  assert.deepEqual(exactCandidates("10.1.").fields, ["4/16/167837696", "k/10.1."]);
});

test("prefix lengths are kept longest first, deduplicated", () => {
  assert.equal(formatPrefixes([16, 32, 22, 32]), "32,22,16");
  assert.deepEqual(parsePrefixes("32,22,16"), [32, 22, 16]);
  assert.deepEqual(parsePrefixes(""), []);
  assert.deepEqual(parsePrefixes(null), []);
});
