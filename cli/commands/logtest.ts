// `tld logtest`: the rule author's tool, like wazuh-logtest. Log lines on stdin go through exactly what the
// pipeline runs (the decoder stage's decodeEvent, the matcher stage's event model and rule engine), with list
// files read from disk into memory and frequency state in memory: no Kafka, no Redis.
import { createInterface } from "node:readline";
import { Command, Option } from "commander";
import { loadConfig, type TldConfig } from "../../lib/config.js";
import { rulesetPaths, RulesetPathError, type RulesetPaths } from "../../lib/manager.js";
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import { InMemoryListStore } from "../../lib/lists/memory.js";
import { bareListName } from "../../lib/lists/lookup.js";
import { decodeEvent, loadDecoderEngine } from "../../services/decoder/decode.js";
import { DecoderLoadError, type DecoderEngine } from "../../services/decoder/wazuh/index.js";
import { createMatcher, loadRuleEngine, type Matcher } from "../../services/matcher/match.js";
import { loadListFiles, RuleLoadError, type RuleEngine, type RuleMatch } from "../../services/matcher/rules/index.js";
import { preDecode } from "../../lib/wazuh/predecode.js";
import { UserError } from "../output.js";

interface LogtestOptions {
  json?: boolean;
  home?: string;
  decoderDir: string[];
  ruleDir: string[];
  defaultRuleset: boolean;
  logFormat: string;
  location: string;
}

/** One line's result as `--json` prints it. */
export interface LogtestResult {
  decoder: { name: string; parent: string | null } | null;
  fields: Record<string, string>;
  rule: { id: string; level: number; description: string; groups: string[] } | null;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerLogtestCommand(program: Command): void {
  program
    .command("logtest")
    .description("try log lines against the decoders and rules: which decoder, which fields, which rule (like wazuh-logtest)")
    .option("--json", "print one JSON object per input line: {decoder, fields, rule}")
    .option("--home <dir>", "manager home whose etc/decoders, etc/rules and etc/lists/* are used (default: TLD_HOME)")
    .option("--decoder-dir <dir>", "another Wazuh-style decoder directory, read after the configured ones (repeatable)", collect, [])
    .option("--rule-dir <dir>", "another Wazuh-style rule directory, read after the configured ones (repeatable)", collect, [])
    .option("--no-default-ruleset", "leave the stock decoders and rules (ruleset/) out")
    .addOption(new Option("--log-format <format>", "log format recorded with each line (decoding goes by content, as in Wazuh)").choices(["apache", "nginx", "syslog", "json"]).default("syslog"))
    .option("--location <path>", "location (source file) recorded with each line, for <location> rules", "stdin")
    .addHelpText(
      "after",
      `
Reads log lines from stdin. For each it shows the pre-decoding (syslog header), the decoder and the fields it
extracted, and the rule the line ends on (id, level, description, groups), or that no rule matched.
"Alert to be generated" is shown when the rule's level reaches matcher.alertLevel.

Lists named by rules (e.g. etc/lists/blacklist-alienvault) are read from the home's etc/lists/ files (CDB
"key:value", ipset or plain, guessed like \`tld lists import\`); frequency rules count within one run.
A decoder or rule file that does not parse is reported with file and line, and the exit status is 1.

With --json, exactly one object per input line:
  {"decoder":{"name":"web-accesslog","parent":"web-accesslog"},"fields":{"srcip":"203.0.113.66",...},
   "rule":{"id":"100100","level":10,"description":"IP address found in AlienVault reputation database.","groups":["attack"]}}
"decoder" is null when no decoder knew the line, "rule" is null when no rule matched.

Example:
  echo '203.0.113.66 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10701 "-" "curl/7.81.0"' \\
    | tld logtest --home /srv/tld
  tld logtest --json --rule-dir ./my-rules < access.log`,
    )
    .action(async (options: LogtestOptions) => {
      const session = openSession(options);
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n++;
        const { decoded, match } = await session.test(line, n);
        if (options.json) process.stdout.write(JSON.stringify(toResult(decoded, match)) + "\n");
        else process.stdout.write(describe(decoded, match, session.alertLevel) + "\n");
      }
    });
}

interface LogtestSession {
  readonly alertLevel: number;
  test(line: string, n: number): Promise<{ decoded: DecodedEvent; match: RuleMatch | null }>;
}

