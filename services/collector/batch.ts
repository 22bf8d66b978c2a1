// The collector's pure core: an agent's batch request, validated whole, into RawEvents (keyed by agent id).
// A batch with any bad event is refused whole with the index and reason, so nothing is half-written.
// An enrolled agent's events carry its registered identity whatever the body claims; only the manager's own
// key (`tld replay`) names the agent in the body.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AgentRef, RawEvent } from "../../lib/records.js";

export const LOG_FORMATS = ["apache", "nginx", "syslog", "json", "ar"] as const;

export interface BatchLimits {
  maxLinesPerBatch: number;
  maxLineBytes: number;
}

const agentSchema = z
  .object({
    id: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, "agent id may hold letters, digits, . _ -").optional(),
    name: z.string().min(1).max(128),
    os: z.string().max(32).optional(),
  })
  .strict();

/** The schema of a batch request under these limits (built once per limits: building it costs more than a parse). */
export function batchSchema(limits: BatchLimits) {
  const key = `${limits.maxLinesPerBatch}/${limits.maxLineBytes}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = buildBatchSchema(limits)));
  return schema;
}

function buildBatchSchema(limits: BatchLimits) {
  const event = z
    .object({
      id: z.string().min(1).max(200).optional(),
      location: z.string().min(1).max(1024),
      logFormat: z.enum(LOG_FORMATS),
      message: z.string().max(limits.maxLineBytes, `line longer than ${limits.maxLineBytes} characters`),
      collectedAt: z.number().int().nonnegative().optional(),
    })
    .strict();
  return z
    .object({
      agent: agentSchema.optional(),
      // "bulk": a backlog sent as fast as it is read (tld replay); paced so it does not delay live lines.
      lane: z.enum(["live", "bulk"]).optional(),
      events: z.array(event).min(1).max(limits.maxLinesPerBatch),
    })
    .strict();
}

const schemas = new Map<string, ReturnType<typeof buildBatchSchema>>();

export type BatchRequest = z.infer<ReturnType<typeof batchSchema>>;

export type BatchResult = { ok: true; agent: AgentRef; events: RawEvent[]; bulk: boolean } | { ok: false; error: string };

/** The identity an enrolled agent authenticated as (registry record); absent for the manager's own key. */
export interface EnrolledAgent {
  id: string;
  name: string;
  os: string | null;
}

export function readBatch(body: unknown, limits: BatchLimits, peerIp: string | null, now = Date.now(), enrolled?: EnrolledAgent): BatchResult {
  const parsed = batchSchema(limits).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${issue.path.join(".") || "body"}: ${issue.message}` };
  }
  const { agent: a, events, lane } = parsed.data;
  let agent: AgentRef;
  if (enrolled) agent = { id: enrolled.id, name: enrolled.name, ip: peerIp, os: enrolled.os };
  else if (a) agent = { id: a.id ?? a.name.replace(/[^A-Za-z0-9._-]/g, "_"), name: a.name, ip: peerIp, os: a.os ?? null };
  else return { ok: false, error: "agent: required with the manager's key (an enrolled agent's key names the agent)" };
  return {
    ok: true,
    agent,
    bulk: lane === "bulk",
    events: events.map((e) => ({
      id: e.id ?? randomUUID(),
      agent,
      location: e.location,
      logFormat: e.logFormat,
      message: e.message,
      collectedAt: e.collectedAt ?? now,
      receivedAt: now,
    })),
  };
}
