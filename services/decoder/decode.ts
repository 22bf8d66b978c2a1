// The decoder stage's pure core: RawEvent in, DecodedEvent out (keyed by srcip, else agent id), through the Wazuh
// decoder engine built from the manager home's decoders (stock + the user's). One implementation for every log
// format: the stock web-accesslog decoder is Wazuh XML like any user decoder (ruleset/decoders/0020-...), so a
// user can read, override or extend it. It decodes ~550k access lines/s on one core, a tenth of the 50k lines/s
// budget's CPU; Avro and Kafka cost more, so a hand-written parser beside it was not worth a second truth.
// A line no decoder knows is still passed on, with decoder = null.
import { canonicalIp } from "../../lib/ip.js";
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import { createDecoderEngineFromDirs, type DecoderEngine } from "./wazuh/index.js";
import type { RulesetPaths } from "../../lib/manager.js";

/** The decoder engine of a manager home's ruleset. Throws DecoderLoadError (file and line) on a bad file. */
export function loadDecoderEngine(paths: Pick<RulesetPaths, "decoderDirs" | "decoderExclude">): DecoderEngine {
  return createDecoderEngineFromDirs(paths.decoderDirs, { exclude: paths.decoderExclude });
}

export function decodeEvent(engine: DecoderEngine, raw: RawEvent, now = Date.now()): DecodedEvent {
  const result = engine.decode(raw.message);
  const fields = result.fields;
  // srcip is what lists are searched for and what may reach a firewall: only a real IP, in canonical form, is kept
  // as one. A decoder that captured something else (a hostname, a hostile "$(reboot)") leaves no srcip; the text
  // is still in the message.
  let srcip: string | null = null;
  if (fields.srcip !== undefined) {
    srcip = canonicalIp(fields.srcip);
    if (srcip === null) delete fields.srcip;
    else fields.srcip = srcip;
  }
  // Spelled out rather than spread: this runs for every event.
  return {
    id: raw.id,
    agent: raw.agent,
    location: raw.location,
    logFormat: raw.logFormat,
    message: raw.message,
    collectedAt: raw.collectedAt,
    receivedAt: raw.receivedAt,
    decodedAt: now,
    decoder: result.decoder,
    parentDecoder: result.parent,
    srcip,
    fields,
    // Only a decoder with a <type> gives a category; syslog (Wazuh's default) is written as null.
    category: result.decoder === null || result.category === "syslog" ? null : result.category,
  };
}

/** Kafka key of a decoded event: one matcher owns all events of one IP, so frequency rules stay correct. */
export function decodedKey(event: DecodedEvent): string {
  return event.srcip ?? event.agent.id;
}
