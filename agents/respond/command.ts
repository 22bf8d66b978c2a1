// One command from the manager's push channel (the JSON of an SSE `command` event, see the active-response
// contract), validated before anything acts on it. The IP becomes a FirewallAddress here or the command is
// refused with the reason, which is reported back (and logged); a refused value never reaches an enforcer.
import { z } from "zod";
import { firewallAddress, type FirewallAddress } from "../enforce/enforcer.js";

/** Command ids are the manager's; they become part of event ids and file contents, so they are kept plain. */
const COMMAND_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** An active-response program name as Wazuh names the files in active-response/bin. */
export const PROGRAM_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const wireSchema = z.object({
  id: z.string().regex(COMMAND_ID, "id may hold 1-128 letters, digits, . _ : @ -"),
  action: z.enum(["add", "delete"]),
  program: z.string().regex(PROGRAM_NAME, "program may hold 1-64 letters, digits, . _ -"),
  ip: z.string().max(4096),
  ttlSeconds: z.number().int().min(0).max(10 * 365 * 86_400),
  expiresAt: z.number().int().nonnegative(),
  alertId: z.string().max(200).nullish(),
  ruleId: z.string().max(32).nullish(),
  createdAt: z.number().int().nonnegative().optional(),
});

export interface ArCommand {
  id: string;
  action: "add" | "delete";
  program: string;
  address: FirewallAddress;
  ttlSeconds: number;
  expiresAt: number;
  alertId: string | null;
  ruleId: string | null;
}

/** What a refused command still tells, for the report and the ack (id null: nothing to ack). */
export interface RefusedCommand {
  id: string | null;
  action: "add" | "delete";
  program: string | null;
  alertId: string | null;
  ruleId: string | null;
  reason: string;
}

export type ParsedCommand = { ok: true; command: ArCommand } | { ok: false; refused: RefusedCommand };

/** A value quoted for a log line or a report: JSON-escaped and cut short, whatever it holds. */
export function quoteValue(value: unknown, max = 80): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

const stringField = (raw: Record<string, unknown>, key: string, pattern?: RegExp): string | null => {
  const v = raw[key];
  return typeof v === "string" && (!pattern || pattern.test(v)) ? v : null;
};

export function parseCommand(data: string): ParsedCommand {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, refused: { id: null, action: "add", program: null, alertId: null, ruleId: null, reason: `command is not JSON: ${quoteValue(data)}` } };
  }
  const fields = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const salvage = (reason: string): ParsedCommand => ({
    ok: false,
    refused: {
      // An id we can read is acked even when the rest is refused: redelivering it would not make it better.
      id: typeof fields.id === "string" && fields.id.length > 0 && fields.id.length <= 256 ? fields.id : null,
      action: fields.action === "delete" ? "delete" : "add",
      program: stringField(fields, "program", PROGRAM_NAME),
      alertId: stringField(fields, "alertId", /^[A-Za-z0-9._:@-]{1,200}$/),
      ruleId: stringField(fields, "ruleId", /^[0-9A-Za-z._-]{1,32}$/),
      reason,
    },
  });
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return salvage(`invalid command: ${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const c = parsed.data;
  const address = firewallAddress(c.ip);
  if (!address) return salvage(`invalid IP address ${quoteValue(c.ip)}: not a single IPv4 or IPv6 address`);
  return {
    ok: true,
    command: { id: c.id, action: c.action, program: c.program, address, ttlSeconds: c.ttlSeconds, expiresAt: c.expiresAt, alertId: c.alertId ?? null, ruleId: c.ruleId ?? null },
  };
}

/** Slack allowed between the manager's clock and ours before ttlSeconds is trusted over expiresAt. */
const CLOCK_SLACK_MS = 2_000;

/**
 * When a block received at `receivedAt` ends: the manager's expiresAt when our clock agrees with it (the
 * remaining time it implies matches ttlSeconds, which was the time left at send time, rounded up), else
 * receivedAt + ttlSeconds (the clocks differ: a relative time is the better truth). A command with
 * ttlSeconds 0 (one-shot) ends at expiresAt.
 */
export function blockEnd(command: Pick<ArCommand, "expiresAt" | "ttlSeconds">, receivedAt: number): { endsAt: number; clockAgrees: boolean } {
  // No time left to compare with (a one-shot command): expiresAt is all there is.
  if (command.ttlSeconds === 0) return { endsAt: command.expiresAt, clockAgrees: true };
  const remaining = command.expiresAt - receivedAt;
  const ttlMs = command.ttlSeconds * 1000;
  const clockAgrees = remaining <= ttlMs + CLOCK_SLACK_MS && remaining >= ttlMs - 1000 - CLOCK_SLACK_MS;
  return clockAgrees ? { endsAt: command.expiresAt, clockAgrees } : { endsAt: receivedAt + ttlMs, clockAgrees };
}
