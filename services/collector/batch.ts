// The collector's pure core: an agent's batch request, validated whole, into RawEvents (keyed by agent id).
// A batch with any bad event is refused whole with the index and reason, so nothing is half-written.
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

export function batchSchema(limits: BatchLimits) {
  const event = z
    .object({
      id: z.string().min(1).max(200).optional(),
      location: z.string().min(1).max(1024),
      logFormat: z.enum(LOG_FORMATS),
      message: z.string().max(limits.maxLineBytes, `line longer than ${limits.maxLineBytes} characters`),
      collectedAt: z.number().int().nonnegative().optional(),
    })
    .strict();
  return z.object({ agent: agentSchema, events: z.array(event).min(1).max(limits.maxLinesPerBatch) }).strict();
}

export type BatchRequest = z.infer<ReturnType<typeof batchSchema>>;

export type BatchResult = { ok: true; agent: AgentRef; events: RawEvent[] } | { ok: false; error: string };

export function readBatch(body: unknown, limits: BatchLimits, peerIp: string | null, now = Date.now()): BatchResult {
  const parsed = batchSchema(limits).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${issue.path.join(".") || "body"}: ${issue.message}` };
  }
  const { agent: a, events } = parsed.data;
  const agent: AgentRef = { id: a.id ?? a.name.replace(/[^A-Za-z0-9._-]/g, "_"), name: a.name, ip: peerIp, os: a.os ?? null };
  return {
    ok: true,
    agent,
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
