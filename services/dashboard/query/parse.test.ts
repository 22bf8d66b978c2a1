import { test } from "node:test";
import assert from "node:assert/strict";
import { parseQuery, QueryError, valueText, type QueryNode } from "./parse.js";

/** The tree as a short string, so each case reads as one line. */
function show(node: QueryNode): string {
  switch (node.kind) {
    case "all":
      return "ALL";
    case "and":
    case "or":
      return `${node.kind.toUpperCase()}(${node.children.map(show).join(", ")})`;
    case "not":
      return `NOT(${show(node.child)})`;
    case "match":
      return `${node.field.name}=${node.value.quoted ? JSON.stringify(valueText(node.value)) : valueText(node.value)}`;
    case "compare":
      return `${node.field.name}${node.op}${valueText(node.value)}`;
    case "range":
      return `${node.field.name}${node.lowerInclusive ? "[" : "{"}${node.lower ? valueText(node.lower) : "*"},${node.upper ? valueText(node.upper) : "*"}${node.upperInclusive ? "]" : "}"}`;
    case "exists":
      return `${node.field.name}:*`;
    case "text":
      return `TEXT(${valueText(node.value)})`;
  }
}

const parsed = (q: string) => show(parseQuery(q));

function errorAt(q: string): { message: string; position: number } {
  try {
    parseQuery(q);
  } catch (err) {
    assert.ok(err instanceof QueryError, `not a QueryError: ${err}`);
    return { message: err.message, position: err.position };
  }
  assert.fail(`${q} parsed`);
}

test("field:value, value lists and the use case's filter", () => {
  assert.equal(parsed("rule.id:651"), "rule.id=651");
  assert.equal(parsed("rule.id:(651 OR 100100)"), "OR(rule.id=651, rule.id=100100)");
  assert.equal(parsed("rule.id:(651 OR 100100) and agent.name:ubuntu"), "AND(OR(rule.id=651, rule.id=100100), agent.name=ubuntu)");
  assert.equal(parsed("rule.id : 651"), "rule.id=651", "spaces around the colon");
  assert.equal(parsed("rule.id:(651 or 657 OR 100100)"), "OR(rule.id=651, rule.id=657, rule.id=100100)");
  assert.equal(parsed("rule.groups:(web and not attack)"), "AND(rule.groups=web, NOT(rule.groups=attack))");
  assert.equal(parsed(""), "ALL");
  assert.equal(parsed("   "), "ALL");
});

test("and / or / not in any case, precedence NOT > AND > OR, adjacency is AND, parentheses", () => {
  assert.equal(parsed("a:1 or b:2 and c:3"), "OR(a=1, AND(b=2, c=3))");
  assert.equal(parsed("(a:1 OR b:2) AnD c:3"), "AND(OR(a=1, b=2), c=3)");
  assert.equal(parsed("not a:1 and b:2"), "AND(NOT(a=1), b=2)");
  assert.equal(parsed("NOT NOT a:1"), "NOT(NOT(a=1))");
  assert.equal(parsed("a:1 b:2"), "AND(a=1, b=2)");
  assert.equal(parsed("not(a:1)"), "NOT(a=1)");
  assert.equal(parsed("order:1"), "order=1", "a field named like a keyword is a field");
  assert.equal(parsed("a:and"), "a=and", "after a colon a keyword is a value");
});

test("quoted phrases, wildcards and escapes", () => {
  assert.equal(parsed('rule.description:"IP address found"'), 'rule.description="IP address found"');
  assert.equal(parsed('"Failed password"'), "TEXT(Failed password)");
  assert.equal(parsed('full_log:"say \\"hi\\""'), `full_log=${JSON.stringify('say "hi"')}`);
  const wild = parseQuery("data.url:/admin*") as Extract<QueryNode, { kind: "match" }>;
  assert.deepEqual(wild.value.parts, ["/admin", { wildcard: "*" }]);
  const q = parseQuery("agent.name:web-?1") as Extract<QueryNode, { kind: "match" }>;
  assert.deepEqual(q.value.parts, ["web-", { wildcard: "?" }, "1"]);
  const escaped = parseQuery("data.x:a\\*b") as Extract<QueryNode, { kind: "match" }>;
  assert.deepEqual(escaped.value.parts, ["a*b"], "an escaped star is literal");
  const quoted = parseQuery('data.x:"a*b"') as Extract<QueryNode, { kind: "match" }>;
  assert.deepEqual(quoted.value.parts, ["a*b"], "a star inside quotes is literal");
  assert.equal(parsed("data.srcip:*"), "data.srcip:*");
  assert.equal(parsed("data.srcip:2001:db8::1"), "data.srcip=2001:db8::1", "a value may hold colons (IPv6)");
  assert.equal(parsed("sshd"), "TEXT(sshd)");
});

test("comparisons and ranges", () => {
  assert.equal(parsed("rule.level >= 10"), "rule.level>=10");
  assert.equal(parsed("rule.level>10"), "rule.level>10");
  assert.equal(parsed("rule.level:>=10"), "rule.level>=10");
  assert.equal(parsed("rule.level < 5 or rule.level <= 7"), "OR(rule.level<5, rule.level<=7)");
  assert.equal(parsed("rule.level:[5 TO 10]"), "rule.level[5,10]");
  assert.equal(parsed("rule.level:{5 to 10]"), "rule.level{5,10]");
  assert.equal(parsed("rule.level:[10 TO *]"), "rule.level[10,*]");
  assert.equal(parsed('timestamp:["2026-12-04T10:00:00Z" TO now]'), "timestamp[2026-12-04T10:00:00Z,now]");
  assert.equal(parsed("timestamp >= now-24h"), "timestamp>=now-24h");
});

test("errors say where: the position is the 0-based offset of what is wrong", () => {
  assert.deepEqual(errorAt("rule.id:(651 OR"), { message: "expected a value of rule.id after OR at 13", position: 15 });
  assert.equal(errorAt("rule.id:(651 100100").position, 19);
  assert.match(errorAt("rule.id:(651 100100").message, /missing \) to close the \( at 8/);
  assert.deepEqual(errorAt("rule.id:"), { message: "expected a value after rule.id:", position: 8 });
  assert.equal(errorAt("a:1 and").position, 7);
  assert.equal(errorAt("a:1 )").position, 4);
  assert.match(errorAt("a:1 )").message, /no \( to close/);
  assert.equal(errorAt("and a:1").position, 0);
  assert.equal(errorAt("a:1 or or b:2").position, 7);
  assert.equal(errorAt('full_log:"unterminated').position, 9);
  assert.equal(errorAt("()").position, 1);
  assert.equal(errorAt("rule.level >= ").position, 14);
  assert.equal(errorAt("rule.level:[1 5]").position, 14);
  assert.match(errorAt("rule.level:[1 TO 5").message, /\] or \}/);
  assert.equal(errorAt("rule.level = 5").position, 11);
  assert.equal(errorAt("rule.level >= 1*").position, 14);
  assert.equal(errorAt("a*b:1").position, 0, "a wildcard is no field name");
  assert.equal(errorAt("a:1 \\").position, 4);
});

test("hostile input is refused cheaply: too long, too deep", () => {
  assert.match(errorAt("a".repeat(5000)).message, /longer than/);
  assert.match(errorAt("(".repeat(100) + "a:1" + ")".repeat(100)).message, /deeper than/);
  assert.match(errorAt("not ".repeat(100) + "a:1").message, /deeper than/);
});
