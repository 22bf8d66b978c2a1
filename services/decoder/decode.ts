// The decoder stage's pure core: RawEvent in, DecodedEvent out (keyed by srcip, else agent id).
// A line no decoder knows is still passed on, with decoder = null.
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import { ACCESS_LOG_DECODER, parseAccessLog } from "./accessLog.js";

const ACCESS_LOG_FORMATS = new Set(["apache", "nginx", "access", "web"]);

export function decodeEvent(raw: RawEvent, now = Date.now()): DecodedEvent {
  let decoder: string | null = null;
  let fields: Record<string, string> = {};
  if (ACCESS_LOG_FORMATS.has(raw.logFormat) || raw.logFormat === "syslog" || raw.logFormat === "json") {
    const access = parseAccessLog(raw.message);
    if (access) {
      decoder = ACCESS_LOG_DECODER;
      fields = access;
    }
  }
  // Spelled out rather than spread: this runs for every event, and the spread costs more than the regex.
  return {
    id: raw.id,
    agent: raw.agent,
    location: raw.location,
    logFormat: raw.logFormat,
    message: raw.message,
    collectedAt: raw.collectedAt,
    receivedAt: raw.receivedAt,
    decodedAt: now,
    decoder,
    parentDecoder: null,
    srcip: fields.srcip ?? null,
    fields,
  };
}

/** Kafka key of a decoded event: one matcher owns all events of one IP, so frequency rules stay correct. */
export function decodedKey(event: DecodedEvent): string {
  return event.srcip ?? event.agent.id;
}
