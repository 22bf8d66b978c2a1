// Hostile log lines by shape: what an attacker who can write into a log (a request line, a user agent, a JSON
// field) or a broken program can make an agent ship. Seeded, so a failing line is named by its seed and index
// and comes back the same. Used by lines.test.ts (1M lines through the decoders and rules, in process).
import { seededRandom } from "../../bench/logs.js";

export interface HostileLine {
  /** Which generator made it, so the slowest lines can be told apart. */
  shape: string;
  line: string;
}

/** The collector's default line limit (collector.maxLineBytes): the longest line that reaches the decoder. */
export const MAX_LINE = 64 * 1024;

/** IPs that decode to a canonical srcip: a bounded pool, so per-IP rule state stays bounded over a long run. */
const GOOD_IPS = [
  ...Array.from({ length: 200 }, (_, i) => `198.51.100.${i + 1}`),
  ...Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`), // 203.0.113.66 is in the run's list
  ...Array.from({ length: 50 }, (_, i) => `10.1.${i}.7`), // 10.1. is a prefix key of the list
  "2001:db8::7",
  "2001:DB8:0:0:0:0:0:1",
  "::ffff:10.1.9.9",
  "fe80::1",
  "0.0.0.0",
  "255.255.255.255",
  "::",
  "::1",
];

/** Values that must never come out as a srcip (or only in their canonical form), whatever field carries them. */
export const HOSTILE_IPS = [
  "1.2.3.4;reboot",
  "$(id)",
  "`id`",
  "--flush",
  "-j ACCEPT",
  "1.2.3.4 -j ACCEPT",
  "1.2.3.4\nflush ruleset",
  "1.2.3.4\r\n5.6.7.8",
  "0.0.0.0/0",
  "::/0",
  "1.2.3.4/32",
  "010.1.1.1",
  "1.2.3.04",
  "0x7f.0.0.1",
  "256.1.1.1",
  "1.2.3",
  "1.2.3.4.5",
  "fe80::1%eth0",
  "[2001:db8::1]",
  "[::1]:80",
  "2001:db8:::1",
  "2001:db8::1::2",
  "1:2:3:4:5:6:7:8:9",
  "::ffff:1.2.3.256",
  "::ffff:01.2.3.4",
  "١٢٣.1.1.1",
  "1.2.3.4\u0000",
  "\u0000",
  "-",
  "",
];

const STRUCTURE = ' -"[]:/.%<>{}\\0123456789abcdefGETPOSTHTTP\t|$()!\'`;=?&#@*+,^~\r\n\u0000\u00e9\u4e2d\ud83d\ude00';

export function hostileLineSource(seed: number): { next(): HostileLine } {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => random() < p;
  // Noise is cut from one long random string made once: making it a character at a time cost more than decoding it.
  let pool = "";
  for (let n = 0; n < 1 << 20; n++) pool += STRUCTURE[int(STRUCTURE.length)];
  const noise = (max: number) => {
    const length = int(max);
    const start = int(pool.length - length);
    return pool.slice(start, start + length);
  };
  const wideJson = "{" + Array.from({ length: 3000 }, (_, i) => `"k${i}":${i}`).join(",");
  const bytes = (max: number) => {
    const b = Buffer.allocUnsafe(int(max));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  };
  /** Repeats `pump` to about `length` characters. */
  const pumped = (pump: string, length: number) => (pump === "" ? "" : pump.repeat(Math.max(1, Math.floor(length / pump.length))));
  /** Up to the line limit, mostly short, sometimes the whole 64 KB. */
  const size = () => (chance(0.1) ? MAX_LINE - 200 : 64 + int(4096));

  // Very long and odd address forms, beyond HOSTILE_IPS.
  const longIp = () =>
    pick([
      () => "1".repeat(1 + int(2000)) + ".2.3.4",
      () => "1.2.3.4" + "0".repeat(1 + int(2000)),
      () => "::" + pumped("0:", int(4000)) + "1",
      () => pumped("ffff:", int(4000)),
      () => "::ffff:" + "1.2.3.4" + "5".repeat(int(100)),
      () => "fe80::1%" + pumped("eth0", int(2000)),
      () => "[" + pumped("::1", int(1000)) + "]",
      () => `${int(300)}.${int(300)}.${int(300)}.${int(300)}`,
      () => Array.from({ length: 1 + int(12) }, () => int(0x20000).toString(16)).join(pick([":", "::", ".", ":::"])),
      () => pick(["0", "00", "000", "0000"]) + "." + pick(["0", "1"]) + ".0." + pick(["0", "1", "255"]),
      () => pick(GOOD_IPS).toUpperCase() + pick(["", " ", "\t", "\n", "%", "/0", ":", "."]),
    ])();
  const anyIp = () => (chance(0.6) ? pick(GOOD_IPS) : chance(0.6) ? pick(HOSTILE_IPS) : longIp());

  const time = () =>
    pick([
      "04/Dec/2026:10:00:00 +0000",
      `${int(99)}/${pick(["Dec", "Foo", "", "dec"])}/${int(100000)}:${int(99)}:${int(99)}:${int(99)} ${pick(["+0000", "+9999", "-", "", "Z"])}`,
      noise(40),
      "",
      "[" + noise(10) + "]",
      pumped("0", int(3000)),
    ]);
  const request = () =>
    pick([
      "GET / HTTP/1.1",
      `POST /login?u=${noise(20)} HTTP/1.0`,
      "GET /a?id=1%20UNION%20SELECT%20x HTTP/1.1",
      "GET /../../etc/passwd HTTP/1.1",
      "GET /${jndi:ldap://x} HTTP/1.1",
      "GET /<script>alert(1)</script> HTTP/1.1",
      '\\x16\\x03\\x01\\x00\\xa5',
      "-",
      "",
      `GET /${noise(60)} HTTP/1.1`,
      'GET /a\\"b HTTP/1.1', // an escaped quote, as Apache writes one
      'GET /a"b HTTP/1.1', // an unescaped quote: the request "ends" early
      "GET /a\\ HTTP/1.1\\",
      `GET /${pumped('\\"', int(2000))} HTTP/1.1`,
      `GET ${pumped("/..", int(3000))} HTTP/${pumped("1.", int(200))}`,
      "GET / HTTP/1.1\u0000",
    ]);
  const quoted = () => pick(["-", noise(30), '\\"', "\\", '"', '""', pumped('\\"', int(500)), "Mozilla/5.0 (X11; Linux x86_64)"]);
  const access = (ip = anyIp()) =>
    `${ip} - ${pick(["-", "frank", noise(8), "-\"", "a b"])} [${time()}] "${request()}" ${pick(["200", "404", "500", "99", "abc", "1000", ""])} ${pick(["123", "-", "", noise(5)])} "${quoted()}" "${quoted()}"`;
  const errorLog = () =>
    `[${pick(["Mon Dec 04 14:35:01.123456 2026", "Mon Dec 04 14:35:01 2026", noise(30), "Mon Dec 4 99:99:99 0000"])}] [${pick(["core:error", "error", ":", noise(8)])}] ${pick(["[pid 1234:tid 140] ", "[pid " + "9".repeat(int(500)) + "] ", ""])}[client ${anyIp()}${pick(["", ":51234", ":", ":" + "1".repeat(int(300))])}] ${pick(["AH00126: Invalid URI", noise(60), "File does not exist: /x"])}`;
  const arLine = () =>
    `2026/12/04 10:00:00 active-response/bin/${pick(["firewall-drop", "netsh.exe", noise(6), pumped("a", int(2000))])}: ${pick([
      `{"command":"add","parameters":{"alert":{"data":{"srcip":${JSON.stringify(anyIp())}}}}}`,
      `{"srcip": "${anyIp()}"}`,
      '"srcip"' + " ".repeat(int(3000)) + ":",
      noise(60),
      "Firewall is not active",
      "{" + noise(40),
    ])}`;
  const jsonKey = () => pick(["srcip", "__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf", "data", "", "a.b", "\u0000", "\ud800", noise(6)]);
  const jsonValue = (depth: number): unknown => {
    if (depth > 4 || chance(0.4)) return pick<unknown>([anyIp(), 1e308, -0, 123456789012345678901234567890, true, null, noise(20), "\ud800", "\u0000"]);
    if (chance(0.3)) return Array.from({ length: int(4) }, () => jsonValue(depth + 1));
    return Object.fromEntries(Array.from({ length: int(5) }, () => [jsonKey(), jsonValue(depth + 1)]));
  };
  const json = () =>
    pick([
      () => JSON.stringify(Object.fromEntries([["srcip", anyIp()], ...Array.from({ length: int(6) }, () => [jsonKey(), jsonValue(0)])])),
      () => { const depth = pick([2, 31, 33, 999, 1000, 1001, 5000, 12_000]); return '{"a":'.repeat(depth) + "1" + "}".repeat(chance(0.8) ? depth : int(depth)); }, // deep, closed or not
      () => { const depth = pick([2, 1000, 1001, 30_000]); return '{"a":' + "[".repeat(depth) + "]".repeat(chance(0.8) ? depth : int(depth)) + "}"; },
      () => '{"__proto__":{"srcip":"1.2.3.4","polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
      () => `{"srcip":"${anyIp()}","srcip":"${anyIp()}"}`, // duplicate keys
      () => wideJson.slice(0, int(wideJson.length)) + pick(["}", "", "0}"]), // wide, cut anywhere
      () => '{"n":' + "9".repeat(int(5000)) + "}",
      () => '{"s":"' + pumped("\\u0000\\ud800\\\\", int(3000)) + '"}',
      () => "{" + " ".repeat(chance(0.2) ? MAX_LINE - 2 : int(1000)) + (chance(0.5) ? '"' : ""),
      () => '{"a":"' + noise(100) + (chance(0.5) ? '"}' : ""),
    ])();
  const syslogHeader = () =>
    pick([
      `${pick(["Dec", "Feb", "Foo", "DEC", "dec"])} ${pick([" 4", "30", "99", "00", "4"])} ${pick(["10:00:00", "25:61:61", "1:2:3", "10:00:00.".padEnd(3000, "9")])} ${pick(["web01", noise(10), pumped("a", int(3000))])} ${pick(["apache2", "sshd[12]", "nginx[" + "9".repeat(int(300)) + "]", noise(8)])}: `,
      `${pick(["2026", "0000", "99999"])} Dec  4 10:00:00 host app: `,
      `${pick(["2026-12-04T10:00:00Z", "2026-13-45T99:99:99+99:99", "2026-12-04T10:00:00." + "1".repeat(int(5000)) + "Z", "0000-00-00T00:00:00-0000"])} host app: `,
      `<${pick(["134", "0", "999", "9".repeat(int(50))])}>1 ${pick(["2026-12-04T10:00:00Z", "-", noise(10)])} ${pick(["host", "-"])} ${pick(["app", "-"])} ${pick(["1", "-"])} ID ${pick(["-", '[id a="1"]', '[x a="\\]"][y b="\\\\"]', pumped('[a b="c"]', int(3000)), "[" + pumped('\\]', int(3000)), '[unterminated a="' + noise(30)])} `,
      `<${int(1000)}>`,
    ]);
  // Repetitions aimed at each stock pattern's quantifiers (ruleset/decoders, ruleset/rules, lib/wazuh/predecode.ts):
  // the shapes that make a backtracking engine go quadratic or worse if a pattern lets it.
  const redos = () => {
    const n = size();
    return pick([
      () => pumped("a ", n),
      () => "a a a [" + pumped("a", n),
      () => "a a a [a " + pumped("]", n),
      () => '1.2.3.4 - - [x y] "' + pumped('\\"', n),
      () => pumped('] "', n),
      () => '1.2.3.4 - - [x y] "' + pumped("\\", n),
      () => pumped('] "a" 20', n),
      () => '1.2.3.4 - - [x y] "GET ' + pumped("a", n),
      () => '1.2.3.4 - - [x y] "GET / HTTP/' + pumped("1.", n),
      () => '1.2.3.4 - - [x y] "GET / HTTP/1.1" 200 1 "' + pumped('\\"', n),
      () => '1.2.3.4 - - [x y] "GET / HTTP/1.1" 200 1 "-" "' + pumped('\\\\"', n),
      () => "[Mon Dec 04 14:35:01" + pumped(".1", n),
      () => "[Mon Dec 04 14:35:01 2026] [" + pumped(":", n),
      () => "[Mon Dec 04 14:35:01 2026] [error] [client " + pumped("1:", n),
      () => "[Mon Dec 04 14:35:01 2026] [error] [client " + pumped("1.", n),
      () => "[Mon Dec 04 14:35:01 2026] [error] [client 1.2.3.4:" + pumped("1", n),
      () => "[Mon Dec 04 14:35:01 2026] [error] " + pumped("[pid 1", n),
      () => "[Mon Dec 04 14:35:01 2026] [error] [pid 1:tid " + pumped("1", n),
      () => pumped("[client 1", n),
      () => "2026/12/04 10:00:00 active-response/bin/" + pumped("a", n),
      () => "2026/12/04 10:00:00 active-response/bin/a" + pumped(": ", n),
      () => "2026/12/04 10:00:00 active-response/bin/a: " + pumped('"srcip"', n),
      () => "2026/12/04 10:00:00 active-response/bin/a: " + '"srcip"' + pumped(" ", n),
      () => "2026/12/04 10:00:00 active-response/bin/a: " + '"srcip": "' + pumped("a", n),
      () => "{" + pumped(" ", n),
      () => pumped("{", n),
      () => "Dec  4 10:00:00 " + pumped("a", n),
      () => "Dec  4 10:00:00 host " + pumped("a", n) + "[" + pumped("1", 100),
      () => "Dec  4 10:00:00." + pumped("1", n),
      () => "2026-12-04T10:00:00." + pumped("1", n),
      () => "<1>1 a b c d e " + pumped("[a", n),
      () => "<1>1 a b c d e [" + pumped("\\]", n),
      () => '1.2.3.4 - - [x y] "GET /' + pumped("%2", n) + ' HTTP/1.1" 404 1',
      () => '1.2.3.4 - - [x y] "GET /' + pumped("union+", n) + ' HTTP/1.1" 200 1',
      () => '1.2.3.4 - - [x y] "GET /' + pumped("..", n) + ' HTTP/1.1" 403 1',
      () => pumped(" ", n),
      () => pumped("\t", n),
      () => pumped("0", n),
      () => pumped("1.", n),
      () => pumped(":", n),
    ])();
  };

  const shapes: [string, number, () => string][] = [
    ["random-bytes-utf8", 8, () => bytes(400).toString("utf8")],
    ["random-bytes-latin1", 4, () => bytes(400).toString("latin1")],
    ["noise", 6, () => noise(300)],
    ["access", 14, () => access()],
    ["access-mutated", 10, () => {
      let l = access();
      for (let k = 1 + int(4); k > 0; k--) {
        const i = int(l.length + 1);
        l = pick([() => l.slice(0, i) + noise(3) + l.slice(i + 1), () => l.slice(0, i) + l.slice(i + 1 + int(5)), () => l.slice(0, i) + pick(['"', "\\", "[", "]", " ", "\u0000"]) + l.slice(i)])();
      }
      return l;
    }],
    ["access-truncated", 4, () => access().slice(0, int(160))],
    ["nul", 4, () => access().replace(/ /g, () => (chance(0.3) ? "\u0000" : " "))],
    ["surrogates", 4, () => access().replace(/[a-z]/g, (c) => (chance(0.2) ? pick(["\ud800", "\udfff", "\udc00\ud800", "\ud83d"]) : c))],
    ["syslog", 10, () => syslogHeader() + pick([access, json, arLine, () => noise(80)])()],
    ["json", 8, json],
    ["long-ip", 6, () => pick([() => access(longIp()), () => `{"srcip":${JSON.stringify(longIp())}}`, () => `[Mon Dec 04 14:35:01 2026] [error] [client ${longIp()}] x`])()],
    ["apache-error", 6, errorLog],
    ["active-response", 5, arLine],
    ["redos", 3, redos],
    ["huge", 0.5, () => (chance(0.02) ? pumped(access(pick(GOOD_IPS)) + "\n", 1024 * 1024) : pumped(pick([access(pick(GOOD_IPS)), noise(50), "x"]), MAX_LINE))],
  ];
  const total = shapes.reduce((n, [, weight]) => n + weight, 0);
  return {
    next() {
      let r = random() * total;
      for (const [shape, weight, make] of shapes) {
        r -= weight;
        if (r < 0) return { shape, line: make() };
      }
      const [shape, , make] = shapes[0];
      return { shape, line: make() };
    },
  };
}
