// The peers side by side (issue 8, item 2): fail2ban and CrowdSec from Debian's packages, timed on this machine
// over the same seeded Apache combined log as the rest of the bench. `npm run bench` calls benchPeers() on its
// own log and stores the result as `peers` in bench/results/latest.json.
//
// Only this part (no stack needed):
//   npx tsc -p . && node dist/bench/peers.js [log] [lines]
//     log    an Apache combined log; when it does not exist it is written there by writeApacheLog (bench/logs.ts)
//            with `lines` lines (default: a temp file)
//     lines  the log's line count (default: counted in the file; 100000 for a generated log)
//   TLD_BENCH_PEER_BUDGET_S   wall-clock budget of each peer run in seconds (default 300)
//
// What runs:
//   fail2ban  `fail2ban-regex --print-no-missed <log> /etc/fail2ban/filter.d/apache-badbots.conf`, timed as a
//             whole command (spawn to exit). Why apache-badbots: it is the stock Apache filter written for the
//             access log (jail.conf points [apache-badbots] at apache_access_log); it finds the date in every
//             line and runs one failregex over the whole combined-format line. The other stock apache-* filters
//             (noscript, botsearch, overflows, nohome, shellshock, auth) read the *error* log: on an access log
//             their prefix fails within a few characters, which would time a no-op. --print-no-missed keeps
//             fail2ban-regex from holding every missed line in memory to print later.
//   CrowdSec  replay ("time machine") mode, `crowdsec -c <agent.yaml> -dsn file://<log> -type apache2 -no-api`,
//             with a private config in a temp dir: the linux and apache2 collections (with their parsers and
//             HTTP scenarios) and the whitelists parser, enabled from the offline hub Debian ships in
//             /usr/share/crowdsec/hub the way the package's postinst enables them (symlinks: `cscli install`
//             in 1.4.6 always fetches from the network). -no-api means "no LAPI in this process", yet the agent
//             must log in to a LAPI to start, so a LAPI-only `crowdsec -no-cs` of our own runs meanwhile on a free
//             loopback port with a temp database, and is stopped afterwards; no CAPI. Its Prometheus endpoint
//             (also on a free loopback port) is scraped during the run to prove lines were parsed.
//             If the budget runs out first, the figure is the lines its parsers had taken by the last scrape
//             divided by the time to that scrape, and `crowdsec_complete` is false.
// Nothing of theirs is copied into the repository; their configs live in a temp dir removed afterwards.
import { once } from "node:events";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, copyFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import cliProgress from "cli-progress";
import YAML from "yaml";
import { debianVersion, dpkgStatus, ensureDebianPackages } from "../lib/debian.js";
import { writeApacheLog } from "./logs.js";

const run = promisify(execFile);

export const FAIL2BAN_FILTER = "/etc/fail2ban/filter.d/apache-badbots.conf";
const CROWDSEC_OFFLINE_HUB = "/usr/share/crowdsec/hub";
const CROWDSEC_DATA = "/usr/share/crowdsec/data";
const CROWDSEC_ETC = "/etc/crowdsec";
/** Debian's README: a comment in this file before the package is configured skips Central API registration. */
const CROWDSEC_CAPI_CREDENTIALS = "/etc/crowdsec/online_api_credentials.yaml";
/** What an Apache box gets from Debian's package on install (its third default, nginx, has nothing to read here). */
const CROWDSEC_ITEMS: readonly [HubKind, string][] = [
  ["collections", "crowdsecurity/linux"],
  ["collections", "crowdsecurity/apache2"],
  ["parsers", "crowdsecurity/whitelists"],
];
const METRICS_EVERY_MS = 500;

export interface PeerFigures {
  fail2ban_lines_per_s: number | null;
  crowdsec_lines_per_s: number | null;
  fail2ban_filter: string;
  fail2ban_version: string | null;
  crowdsec_version: string | null;
  notes: string[];
  log_lines: number;
  fail2ban_seconds: number | null;
  crowdsec_seconds: number | null;
  /** Lines CrowdSec got through: all of them, unless its budget ran out (then crowdsec_complete is false). */
  crowdsec_lines: number | null;
  crowdsec_complete: boolean;
  load_average_1m: number;
}

type Log = (line: string) => void;

