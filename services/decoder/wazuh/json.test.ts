import { test } from "node:test";
import assert from "node:assert/strict";
import { flattenJson, MAX_NESTING, nestsDeeperThan } from "./json.js";

test("deep nesting: flattened up to the limit, past it not taken for JSON (never a stack overflow)", () => {
  const nested = (depth: number, open = '{"a":', close = "}") => open.repeat(depth) + "1" + close.repeat(depth);
  const fields: Record<string, string> = {};
  assert.equal(flattenJson(nested(MAX_NESTING), fields), true);
  assert.equal(Object.keys(fields).length, 1, "below 32 levels the rest is one field holding its JSON text");
  for (const text of [nested(MAX_NESTING + 1), nested(100_000), '{"a":' + "[".repeat(50_000) + "]".repeat(50_000) + "}", '{"a":[' + nested(20_000) + "]}"]) {
    const out: Record<string, string> = {};
    assert.equal(flattenJson(text, out), false);
    assert.deepEqual(out, {});
  }
});

test("brackets inside strings (and escaped quotes) do not count as nesting", () => {
  assert.equal(nestsDeeperThan(`{"a":"${"{[".repeat(5000)}"}`, 2), false);
  assert.equal(nestsDeeperThan(`{"a":"\\"${"{".repeat(10)}"}`, 2), false);
  assert.equal(nestsDeeperThan(`{"a":{"b":{"c":1}}}`, 2), true);
  assert.equal(nestsDeeperThan(`{"a":{"b":{"c":1}}}`, 3), false);
});

test("__proto__, constructor and method names are plain field names: nothing is polluted", () => {
  const fields: Record<string, string> = {};
  assert.ok(flattenJson('{"__proto__":{"srcip":"1.2.3.4","polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"hasOwnProperty":"x","toString":"y"}', fields));
  assert.deepEqual(Object.keys(fields).sort(), ["__proto__.polluted", "__proto__.srcip", "constructor.prototype.polluted", "hasOwnProperty", "toString"]);
  assert.equal(fields.srcip, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
});
