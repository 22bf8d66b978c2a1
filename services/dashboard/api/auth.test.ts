import { test } from "node:test";
import assert from "node:assert/strict";
import { bearerToken, secretEquals } from "./auth.js";
import { parseScope } from "./alerts.js";
import { RequestError } from "../store/paging.js";

test("secrets compare by digest (any lengths), Bearer tokens are read strictly", () => {
  assert.ok(secretEquals("bars-token", "bars-token"));
  assert.ok(!secretEquals("bars-token", "bars-tokeN"));
  assert.ok(!secretEquals("", "bars-token"));
  assert.ok(!secretEquals("bars-token-and-more", "bars-token"));
  assert.equal(bearerToken("Bearer abc.def"), "abc.def");
  assert.equal(bearerToken("bearer   abc"), "abc");
  assert.equal(bearerToken("Basic YWRtaW46eA=="), null);
  assert.equal(bearerToken("Bearer a b"), null);
  assert.equal(bearerToken(undefined), null);
});

test("from/to share one now; a bad or inverted range is refused", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  assert.deepEqual(parseScope({ q: "rule.id:651", from: "now-1h", to: "now" }, now), { q: "rule.id:651", from: now - 3_600_000, to: now, now });
  assert.deepEqual(parseScope({ q: "" }, now), { q: "", from: undefined, to: undefined, now });
  assert.throws(() => parseScope({ q: "", from: "last tuesday" }, now), RequestError);
  assert.throws(() => parseScope({ q: "", from: "now", to: "now-1h" }, now), /before/);
});
