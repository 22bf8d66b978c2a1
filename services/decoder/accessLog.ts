// Apache / Nginx access-log lines, combined and common formats (the same on Linux and Windows), into the
// fields Wazuh rules read (srcip, protocol = method, url, id = status) and ours (method, status, ...).
import { canonicalIp } from "../../lib/ip.js";

// host ident user [time] "request" status bytes ["referer" "user-agent"]; quoted parts may hold \" escapes.
// Quoted parts use the unrolled form [^"\\]*(?:\\.[^"\\]*)*: same language as (?:[^"\\]|\\.)*, no per-char alternation.
const QUOTED = String.raw`"([^"\\]*(?:\\.[^"\\]*)*)"`;
const ACCESS_LOG = new RegExp(String.raw`^(\S+) (\S+) (\S+) \[([^\]]{1,64})\] ${QUOTED} (\d{3}) (\d+|-)(?: ${QUOTED} ${QUOTED})?`);

export const ACCESS_LOG_DECODER = "web-accesslog";

export interface AccessLogFields {
  [field: string]: string;
}

/** Fields of an access-log line, or null when the line is not one. Pure and allocation-light: hot path. */
export function parseAccessLog(line: string): AccessLogFields | null {
  if (line.length > 65_536) return null;
  const m = ACCESS_LOG.exec(line);
  if (!m) return null;
  const srcip = canonicalIp(m[1]);
  if (!srcip) return null;
  const fields: AccessLogFields = { srcip, time: m[4], status: m[6], id: m[6] };
  if (m[3] !== "-") fields.user = m[3];
  const request = m[5];
  const firstSpace = request.indexOf(" ");
  if (firstSpace > 0) {
    const lastSpace = request.lastIndexOf(" ");
    fields.method = request.slice(0, firstSpace);
    fields.protocol = fields.method; // Wazuh names the HTTP method `protocol`
    if (lastSpace > firstSpace && request.startsWith("HTTP/", lastSpace + 1)) {
      fields.url = request.slice(firstSpace + 1, lastSpace);
      fields.http_version = request.slice(lastSpace + 1);
    } else {
      fields.url = request.slice(firstSpace + 1);
    }
  } else if (request !== "-" && request !== "") {
    fields.request = request; // a probe or garbage sent instead of a request line: keep it for rules
  }
  if (m[7] !== "-") fields.bytes = m[7];
  if (m[8] !== undefined && m[8] !== "-") fields.referer = m[8];
  if (m[9] !== undefined && m[9] !== "-") fields.user_agent = m[9];
  return fields;
}