function budgetSeconds(): number {
  const raw = process.env.TLD_BENCH_PEER_BUDGET_S;
  const seconds = raw === undefined ? 300 : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`TLD_BENCH_PEER_BUDGET_S must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return seconds;
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** Times fail2ban and CrowdSec over `log` (`lines` lines). A peer that cannot run gets null and a note saying why. */
export async function benchPeers(log: string, lines: number, say: Log = (l) => console.error(`[peers] ${l}`)): Promise<PeerFigures> {
  const budget = budgetSeconds();
  const figures: PeerFigures = {
    fail2ban_lines_per_s: null,
    crowdsec_lines_per_s: null,
    fail2ban_filter: FAIL2BAN_FILTER,
    fail2ban_version: null,
    crowdsec_version: null,
    notes: [],
    log_lines: lines,
    fail2ban_seconds: null,
    crowdsec_seconds: null,
    crowdsec_lines: null,
    crowdsec_complete: false,
    load_average_1m: round(loadavg()[0], 2),
  };
  const note = (text: string) => {
    figures.notes.push(text);
    say(text);
  };
  note(`taken on a shared machine: load average ${figures.load_average_1m} on ${cpus().length} cores when the peers started; each peer ran once, one after the other`);
  try {
    await installPeers(say, note);
  } catch (e) {
    note(`peers not measured: ${(e as Error).message}`);
    return figures;
  }
  figures.fail2ban_version = await debianVersion("fail2ban");
  figures.crowdsec_version = await debianVersion("crowdsec");

  try {
    const f2b = await timeFail2ban(log, lines, budget, say);
    figures.fail2ban_seconds = round(f2b.seconds, 2);
    figures.fail2ban_lines_per_s = Math.round(lines / f2b.seconds);
    note(
      `fail2ban ${figures.fail2ban_version}: fail2ban-regex read ${f2b.read.toLocaleString("en")} lines (${f2b.matched} matched the stock apache-badbots filter, the rest scanned and missed) ` +
        `in ${figures.fail2ban_seconds} s wall clock (its own "processed in" says ${f2b.processedSeconds} s). apache-badbots is the stock Apache filter for the access log; the other apache-* filters read the error log and would stop at each line's first characters`,
    );
  } catch (e) {
    note(`fail2ban not measured: ${(e as Error).message}`);
  }

  try {
    const cs = await timeCrowdsec(log, lines, budget, say);
    figures.crowdsec_seconds = round(cs.seconds, 2);
    figures.crowdsec_lines = cs.lines;
    figures.crowdsec_complete = cs.complete;
    figures.crowdsec_lines_per_s = Math.round(cs.lines / cs.seconds);
    note(
      `crowdsec ${figures.crowdsec_version}: replay of ${cs.complete ? "the whole log" : `the log stopped by the ${budget} s budget`}, ${cs.lines.toLocaleString("en")} lines in ${figures.crowdsec_seconds} s; ` +
        `${cs.complete ? `its metrics ${cs.metricsAgoMs} ms before it exited` : "its metrics at the last scrape"}: ${cs.last.read.toLocaleString("en")} lines read, ${cs.last.parsedOk.toLocaleString("en")} parsed (${cs.last.parsedKo} unparsed), ` +
        `${cs.last.apacheOk.toLocaleString("en")} by crowdsecurity/apache2-logs, ${cs.last.poured.toLocaleString("en")} pours into its ${cs.scenarios} scenarios' buckets`,
    );
    for (const n of cs.notes) note(n);
  } catch (e) {
    note(`crowdsec not measured: ${(e as Error).message}`);
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------- installing

async function installPeers(say: Log, note: Log): Promise<void> {
  const root = process.getuid?.() === 0;
  if (root && (await dpkgStatus("crowdsec")) !== "ii") {
    // Without this, the package's postinst tries to register with CrowdSec's Central API; offline that fails and
    // leaves the package half-configured (every later apt-get run would retry and fail). An empty file is the
    // mark of such a failed try, so it is filled too.
    const empty = !existsSync(CROWDSEC_CAPI_CREDENTIALS) || statSync(CROWDSEC_CAPI_CREDENTIALS).size === 0;
    if (empty) {
      mkdirSync(CROWDSEC_ETC, { recursive: true });
      writeFileSync(CROWDSEC_CAPI_CREDENTIALS, "# no Central API: written by ThreatLockDown's bench/peers.ts before installing crowdsec (see README.Debian)\n");
      note(`wrote a comment into ${CROWDSEC_CAPI_CREDENTIALS} so crowdsec installs without registering with its Central API (Debian's documented opt-out)`);
    }
  }
  const before = peerDaemonPids();
  let installed: string[];
  try {
    installed = await ensureDebianPackages(["fail2ban", "crowdsec"], "the peers benchmark", say);
  } catch (e) {
    const hint = root ? "" : `; on a machine without internet first put a comment line in ${CROWDSEC_CAPI_CREDENTIALS} (see crowdsec's README.Debian)`;
    throw new Error(`${(e as Error).message}${hint}`);
  }
  if (installed.length > 0) note(`installed ${installed.join(", ")} from Debian's packages`);
  // Daemons the install started (with systemd, or without policy-rc.d) would hold ports and, for fail2ban, ban
  // addresses: stop the ones that were not running before.
  const started = [...peerDaemonPids()].filter((pid) => !before.has(pid));
  if (started.length === 0) return;
  if (existsSync("/run/systemd/system")) {
    await run("systemctl", ["stop", "crowdsec.service", "fail2ban.service"], { timeout: 60_000 }).catch(() => undefined);
  }
  for (const pid of started) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone (systemctl stopped it) */
    }
  }
  note(`stopped the daemon(s) the install started (pids ${started.join(", ")}): the bench runs its own copies only while measuring`);
}

