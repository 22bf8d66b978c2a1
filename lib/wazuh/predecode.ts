// Syslog header pre-decoding, the step Wazuh runs before any decoder: a line that starts with a syslog header
// gives timestamp, hostname and program_name, and decoders then see only the message after the header (`log`).
// A line with no recognisable header (an Apache access line, a JSON object) is left whole, with no program_name.

export interface PreDecodedEvent {
  /** The line as received (trailing CR/LF removed): Wazuh's `full_log`. */
  readonly fullLog: string;
  /** What decoders and rule <match>/<regex> look at: the message after the syslog header, else the whole line. */
  readonly log: string;
  readonly timestamp?: string;
  readonly hostname?: string;
  readonly programName?: string;
  readonly pid?: string;
}

// Header shapes, each ending right before the message:
//   "Dec  4 14:35:01 web01 apache2[123]: msg"            (BSD syslog, optional year, optional ms)
//   "2023-12-04T14:35:01.123+00:00 web01 nginx: msg"      (ISO 8601 / RFC 3339, as rsyslog writes it)
//   "<134>1 2023-12-04T14:35:01Z web01 nginx 123 ID47 - msg" (RFC 5424, structured data "-" or [..])
// An optional "<PRI>" prefix is accepted on the first two.
const PRI = String.raw`(?:<\d{1,3}>)?`;
const PROGRAM = String.raw`([\w./-][\w./@-]*)(?:\[(\d+)\])?:[ ]`;
const BSD_SYSLOG = new RegExp(
  String.raw`^${PRI}((?:\d{4} )?[A-Z][a-z]{2} [ \d]\d (?:\d{4} )?\d\d:\d\d:\d\d(?:\.\d+)?) (\S+) ${PROGRAM}`,
);
const ISO_SYSLOG = new RegExp(
  String.raw`^${PRI}(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ${PROGRAM}`,
);
const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?/;
/** The header patterns, for checks that every pattern the decoder runs on a line stays linear (test/hostile/). */
export const SYSLOG_HEADER_PATTERNS: readonly RegExp[] = [BSD_SYSLOG, ISO_SYSLOG, RFC5424];

function stripLineEnd(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}

export function preDecode(line: string): PreDecodedEvent {
  const fullLog = stripLineEnd(line);
  // Fast exit: every header starts with "<", a digit or an upper-case month letter.
  const first = fullLog.charCodeAt(0);
  const mayBeHeader = first === 60 || (first >= 48 && first <= 57) || (first >= 65 && first <= 90);
  if (!mayBeHeader) return { fullLog, log: fullLog };

  let m = BSD_SYSLOG.exec(fullLog) ?? ISO_SYSLOG.exec(fullLog);
  if (m) {
    return {
      fullLog,
      log: fullLog.slice(m[0].length),
      timestamp: m[1],
      hostname: m[2],
      programName: m[3],
      ...(m[4] !== undefined ? { pid: m[4] } : {}),
    };
  }
  m = RFC5424.exec(fullLog);
  if (m) {
    return {
      fullLog,
      log: fullLog.slice(m[0].length),
      timestamp: m[1],
      ...(m[2] !== "-" ? { hostname: m[2] } : {}),
      ...(m[3] !== "-" ? { programName: m[3] } : {}),
      ...(m[4] !== "-" ? { pid: m[4] } : {}),
    };
  }
  return { fullLog, log: fullLog };
}
