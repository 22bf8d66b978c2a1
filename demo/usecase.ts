// `tld demo`: the use case "blocking a known malicious actor", on this machine, with real parts only.
//   An attacker and a victim namespace joined by veth; Debian's Apache in the victim; an agent enrolled there and
//   tailing Apache's access log (the use case's <localfile>); the AlienVault list with the attacker appended, as
//   blacklist-alienvault; rule 100100 in etc/rules/local_rules.xml exactly as the use case writes it; firewall-drop
//   on 100100, location local, for the TTL. Then: request 1 passes, request 2 is dropped, the dashboard query
//   rule.id:(651 OR 100100) shows the attack and the block, and after the TTL a request passes again and 652 is
//   there. Every fact is established by a real request, the victim's own nftables ruleset, or the dashboard API.
//
// The manager side is the local stack (started if it is not running, and stopped again if this started it); the
// stack's responder is restarted with the use case's active-response entry for the run and gets its own
// configuration back after. The victim's agent reaches the manager through a collector instance on the lab's
// management link. Everything made here is removed on the way out, Ctrl-C included.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import YAML from "yaml";
import { loadConfig, TLD_BIN, type TldConfig } from "../lib/config.js";
import { ensureDebianPackages } from "../lib/debian.js";
import { dashboardApiToken, ensureEnrollmentPassword } from "../lib/secrets.js";
import { PART_NAMES, type PartName } from "../stack/part.js";
import { createContext, stackDown, stackUp } from "../stack/stack.js";
import { ensureApacheInstalled, startApache, type ApacheServer } from "./apache.js";
import { createLab, labUnavailable, type Lab } from "./lab.js";
import { nftBlocked, runAgentInVictim, startLabCollector, type RunningVictimAgent, type ServiceInstance } from "./victim.js";

const run = promisify(execFile);

/** The use case's custom rule, verbatim (the use case's step "Add a custom rule ... local_rules.xml"). */
export const RULE_100100 = `<group name="attack,">
  <rule id="100100" level="10">
    <if_group>web|attack|attacks</if_group>
    <list field="srcip" lookup="address_match_key">etc/lists/blacklist-alienvault</list>
    <description>IP address found in AlienVault reputation database.</description>
  </rule>
</group>
`;

export const DEMO_AGENT = "demo-ubuntu";
const LIST = "blacklist-alienvault";
/** How long a dropped request is given before it counts as dropped (a DROP rule gives no answer at all). */
const DROPPED_AFTER_MS = 3_000;

export interface DemoAlert {
  id?: string;
  timestamp?: string;
  rule: { id: string; level?: number; description?: string; groups?: string[] };
  agent: { id?: string; name: string; ip?: string | null };
  data: Record<string, unknown> & { srcip?: string };
  location?: string;
  full_log?: string;
}

export interface RequestResult {
  ok: boolean;
  status: number | null;
  ms: number;
  error: string | null;
}

export interface DemoResult {
  first_request_ok: boolean;
  second_request_blocked: boolean;
  after_ttl_request_ok: boolean;
  /** Found through the dashboard API with the use case's query rule.id:(651 OR 100100) for the demo agent. */
  alerts: DemoAlert[];
  /** Found through the dashboard API with rule.id:652 after the TTL. */
  unblock_alerts: DemoAlert[];
  /** From Apache writing the access-log line to the attacker's address being in the victim's nftables set. */
  line_to_block_ms: number | null;
  /** From the block going into the kernel to it being gone again (the TTL, kept by the kernel). */
  block_lasted_ms: number | null;
  ttl_seconds: number;
  attacker_ip: string;
  victim_ip: string;
  agent: { id: string; name: string };
  requests: { first: RequestResult; second: RequestResult; after_ttl: RequestResult };
  steps: { step: string; at_ms: number }[];
}