/** Pids of running crowdsec and fail2ban-server processes, from /proc. */
function peerDaemonPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.some((arg, i) => (i === 0 && path.basename(arg) === "crowdsec") || path.basename(arg) === "fail2ban-server")) pids.add(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------- fail2ban

interface Fail2banRun {
  seconds: number;
  read: number;
  matched: number;
  processedSeconds: number | null;
}

async function timeFail2ban(log: string, lines: number, budget: number, say: Log): Promise<Fail2banRun> {
  if (!existsSync(FAIL2BAN_FILTER)) throw new Error(`${FAIL2BAN_FILTER} is missing (the fail2ban package ships it)`);
  const args = ["--print-no-missed", log, FAIL2BAN_FILTER];
  say(`fail2ban-regex ${args.join(" ")} (budget ${budget} s)`);
  const started = performance.now();
  const { stdout } = await run("fail2ban-regex", args, { timeout: budget * 1000, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }).catch((e: Error & { killed?: boolean }) => {
    throw new Error(e.killed ? `fail2ban-regex did not finish within the ${budget} s budget` : `fail2ban-regex failed: ${e.message.slice(0, 500)}`);
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = fail2banSummary(stdout);
  if (summary.read !== lines) throw new Error(`fail2ban-regex read ${summary.read} lines of ${lines}: its figure would not be of this log`);
  return { seconds, ...summary };
}

/** The counts at the end of fail2ban-regex's report ("Lines: N lines, I ignored, M matched, K missed"). */
export function fail2banSummary(stdout: string): Omit<Fail2banRun, "seconds"> {
  const counts = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(stdout);
  if (!counts) throw new Error(`fail2ban-regex printed no "Lines:" summary:\n${stdout.slice(-500)}`);
  const processed = /\[processed in ([\d.]+) sec\]/.exec(stdout);
  return { read: Number(counts[1]), matched: Number(counts[3]), processedSeconds: processed ? Number(processed[1]) : null };
}

// ---------------------------------------------------------------------------------------------- CrowdSec

type HubKind = "collections" | "parsers" | "scenarios" | "postoverflows";
interface HubItem {
  path: string;
  stage?: string;
  parsers?: string[] | null;
  scenarios?: string[] | null;
  collections?: string[] | null;
  postoverflows?: string[] | null;
}
type HubIndex = Record<HubKind, Record<string, HubItem>>;

/**
 * Enables an item and what it needs in `configDir` as cscli's enable (and Debian's postinst) do: a symlink
 * <kind>/[<stage>/]<file> to the item in the offline hub.
 */
function enableFromOfflineHub(index: HubIndex, configDir: string, kind: HubKind, name: string, done: Set<string>): void {
  if (done.has(`${kind}/${name}`)) return;
  done.add(`${kind}/${name}`);
  const item = index[kind]?.[name];
  if (!item) throw new Error(`${kind} ${name} is not in the offline hub ${CROWDSEC_OFFLINE_HUB}`);
  const target = path.join(CROWDSEC_OFFLINE_HUB, item.path);
  if (!existsSync(target)) throw new Error(`the offline hub's index names ${target}, which is missing`);
  const link = path.join(configDir, kind, item.stage ?? "", path.basename(item.path));
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(target, link);
  for (const sub of ["parsers", "scenarios", "postoverflows", "collections"] as const) {
    for (const child of item[sub] ?? []) enableFromOfflineHub(index, configDir, sub, child, done);
  }
}

interface CrowdsecConfigs {
  agentConfig: string;
  lapiConfig: string;
  lapiPort: number;
  metricsPort: number;
  notes: string[];
}

async function writeCrowdsecConfigs(dir: string): Promise<CrowdsecConfigs> {
  for (const needed of [CROWDSEC_OFFLINE_HUB, CROWDSEC_DATA, path.join(CROWDSEC_ETC, "patterns"), path.join(CROWDSEC_ETC, "profiles.yaml")]) {
    if (!existsSync(needed)) throw new Error(`${needed} is missing: Debian's crowdsec package ships it`);
  }
  const notes: string[] = [];
  const configDir = path.join(dir, "etc");
  const dataDir = path.join(dir, "data");
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  for (const kind of ["collections", "parsers", "scenarios", "postoverflows"]) mkdirSync(path.join(configDir, kind), { recursive: true });
  symlinkSync(path.join(CROWDSEC_ETC, "patterns"), path.join(configDir, "patterns"));
  writeFileSync(path.join(configDir, "simulation.yaml"), "simulation: off\n");
  writeFileSync(path.join(configDir, "acquis.yaml"), ""); // the file to read comes from -dsn

  const index = JSON.parse(readFileSync(path.join(CROWDSEC_OFFLINE_HUB, ".index.json"), "utf8")) as HubIndex;
  const done = new Set<string>();
  for (const [kind, name] of CROWDSEC_ITEMS) enableFromOfflineHub(index, configDir, kind, name, done);

  // The scenarios' data files (user-agent lists, sensitive paths, ...). Debian ships the path-traversal list
  // under its upstream name, path_traversal.txt, while the scenario reads http_path_traversal.txt; missing, the
  // scenario logs an error (with every data file in it) on each HTTP line, which slows CrowdSec several times.
  for (const file of readdirSync(CROWDSEC_DATA)) copyFileSync(path.join(CROWDSEC_DATA, file), path.join(dataDir, file));
  if (!existsSync(path.join(dataDir, "http_path_traversal.txt")) && existsSync(path.join(dataDir, "path_traversal.txt"))) {
    copyFileSync(path.join(dataDir, "path_traversal.txt"), path.join(dataDir, "http_path_traversal.txt"));
    notes.push("crowdsec: Debian ships the path-traversal list as path_traversal.txt but crowdsecurity/http-path-traversal-probing reads http_path_traversal.txt; the bench gives it that name in its temp data dir (without it CrowdSec logs a huge error on every HTTP line and runs far slower)");
  }

  const lapiPort = await freeLoopbackPort();
  const metricsPort = await freeLoopbackPort();
  const credentials = path.join(configDir, "local_api_credentials.yaml");
  // Debian's own config.yaml, pointed at the temp dir: same parser routines (1), same Prometheus level (full).
  const common = {
    common: { daemonize: false, log_media: "stdout", log_level: "info", working_dir: "." },
    config_paths: {
      config_dir: configDir,
      data_dir: dataDir,
      simulation_path: path.join(configDir, "simulation.yaml"),
      hub_dir: CROWDSEC_OFFLINE_HUB,
      index_path: path.join(CROWDSEC_OFFLINE_HUB, ".index.json"),
    },
    crowdsec_service: { acquisition_path: path.join(configDir, "acquis.yaml"), parser_routines: 1 },
    cscli: { output: "human", color: "no" },
    db_config: { type: "sqlite", db_path: path.join(dataDir, "crowdsec.db"), use_wal: true },
  };
  const lapi = {
    ...common,
    api: {
      client: { credentials_path: credentials },
      server: { listen_uri: `127.0.0.1:${lapiPort}`, profiles_path: path.join(CROWDSEC_ETC, "profiles.yaml") },
    },
    prometheus: { enabled: false },
  };
  const agent = {
    ...common,
    api: { client: { credentials_path: credentials } },
    prometheus: { enabled: true, level: "full", listen_addr: "127.0.0.1", listen_port: metricsPort },
  };
  const lapiConfig = path.join(dir, "lapi.yaml");
  const agentConfig = path.join(dir, "agent.yaml");
  writeFileSync(lapiConfig, YAML.stringify(lapi));
  writeFileSync(agentConfig, YAML.stringify(agent));

  const cscli = (...args: string[]) => run("cscli", ["-c", lapiConfig, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  await cscli("machines", "add", "tld-bench", "--password", randomBytes(24).toString("hex"), "-f", credentials, "-u", `http://127.0.0.1:${lapiPort}/`, "--force");
  // --branch: without it cscli first asks the network which hub branch to use (nothing outside is reachable).
  const listed = JSON.parse((await cscli("--branch", "master", "collections", "list", "-o", "json")).stdout) as { collections?: { name: string; status: string }[] };
  const apache = listed.collections?.find((c) => c.name === "crowdsecurity/apache2");
  if (!apache || !apache.status.includes("enabled")) throw new Error(`cscli does not list crowdsecurity/apache2 as enabled in the bench's config (${JSON.stringify(listed.collections)})`);
  return { agentConfig, lapiConfig, lapiPort, metricsPort, notes };
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function tail(file: string, chars = 800): string {
  try {
    return readFileSync(file, "utf8").slice(-chars);
  } catch {
    return "";
  }
}

/** Stops a child we started: SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function spawnLogged(args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, "a");
  try {
    return spawn("crowdsec", args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

export interface CrowdsecSample {
  read: number;
  parsedOk: number;
  parsedKo: number;
  apacheOk: number;
  poured: number;
  /** Time its parsers took in all (cs_parsing_time_seconds_sum); the rest of its time goes to the scenarios' buckets. */
  parseSeconds: number;
}

/** Sums the CrowdSec counters the bench reads from a Prometheus text exposition. */
export function crowdsecSample(exposition: string): CrowdsecSample {
  const sample: CrowdsecSample = { read: 0, parsedOk: 0, parsedKo: 0, apacheOk: 0, poured: 0, parseSeconds: 0 };
  for (const line of exposition.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = "", raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === "cs_filesource_hits_total") sample.read += value;
    else if (name === "cs_parser_hits_ok_total") sample.parsedOk += value;
    else if (name === "cs_parser_hits_ko_total") sample.parsedKo += value;
    else if (name === "cs_bucket_poured_total") sample.poured += value;
    else if (name === "cs_parsing_time_seconds_sum") sample.parseSeconds += value;
    else if (name === "cs_node_hits_ok_total" && labels.includes('name="crowdsecurity/apache2-logs"')) sample.apacheOk += value;
  }
  return sample;
}

/** Its rate over the first and the second half of the run, from the scrapes: is the figure steady? */
export function steadiness(progress: readonly { at: number; taken: number }[], started: number): string {
  const end = progress.at(-1);
  if (!end || progress.length < 3) return "crowdsec: too few metrics scrapes to tell whether its rate was steady";
  const middle = progress.reduce((best, p) => (Math.abs(p.at - (started + end.at) / 2) < Math.abs(best.at - (started + end.at) / 2) ? p : best));
  const rate = (lines: number, ms: number) => Math.round(lines / (ms / 1000)).toLocaleString("en");
  return `crowdsec: ${rate(middle.taken, middle.at - started)} lines/s over the first half of the run (start-up included), ${rate(end.taken - middle.taken, end.at - middle.at)} lines/s over the second`;
}

interface CrowdsecRun {
  seconds: number;
  lines: number;
  complete: boolean;
  last: CrowdsecSample;
  metricsAgoMs: number;
  scenarios: number;
  notes: string[];
}

async function timeCrowdsec(log: string, lines: number, budget: number, say: Log): Promise<CrowdsecRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-bench-crowdsec-"));
  let lapi: ChildProcess | null = null;
  let agent: ChildProcess | null = null;
  try {
    const cfg = await writeCrowdsecConfigs(dir);
    const lapiLog = path.join(dir, "lapi.log");
    lapi = spawnLogged(["-c", cfg.lapiConfig, "-no-cs"], lapiLog);
    const lapiDeadline = Date.now() + 30_000;
    while (!(await portAnswers(cfg.lapiPort))) {
      if (lapi.exitCode !== null || Date.now() > lapiDeadline) throw new Error(`crowdsec's local API did not come up on 127.0.0.1:${cfg.lapiPort}:\n${tail(lapiLog)}`);
      await sleep(200);
    }

    const agentLog = path.join(dir, "agent.log");
    const args = ["-c", cfg.agentConfig, "-dsn", `file://${path.resolve(log)}`, "-type", "apache2", "-no-api"];
    say(`crowdsec ${args.join(" ")} (budget ${budget} s; local API on 127.0.0.1:${cfg.lapiPort}, metrics on 127.0.0.1:${cfg.metricsPort})`);
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: "crowdsec replay |{bar}| {value}/{total} lines | {rate} lines/s | {elapsed}s of {budget}s", stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
      : null;
    bar?.start(lines, 0, { rate: 0, elapsed: 0, budget });
    const started = performance.now();
    agent = spawnLogged(args, agentLog);
    const end: { at: number | null } = { at: null };
    const exited = once(agent, "exit").then(() => {
      end.at = performance.now();
    });
    let last: CrowdsecSample | null = null;
    let lastAt = started;
    const progress: { at: number; taken: number }[] = [];
    const deadline = started + budget * 1000;
    while (end.at === null && performance.now() < deadline) {
      const text = await fetch(`http://127.0.0.1:${cfg.metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => (r.ok ? r.text() : null),
        () => null, // not up yet, or already gone
      );
      if (text !== null && end.at === null) {
        last = crowdsecSample(text);
        lastAt = performance.now();
        progress.push({ at: lastAt, taken: last.parsedOk + last.parsedKo });
        const elapsed = (lastAt - started) / 1000;
        bar?.update(Math.min(lines, last.parsedOk + last.parsedKo), { rate: Math.round((last.parsedOk + last.parsedKo) / elapsed), elapsed: Math.round(elapsed), budget });
      }
      await Promise.race([sleep(METRICS_EVERY_MS), exited]);
    }
    bar?.stop();
    const endedAt = end.at;
    const complete = endedAt !== null;
    if (!complete) await stopChild(agent);
    const output = readFileSync(agentLog, "utf8");
    if (complete && (agent.exitCode !== 0 || !output.includes("Acquisition is finished"))) {
      throw new Error(`crowdsec ended (exit ${agent.exitCode ?? agent.signalCode}) without finishing the file:\n${tail(agentLog)}`);
    }
    if (!last) throw new Error(`crowdsec's metrics on 127.0.0.1:${cfg.metricsPort} never answered, so nothing shows it parsed the log:\n${tail(agentLog)}`);
    if (last.apacheOk === 0 || last.parsedOk === 0) throw new Error(`crowdsec ran but its parsers took no line (metrics: ${JSON.stringify(last)}): its figure would be of a no-op`);
    const notes = [...cfg.notes];
    const taken = last.parsedOk + last.parsedKo;
    if (last.parsedKo > taken * 0.01) notes.push(`crowdsec: ${last.parsedKo} of ${taken} lines failed its parsers`);
    const scenarios = Number(/Loaded (\d+) scenarios/.exec(output)?.[1] ?? 0);
    notes.push(steadiness(progress, started));
    notes.push(`crowdsec: its parsers' own time was ${round(last.parseSeconds, 1)} s in all (cs_parsing_time_seconds_sum), against the run's wall clock above; the rest goes to reading the file and to pouring each event into the leaky buckets of its ${scenarios} scenarios (a bucket per source address and scenario)`);
    const errors = output.split("\n").filter((l) => l.includes("level=error") && !l.includes("GeoLite2")).length;
    if (errors > 0) notes.push(`crowdsec logged ${errors} error lines during the run (see its log: run this part alone to keep it)`);
    if (endedAt !== null) {
      return { seconds: (endedAt - started) / 1000, lines, complete, last, metricsAgoMs: Math.round(endedAt - lastAt), scenarios, notes };
    }
    notes.push(`crowdsec did not finish ${lines.toLocaleString("en")} lines within the ${budget} s budget (TLD_BENCH_PEER_BUDGET_S): its rate is the ${taken.toLocaleString("en")} lines its parsers had taken at the last metrics scrape over the ${round((lastAt - started) / 1000, 1)} s since it started`);
    return { seconds: (lastAt - started) / 1000, lines: taken, complete, last, metricsAgoMs: 0, scenarios, notes };
  } finally {
    if (agent) await stopChild(agent);
    if (lapi) await stopChild(lapi);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- reporting

/** Our end-to-end figure to set against the peers: e2e_events_per_s once the bench has it, else replay → decoded. */
export function ourFigure(figures: Record<string, unknown>): { key: string; perSecond: number } | null {
  for (const key of ["e2e_events_per_s", "replay_to_decoded_lines_per_s"]) {
    const value = figures[key];
    if (typeof value === "number" && value > 0) return { key, perSecond: value };
  }
  return null;
}

/** Table rows (name, value, note) for the peers and the ratio of our figure to each. */
export function peerRows(peers: PeerFigures, ours: { key: string; perSecond: number } | null): [string, string, string][] {
  const rows: [string, string, string][] = [];
  const stand = ours ? (ours.key === "e2e_events_per_s" ? "ours = e2e_events_per_s" : `ours = ${ours.key} (e2e_events_per_s not in this run yet)`) : "no figure of ours to compare";
  const peer = (name: string, perSecond: number | null, detail: string, aim: number, label: string) => {
    if (perSecond === null) {
      const why = peers.notes.find((n) => n.startsWith(`${label} not measured`) || n.startsWith("peers not measured")) ?? "";
      rows.push([name, "not measured", why.replace(/^[^:]*: /, "")]);
      return;
    }
    rows.push([name, `${perSecond.toLocaleString("en")} lines/s`, detail]);
    if (ours) rows.push([`  ratio ours ÷ ${label}`, (ours.perSecond / perSecond).toFixed(2), `${stand}; aim ≥ ${aim.toFixed(2)}`]);
  };
  peer(
    "fail2ban-regex, stock apache-badbots",
    peers.fail2ban_lines_per_s,
    `same log, ${peers.log_lines.toLocaleString("en")} lines in ${peers.fail2ban_seconds} s; fail2ban ${peers.fail2ban_version}`,
    1,
    "fail2ban",
  );
  peer(
    "crowdsec replay, apache2 collections",
    peers.crowdsec_lines_per_s,
    `same log, ${(peers.crowdsec_lines ?? 0).toLocaleString("en")}${peers.crowdsec_complete ? "" : ` of ${peers.log_lines.toLocaleString("en")}`} lines in ${peers.crowdsec_seconds} s; crowdsec ${peers.crowdsec_version}`,
    5,
    "crowdsec",
  );
  return rows;
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const chunk of createReadStream(file)) {
    for (const byte of chunk as Buffer) if (byte === 10) count++;
  }
  return count;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [logArg, linesArg] = process.argv.slice(2);
  if (linesArg !== undefined && !/^\d+$/.test(linesArg)) {
    console.error(`usage: node dist/bench/peers.js [log] [lines]  (lines must be a whole number, got ${JSON.stringify(linesArg)})`);
    process.exit(2);
  }
  let log = logArg;
  let lines = linesArg === undefined ? undefined : Number(linesArg);
  let generatedDir: string | null = null;
  if (!log || !existsSync(log)) {
    lines ??= 100_000;
    if (!log) {
      generatedDir = mkdtempSync(path.join(tmpdir(), "tld-bench-peers-"));
      log = path.join(generatedDir, "access.log");
    }
    console.error(`[peers] generating ${lines} seeded Apache lines in ${log}`);
    await writeApacheLog(log, lines);
  }
  lines ??= await countLines(log);
  try {
    const peers = await benchPeers(log, lines);
    const rows = peerRows(peers, null);
    const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
    console.log("");
    for (const [name, value, note] of rows) console.log(`${name.padEnd(width[0])}  ${value.padStart(width[1])}  ${note}`);
    console.log(`\n${JSON.stringify(peers, null, 2)}`);
  } finally {
    if (generatedDir) rmSync(generatedDir, { recursive: true, force: true });
  }
}
