import { test } from "node:test";
import assert from "node:assert/strict";
import { compileQuery, SqlParams } from "./compile.js";
import { QueryError } from "./parse.js";

const NOW = Date.parse("2026-12-04T12:00:00Z");

function compiled(q: string): { sql: string; params: unknown[] } {
  const params = new SqlParams();
  const sql = compileQuery(q, params, { now: NOW });
  return { sql, params: params.values };
}

function errorOf(q: string): QueryError {
  try {
    compiled(q);
  } catch (err) {
    assert.ok(err instanceof QueryError);
    return err;
  }
  assert.fail(`${q} compiled`);
}

test("a list of values of one keyword field is one = ANY($n) with the values as one parameter", () => {
  assert.deepEqual(compiled("rule.id:(651 OR 100100)"), { sql: "rule_id = ANY($1::text[])", params: [["651", "100100"]] });
  assert.deepEqual(compiled("rule.level:(10 or 12)"), { sql: "rule_level = ANY($1::bigint[])", params: [[10, 12]] });
  assert.deepEqual(compiled("rule.id:651"), { sql: "(rule_id = $1)", params: ["651"] });
  const mixed = compiled("rule.id:651 or agent.name:web");
  assert.equal(mixed.sql, "((rule_id = $1) OR (agent_name = $2))");
});

test("each kind of field: keyword, text, integer, groups, data, ip with CIDR, time", () => {
  assert.deepEqual(compiled("agent.name:web-*"), { sql: "(agent_name LIKE $1)", params: ["web-%"] });
  assert.deepEqual(compiled("rule.description:alienvault"), { sql: "(rule_description ILIKE $1)", params: ["%alienvault%"] });
  assert.deepEqual(compiled('full_log:"100%_done"'), { sql: "(full_log ILIKE $1)", params: ["%100\\%\\_done%"] }, "LIKE metacharacters typed are literal");
  assert.deepEqual(compiled("rule.groups:web"), { sql: "(rule_groups @> ARRAY[$1]::text[])", params: ["web"] });
  assert.deepEqual(compiled("rule.groups:att*"), { sql: "(EXISTS (SELECT 1 FROM unnest(rule_groups) AS element WHERE element LIKE $1))", params: ["att%"] });
  assert.deepEqual(compiled("data.srcip:203.0.113.7"), { sql: "(data @> $1::jsonb)", params: ['{"srcip":"203.0.113.7"}'] });
  assert.deepEqual(compiled("data.srcip:203.0.113.9/24"), { sql: "(tld_inet(data ->> $1) <<= $2::inet)", params: ["srcip", "203.0.113.0/24"] });
  assert.deepEqual(compiled("data.url:/admin*"), { sql: "((data ->> $1) LIKE $2)", params: ["url", "/admin%"] });
  assert.deepEqual(compiled("agent.ip:10.0.0.0/8"), { sql: "(tld_inet(agent_ip) <<= $1::inet)", params: ["10.0.0.0/8"] });
  assert.deepEqual(compiled("rule.level:10"), { sql: "(rule_level = $1)", params: [10] });
  assert.deepEqual(compiled("timestamp:2026-12-04"), {
    sql: "(ts >= $1::timestamptz AND ts < $2::timestamptz)",
    params: ["2026-12-04T00:00:00.000Z", "2026-12-05T00:00:00.000Z"],
  });
  assert.deepEqual(compiled("sshd"), { sql: "(full_log ILIKE $1 OR rule_description ILIKE $1)", params: ["%sshd%"] });
  assert.deepEqual(compiled(""), { sql: "TRUE", params: [] });
});

test("comparisons, ranges, exists and not", () => {
  assert.deepEqual(compiled("rule.level >= 10"), { sql: "(rule_level >= $1::numeric)", params: ["10"] });
  assert.deepEqual(compiled("rule.level:[5 TO 10}"), { sql: "((rule_level >= $1::numeric) AND (rule_level < $2::numeric))", params: ["5", "10"] });
  assert.deepEqual(compiled("rule.id >= 100000"), { sql: "(tld_num(rule_id) >= $1::numeric)", params: ["100000"] }, "numeric ids compare as numbers");
  assert.deepEqual(compiled("data.status >= 400"), { sql: "(tld_num(data ->> $1) >= $2::numeric)", params: ["status", "400"] });
  assert.deepEqual(compiled("timestamp >= now-1h"), { sql: "(ts >= $1::timestamptz)", params: ["2026-12-04T11:00:00.000Z"] });
  assert.deepEqual(compiled("data.srcip:*"), { sql: "(data ? $1)", params: ["srcip"] });
  assert.deepEqual(compiled("agent.ip:*"), { sql: "(agent_ip IS NOT NULL AND agent_ip <> '')", params: [] });
  assert.deepEqual(compiled("not rule.id:651"), { sql: "(NOT COALESCE((rule_id = $1), FALSE))", params: ["651"] });
});

test("errors with positions: unknown fields, words where numbers or times belong, impossible comparisons", () => {
  const unknown = errorOf("rule.id:651 and nosuch.field:1");
  assert.equal(unknown.position, 16);
  assert.match(unknown.message, /unknown field "nosuch.field"; fields are id, timestamp, rule.id/);
  assert.equal(errorOf("rule.level:high").position, 11);
  assert.equal(errorOf("rule.level >= high").position, 14);
  assert.equal(errorOf("timestamp >= yesterday").position, 13);
  assert.equal(errorOf("full_log > abc").position, 0);
  assert.match(errorOf("agent.ip > 1.2.3.4").message, /CIDR/);
});

test("injection attempts are values in parameters: the SQL text holds none of what was typed", () => {
  const attacks = [
    "rule.id:\"651'); DROP TABLE alerts; --\"",
    "data.srcip:\"1' OR '1'='1\"",
    "agent.name:(x OR \"y'--\")",
    "full_log:\"%' OR 1=1 --\"",
    "\"') OR TRUE --\"",
    "data.a\\'b:1",
    "rule.level >= \"1; DELETE FROM alerts\"",
  ];
  for (const q of attacks) {
    let sql: string;
    try {
      sql = compiled(q).sql;
    } catch (err) {
      assert.ok(err instanceof QueryError, `${q}: ${err}`);
      continue;
    }
    assert.doesNotMatch(sql, /DROP|DELETE|'1'|OR 1=1|--|;/, `${q} -> ${sql}`);
    assert.ok(!sql.includes("'"), `no quote from the query reaches the SQL: ${q} -> ${sql}`);
  }
  // A data key is a parameter too, never a column name or SQL text.
  assert.deepEqual(compiled("data.x-y.z:*"), { sql: "(data ? $1)", params: ["x-y.z"] });
});