export interface DemoOptions {
  ttlSeconds: number;
  /** One line per step, for people (stderr when --json). */
  say: (line: string) => void;
  /** More attacker addresses (all listed), for measuring many blocks: see measureLineToBlock. */
  extraAttackers?: number;
}

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoError";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tld(...args: string[]): Promise<string> {
  try {
    return (await run(process.execPath, [TLD_BIN, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new DemoError(`tld ${args.join(" ")} failed: ${(e.stderr || e.message).trim()}`);
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** An HTTP GET from inside the attacker namespace, from `source` (one of its addresses); node, so no curl needed. */
export async function requestFrom(lab: Lab, url: string, source = lab.attacker.address): Promise<RequestResult> {
  const script = `const t=Date.now();const done=r=>{console.log(JSON.stringify({ms:Date.now()-t,...r}));process.exit(0)};
    const req=require("http").get(${JSON.stringify(url)},{localAddress:${JSON.stringify(source)},headers:{"user-agent":"curl/7.81.0"}},res=>{res.resume();res.on("end",()=>done({ok:res.statusCode<400,status:res.statusCode,error:res.statusCode<400?null:"HTTP "+res.statusCode}))});
    setTimeout(()=>done({ok:false,status:null,error:"no answer within ${DROPPED_AFTER_MS} ms (dropped)"}),${DROPPED_AFTER_MS});
    req.on("error",e=>done({ok:false,status:null,error:e.code??e.message}));`; // exit at once: a dropped SYN would keep node waiting
  const { stdout } = await lab.exec(lab.attacker, process.execPath, ["-e", script], { timeoutMs: DROPPED_AFTER_MS + 10_000 });
  return JSON.parse(stdout.trim()) as RequestResult;
}

/** The sample feed: AlienVault's .ipset layout (FireHOL comment header, one address per line), attacker last. */
function alienvaultFeed(attackers: readonly string[]): string {
  const lines = [
    "#",
    "# alienvault_reputation",
    "#",
    "# ipv4 hash:ip ipset",
    "#",
    "# AlienVault.com IP reputation database (a sample for this demo: documentation addresses only)",
    "#",
  ];
  for (let i = 1; i <= 40; i++) lines.push(`203.0.113.${i}`, `198.51.100.${i}`);
  lines.push("192.0.2.0/28");
  lines.push(...attackers); // the use case: echo "<ATTACKER_IP>" >> alienvault_reputation.ipset
  return lines.join("\n") + "\n";
}

interface DashboardApi {
  search(query: string): Promise<DemoAlert[]>;
}

function dashboardApi(config: TldConfig): DashboardApi {
  const base = `http://${config.dashboard.host === "0.0.0.0" ? "127.0.0.1" : config.dashboard.host}:${config.dashboard.port}`;
  const token = dashboardApiToken(config).value;
  return {
    async search(query) {
      const url = `${base}/api/alerts?${new URLSearchParams({ q: query, size: "100" })}`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new DemoError(`the dashboard answered ${res.status} to ${query}: ${await res.text()}`);
      return ((await res.json()) as { items: DemoAlert[] }).items;
    },
  };
}

/**
 * Watches the victim's nftables for the attacker's address with `nft monitor` (an event the moment the element
 * goes in), and says when it is gone again by listing the set (the kernel's timeout removes it without an event).
 */
function watchBlock(lab: Lab, ip: string) {
  const monitor = lab.spawn(lab.victim, "nft", ["monitor", "new", "elements"], { stdio: ["ignore", "pipe", "ignore"] });
  let blockedAt: number | null = null;
  let buffer = "";
  const pattern = new RegExp(`add element inet tld blocked4 \\{ ${ip.replace(/\./g, "\\.")}\\b`);
  monitor.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    if (blockedAt === null && pattern.test(buffer)) blockedAt = Date.now();
    buffer = buffer.slice(-4096);
  });
  return {
    blockedAt: () => blockedAt,
    stop: () => monitor.kill(),
    async liftedAt(timeoutMs: number): Promise<number> {
      return until("the kernel to lift the block", async () => ((await nftBlocked(lab)).includes(ip) ? undefined : Date.now()), timeoutMs, 50);
    },
  };
}

/** When the attacker's access-log line appeared in the file (polled every 2 ms from before the request). */
function watchAccessLog(file: string, ip: string) {
  let seenAt: number | null = null;
  let offset = existsSync(file) ? statSync(file).size : 0;
  const timer = setInterval(() => {
    if (seenAt !== null) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fresh = readFileSync(file).subarray(offset, size).toString();
    offset = size;
    if (fresh.split("\n").some((line) => line.startsWith(`${ip} `))) seenAt = Date.now();
  }, 2);
  return { seenAt: () => seenAt, stop: () => clearInterval(timer) };
}

/** The use case's setting, ready for requests: the manager configured, the lab, Apache and the agent running. */
export interface UseCase {
  readonly config: TldConfig;
  readonly lab: Lab;
  readonly apache: ApacheServer;
  readonly attacker: string;
  readonly agent: { id: string; name: string };
  readonly dashboard: DashboardApi;
  readonly steps: DemoResult["steps"];
  step(text: string): void;
  /** Throws once Ctrl-C (or SIGTERM) arrived, so a long wait ends early. */
  check(): void;
  /** Undoes everything, newest first; errors are reported, not thrown. */
  close(): Promise<void>;
}

export async function setUpUseCase(options: DemoOptions): Promise<UseCase> {
  const { ttlSeconds, say } = options;
  const t0 = Date.now();
  const steps: DemoResult["steps"] = [];
  const step = (text: string) => {
    steps.push({ step: text, at_ms: Date.now() - t0 });
    say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${text}`);
  };
  const unavailable = await labUnavailable();
  if (unavailable) throw new DemoError(`the demo makes network namespaces: ${unavailable}`);

  const cleanup: { what: string; run: () => Promise<unknown> }[] = [];
  const onExit = (what: string, fn: () => Promise<unknown>) => cleanup.unshift({ what, run: fn });
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    say("interrupted: cleaning up");
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const check = () => {
    if (interrupted) throw new DemoError("interrupted");
  };
  const close = async () => {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
    for (const { what, run: undo } of cleanup.splice(0)) {
      await undo().catch((err: Error) => say(`cleanup: ${what}: ${err.message}`));
    }
  };

  try {
    // --- The manager: the local stack, with the use case's rule, list and active response.
    let config = loadConfig();
    const ctx = createContext(config, (line) => say(`  stack: ${line}`));
    step("starting the manager (tld up: Kafka, registry, Redis, PostgreSQL, the services)");
    const up = await stackUp(ctx, [...PART_NAMES]);
    const startedHere = up.results.filter((r) => r.started).map((r) => r.status.name);
    if (startedHere.length > 0) onExit("stopping what the demo started", () => stackDown(createContext(loadConfig(), () => undefined), startedHere));
    check();

    await ensureDebianPackages(["nftables"], "the demo's victim firewall", (line) => step(line));
    await ensureApacheInstalled((line) => step(line));

    const rulesFile = path.join(config.home, "etc", "rules", "local_rules.xml");
    const restart: PartName[] = [];
    if (!existsSync(rulesFile) || !/<rule id="100100"/.test(readFileSync(rulesFile, "utf8"))) {
      mkdirSync(path.dirname(rulesFile), { recursive: true });
      writeFileSync(rulesFile, (existsSync(rulesFile) ? readFileSync(rulesFile, "utf8") + "\n" : "") + RULE_100100);
      step(`wrote rule 100100 into ${rulesFile} (as the use case writes it)`);
      restart.push("matcher");
    } else {
      step(`rule 100100 is in ${rulesFile}`);
    }

    // The responder gets the use case's <active-response> for this run: firewall-drop, location local, 100100.
    const work = mkdtempSync(path.join(tmpdir(), "tld-demo-"));
    chmodSync(work, 0o755); // Apache's workers (www-data) serve from inside it
    onExit(`removing ${work}`, async () => rmSync(work, { recursive: true, force: true }));
    const baseConfigFile = process.env.TLD_CONFIG ?? path.join(config.home, "etc", "tld.yaml");
    const base = existsSync(baseConfigFile) ? ((YAML.parse(readFileSync(baseConfigFile, "utf8")) as Record<string, unknown> | null) ?? {}) : {};
    const demoConfigFile = path.join(work, "tld.yaml");
    const activeResponse = { responses: [{ command: "firewall-drop", location: "local", rulesId: ["100100"], timeout: ttlSeconds }] };
    writeFileSync(demoConfigFile, YAML.stringify({ ...base, activeResponse }));
    const restartWith = async (names: PartName[], configFile: string | undefined) => {
      const saved = process.env.TLD_CONFIG;
      if (configFile) process.env.TLD_CONFIG = configFile;
      else delete process.env.TLD_CONFIG;
      try {
        const c = createContext(loadConfig(), () => undefined);
        await stackDown(c, names);
        await stackUp(c, names);
      } finally {
        if (saved === undefined) delete process.env.TLD_CONFIG;
        else process.env.TLD_CONFIG = saved;
      }
    };
    step(`active response: firewall-drop on rule 100100, location local, timeout ${ttlSeconds} s (the responder restarts with it)`);
    await restartWith(["responder", ...restart], demoConfigFile);
    onExit("giving the responder its own configuration back", () => (startedHere.includes("responder") ? Promise.resolve() : restartWith(["responder"], process.env.TLD_CONFIG)));
    config = loadConfig();
    check();

    // --- The endpoints: attacker and victim, Apache on the victim.
    const lab = await createLab({ name: `demo${process.pid % 10000}`, extraAttackers: options.extraAttackers ?? 0 });
    onExit("removing the namespaces", () => lab.destroy());
    step(`namespaces: attacker ${lab.attacker.address} (${lab.attacker.netns}) and victim ${lab.victim.address} (${lab.victim.netns}) over veth`);
    const apache: ApacheServer = await startApache(lab, lab.victim, path.join(work, "apache"));
    onExit("stopping Apache", () => apache.stop());
    step(`Apache (Debian's apache2) serves ${apache.url} in the victim; access log ${apache.accessLog}`);

    // --- The list: AlienVault's feed with the attacker appended.
    const attacker = lab.attacker.address;
    const listed = [attacker, ...lab.extraAttackerAddresses];
    const existing = JSON.parse(await tld("lists", "ls", "--json")) as { name: string; entries: number }[];
    if (existing.some((l) => l.name === LIST && l.entries > 0)) {
      await tld("lists", "add", LIST, ...listed);
      onExit(`removing the demo's addresses from ${LIST}`, () => tld("lists", "remove", LIST, ...listed));
      step(`${LIST} is already imported: appended the attacker ${attacker}${listed.length > 1 ? ` and ${listed.length - 1} more` : ""}`);
    } else {
      const feed = path.join(work, "alienvault_reputation.ipset");
      writeFileSync(feed, alienvaultFeed(listed));
      await tld("lists", "import", feed, "--name", LIST);
      onExit(`deleting the list ${LIST} the demo imported`, () => tld("lists", "rm", LIST));
      step(`imported ${feed} (AlienVault .ipset layout, the attacker ${attacker} appended) as ${LIST}`);
    }
    check();

    // --- The agent in the victim: enrolled through a collector on the management link, tailing Apache's log.
    const collector: ServiceInstance & { baseUrl: string } = await startLabCollector(lab);
    onExit("stopping the lab's collector", () => collector.stop());
    const agentDir = path.join(work, "agent");
    mkdirSync(agentDir, { recursive: true });
    const agentConfig = path.join(agentDir, "agent.yml");
    writeFileSync(
      agentConfig,
      YAML.stringify({
        manager: collector.baseUrl,
        name: DEMO_AGENT,
        state_dir: path.join(agentDir, "state"),
        groups: ["demo"],
        localfile: [{ location: apache.accessLog, log_format: "apache" }],
        active_response: { enforcer: "nftables" },
      }),
    );
    const passwordFile = path.join(agentDir, "enroll.pass");
    writeFileSync(passwordFile, ensureEnrollmentPassword(config) + "\n", { mode: 0o600 });
    const enrolled = JSON.parse(await tld("agent", "enroll", "--config", agentConfig, "--password-file", passwordFile, "--force", "--json")) as { id: string; name: string };
    onExit(`removing agent ${enrolled.id}`, () => tld("agents", "rm", enrolled.id));
    const agent: RunningVictimAgent = await runAgentInVictim(lab, { configFile: agentConfig });
    onExit("stopping the agent", () => agent.stop());
    step(`agent ${enrolled.id} (${DEMO_AGENT}) runs in the victim, tails the access log, enforces with nftables`);
    check();

    return { config, lab, apache, attacker, agent: { id: enrolled.id, name: DEMO_AGENT }, dashboard: dashboardApi(config), steps, step, check, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * One request from `source`, timed from Apache writing its access-log line to the address being in the victim's
 * nftables set; returns the block's watch too (to see it lifted).
 */
async function requestUntilBlocked(useCase: UseCase, source: string, timeoutMs = 30_000) {
  const blockWatch = watchBlock(useCase.lab, source);
  const lineWatch = watchAccessLog(useCase.apache.accessLog, source);
  try {
    await sleep(200); // the monitor is listening
    const request = await requestFrom(useCase.lab, useCase.apache.url, source);
    const blockedAt = await until(`the block of ${source} in the victim's kernel`, async () => blockWatch.blockedAt() ?? undefined, timeoutMs, 5);
    const lineAt = lineWatch.seenAt();
    return { request, blockedAt, lineToBlock: lineAt === null ? null : blockedAt - lineAt, liftedAt: (timeoutMs: number) => blockWatch.liftedAt(timeoutMs) };
  } finally {
    blockWatch.stop();
    lineWatch.stop();
  }
}

/**
 * Apache line -> block in the kernel for each of `sources` (extra attacker addresses of setUpUseCase): one after
 * another, or, with `spacingMs`, each started that long after the previous one without waiting for it (to
 * sample a period of load rather than wait it out). A block that does not come within `timeoutMs` is an error.
 */
export async function measureLineToBlock(useCase: UseCase, sources: readonly string[] = useCase.lab.extraAttackerAddresses, options: { spacingMs?: number; timeoutMs?: number } = {}): Promise<number[]> {
  const one = async (source: string) => {
    useCase.check();
    const { request, lineToBlock } = await requestUntilBlocked(useCase, source, options.timeoutMs);
    if (!request.ok) throw new DemoError(`the request from ${source} failed before any block: ${request.error}`);
    return lineToBlock;
  };
  const results: (number | null)[] = [];
  if (options.spacingMs === undefined) {
    for (const source of sources) results.push(await one(source));
  } else {
    const running: Promise<number | null>[] = [];
    for (const source of sources) {
      running.push(one(source));
      await sleep(options.spacingMs);
    }
    results.push(...(await Promise.all(running)));
  }
  return results.filter((t): t is number => t !== null);
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { ttlSeconds } = options;
  const useCase = await setUpUseCase(options);
  const { lab, apache, attacker, step, check, dashboard } = useCase;
  try {
    const { request: first, blockedAt, lineToBlock, liftedAt: watchLift } = await requestUntilBlocked(useCase, attacker);
    step(`request 1 from the attacker: ${first.ok ? `HTTP ${first.status} in ${first.ms} ms` : `failed (${first.error})`}`);
    step(`the attacker's address is in the victim's nftables set (inet tld blocked4)${lineToBlock === null ? "" : `, ${lineToBlock} ms after Apache wrote the access-log line`}`);
    const lifted = watchLift((ttlSeconds + 30) * 1000); // watched from now on, beside what follows
    lifted.catch(() => undefined);

    const second = await requestFrom(lab, apache.url);
    step(`request 2 from the attacker: ${second.ok ? `HTTP ${second.status} (NOT blocked)` : `dropped (${second.error})`}`);

    const query = `rule.id:(651 OR 100100) and agent.name:${DEMO_AGENT} and data.srcip:${attacker}`;
    const alerts = await until(
      `100100 and 651 in the dashboard (${query})`,
      async () => {
        const found = await dashboard.search(query);
        return found.some((a) => a.rule.id === "100100") && found.some((a) => a.rule.id === "651") ? found : undefined;
      },
      60_000,
      250,
    );
    for (const a of alerts) step(`dashboard: rule ${a.rule.id} (level ${a.rule.level}) ${a.rule.description} — agent ${a.agent.name}, srcip ${a.data.srcip}`);
    check();

    const liftedAt = await lifted;
    step(`the kernel lifted the block ${((liftedAt - blockedAt) / 1000).toFixed(1)} s after it went in (TTL ${ttlSeconds} s)`);
    const afterTtl = await requestFrom(lab, apache.url);
    step(`request 3 from the attacker, after the TTL: ${afterTtl.ok ? `HTTP ${afterTtl.status} in ${afterTtl.ms} ms` : `failed (${afterTtl.error})`}`);
    const unblockQuery = `rule.id:652 and agent.name:${DEMO_AGENT} and data.srcip:${attacker}`;
    const unblocks = await until(`652 in the dashboard (${unblockQuery})`, async () => {
      const found = await dashboard.search(unblockQuery);
      return found.length > 0 ? found : undefined;
    }, 60_000, 250);
    for (const a of unblocks) step(`dashboard: rule ${a.rule.id} ${a.rule.description}`);

    return {
      first_request_ok: first.ok,
      second_request_blocked: !second.ok && second.status === null,
      after_ttl_request_ok: afterTtl.ok,
      alerts,
      unblock_alerts: unblocks,
      line_to_block_ms: lineToBlock,
      block_lasted_ms: liftedAt - blockedAt,
      ttl_seconds: ttlSeconds,
      attacker_ip: attacker,
      victim_ip: lab.victim.address,
      agent: useCase.agent,
      requests: { first, second, after_ttl: afterTtl },
      steps: useCase.steps,
    };
  } finally {
    await useCase.close();
  }
}