function configFor(options: LogtestOptions): TldConfig {
  const env = { ...process.env };
  if (options.home !== undefined) {
    env.TLD_HOME = options.home;
    delete env.TLD_CONFIG; // the home's own etc/tld.yaml, if it has one
  }
  const config = loadConfig({ env });
  if (!options.defaultRuleset) config.ruleset.defaultRuleset = false;
  return config;
}

function openSession(options: LogtestOptions): LogtestSession {
  const config = configFor(options);
  let paths: RulesetPaths;
  try {
    paths = rulesetPaths(config, { decoderDirs: options.decoderDir, ruleDirs: options.ruleDir });
  } catch (err) {
    if (err instanceof RulesetPathError) throw new UserError(err.message);
    throw err;
  }
  const warn = (message: string) => process.stderr.write(`tld logtest: warning: ${message}\n`);
  let decoders: DecoderEngine;
  let rules: RuleEngine;
  const lists = new InMemoryListStore();
  try {
    decoders = loadDecoderEngine(paths);
    const { loaded } = loadListFiles(paths.lists, lists);
    for (const list of loaded) for (const e of list.errors) warn(`${list.file}:${e.line}: ${e.reason}; entry skipped`);
    rules = loadRuleEngine(paths, { lists });
  } catch (err) {
    if (err instanceof DecoderLoadError) throw new UserError(`decoder file error: ${err.message}`);
    if (err instanceof RuleLoadError) throw new UserError(`rule file error: ${err.message}`);
    throw err;
  }
  for (const warning of [...paths.warnings, ...rules.warnings]) warn(warning);
  for (const listPath of rules.referencedLists()) {
    if (!lists.has(listPath)) warn(`rules use list ${listPath}, which is not in ${config.home}/etc/lists: it matches nothing (${bareListName(listPath)})`);
  }
  const matcher: Matcher = createMatcher(rules, config.matcher.alertLevel);
  const startedAt = Date.now();
  return {
    alertLevel: config.matcher.alertLevel,
    async test(line, n) {
      const raw: RawEvent = {
        id: `logtest-${n}`,
        agent: { id: "000", name: "logtest", ip: null, os: null },
        location: options.location,
        logFormat: options.logFormat,
        message: line,
        // Lines are one millisecond apart, so frequency rules can be tried by pasting a burst.
        collectedAt: startedAt + n,
        receivedAt: startedAt + n,
      };
      const decoded = decodeEvent(decoders, raw);
      return { decoded, match: await matcher.evaluate(decoded) };
    },
  };
}

export function toResult(decoded: DecodedEvent, match: RuleMatch | null): LogtestResult {
  return {
    decoder: decoded.decoder === null ? null : { name: decoded.decoder, parent: decoded.parentDecoder },
    fields: decoded.fields,
    rule: match === null ? null : { id: match.id, level: match.level, description: match.description, groups: [...match.groups] },
  };
}

/** wazuh-logtest's three phases, so its users read it at once. */
function describe(decoded: DecodedEvent, match: RuleMatch | null, alertLevel: number): string {
  const pre = preDecode(decoded.message);
  const out: string[] = ["**Phase 1: Completed pre-decoding.", `\tfull event: '${pre.fullLog}'`];
  if (pre.timestamp !== undefined) out.push(`\ttimestamp: '${pre.timestamp}'`);
  if (pre.hostname !== undefined) out.push(`\thostname: '${pre.hostname}'`);
  if (pre.programName !== undefined) out.push(`\tprogram_name: '${pre.programName}'`);
  out.push("");
  if (decoded.decoder === null) {
    out.push("**Phase 2: No decoder matched.");
  } else {
    out.push("**Phase 2: Completed decoding.", `\tname: '${decoded.decoder}'`);
    if (decoded.parentDecoder !== null) out.push(`\tparent: '${decoded.parentDecoder}'`);
    for (const [name, value] of Object.entries(decoded.fields)) out.push(`\t${name}: '${value}'`);
  }
  out.push("");
  if (match === null) {
    out.push("**Phase 3: No rule matched.");
  } else {
    out.push(
      "**Phase 3: Completed filtering (rules).",
      `\tid: '${match.id}'`,
      `\tlevel: '${match.level}'`,
      `\tdescription: '${match.description}'`,
      `\tgroups: '${JSON.stringify(match.groups)}'`,
      `\tfiredtimes: '${match.firedtimes}'`,
    );
    if (match.alert && match.level >= alertLevel) out.push("**Alert to be generated.");
  }
  return out.join("\n") + "\n";
}
