import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { avroType, SCHEMA_DIR, schemaText } from "./schemas.js";
import type { ActiveResponseCommand, Alert, DeadLetter, DecodedEvent, RawEvent } from "./records.js";
import { TOPIC_SCHEMAS } from "./topics.js";

const agent = { id: "001", name: "ubuntu", ip: "192.0.2.1", os: "linux" };
const raw: RawEvent = { id: "e", agent, location: "/var/log/apache2/access.log", logFormat: "apache", message: "m", collectedAt: 1, receivedAt: 2 };
const samples: Record<string, unknown> = {
  RawEvent: raw,
  DecodedEvent: { ...raw, decodedAt: 3, decoder: "web-accesslog", parentDecoder: null, srcip: "203.0.113.5", fields: { srcip: "203.0.113.5" }, category: "web-log" } satisfies DecodedEvent,
  Alert: { id: "a", timestamp: 4, rule: { id: "100100", level: 10, description: "d", groups: ["attack"], firedtimes: 1 }, agent, decoder: "web-accesslog", fields: {}, fullLog: "m", location: "l", eventId: "e" } satisfies Alert,
  ActiveResponseCommand: { id: "c", agentId: "001", action: "add", program: "firewall-drop", ip: "203.0.113.5", ttlSeconds: 60, expiresAt: 5, alertId: "a", ruleId: "100100", createdAt: 4 } satisfies ActiveResponseCommand,
  DeadLetter: { sourceTopic: "tld.events.raw", sourcePartition: 0, sourceOffset: "12", key: null, value: Buffer.from([1]), error: "bad", stage: "decoder", failedAt: 6 } satisfies DeadLetter,
};

test("every topic's schema file exists and every field, nested ones too, has a doc", () => {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".avsc")).map((f) => f.replace(/\.avsc$/, ""));
  assert.deepEqual(new Set(Object.values(TOPIC_SCHEMAS)), new Set(files));
  const undocumented: string[] = [];
  const walk = (schema: { name?: string; fields?: { name: string; doc?: string; type: unknown }[] }, where: string) => {
    for (const field of schema.fields ?? []) {
      if (!field.doc) undocumented.push(`${where}.${field.name}`);
      if (field.type && typeof field.type === "object" && "fields" in (field.type as object)) walk(field.type as typeof schema, `${where}.${field.name}`);
    }
  };
  for (const name of files) walk(JSON.parse(schemaText(name)), name);
  assert.deepEqual(undocumented, []);
});

test("the TypeScript record shapes round-trip through their Avro schemas unchanged", () => {
  for (const [name, value] of Object.entries(samples)) {
    const type = avroType(name);
    assert.ok(type.isValid(value), `${name} sample is valid`);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown; // avsc returns record class instances
    assert.deepEqual(plain(type.fromBuffer(type.toBuffer(value))), plain(value), name);
  }
});
