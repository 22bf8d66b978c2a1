// `tld alerts search`: Threat Hunting from a terminal, through the dashboard's API with its Bearer token.
import type { Command } from "commander";
import { loadConfig, type TldConfig } from "../../lib/config.js";
import { dashboardApiToken } from "../../lib/secrets.js";
import { connectHost, formatHostPort } from "../../stack/net.js";
import { printJson, UserError } from "../output.js";

interface AlertItem {
  id: string;
  timestamp: string;
  rule: { id: string; level: number; description: string };
  agent: { name: string };
  data: Record<string, string>;
}

interface SearchPage {
  items: AlertItem[];
  total: number;
  next: string | null;
}

const QUERY_HELP = `
Query language (as in the dashboard's search bar, DQL/Lucene style):
  rule.id:651                          a field's value (keyword fields exact, wildcards * and ?)
  rule.id:(651 OR 100100)              any of several values
  rule.id:100100 and agent.name:ubuntu and / or / not, any case, with parentheses; adjacent terms mean AND
  rule.level >= 10   rule.level:[5 TO 10]    comparisons and ranges ({ } exclude the bound, * is open)
  data.srcip:203.0.113.0/24            an IP field matches a CIDR
  rule.description:"reputation"        text fields (rule.description, full_log) match what they contain
  "Failed password"                    free text: full_log or rule.description
  data.url:*                           the field is present
Fields: id, timestamp, rule.id, rule.level, rule.description, rule.groups, rule.firedtimes, agent.id, agent.name,
agent.ip, decoder.name, location, full_log, data.<any decoded field>.

Times (--from, --to): 2026-12-04, 2026-12-04T10:00:00Z, epoch ms, now-15m, now-24h, now-7d.
The token is TLD_API_TOKEN (dashboard.apiToken), else the one the dashboard generated into <stateDir>/secrets/api.token.

Examples:
  tld alerts search 'rule.id:(651 OR 100100)'
  tld alerts search 'rule.id:100100 and agent.name:ubuntu' --from now-1h --json
  tld alerts search 'data.srcip:203.0.113.77' --size 500`;

function dashboardUrl(config: TldConfig): string {
  return `http://${formatHostPort({ host: connectHost(config.dashboard.host), port: config.dashboard.port })}`;
}

/** The query with a caret under the 0-based position the API named. */
export function caretUnder(query: string, position: number): string {
  const at = Math.max(0, Math.min(position, query.length));
  return `  ${query}\n  ${" ".repeat(at)}^`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export function alertsTable(items: readonly AlertItem[], columns = process.stdout.columns || 120): string {
  const head = ["TIME", "AGENT", "RULE", "LEVEL", "SRCIP", "DESCRIPTION"];
  const rows = items.map((a) => [a.timestamp.replace("T", " ").replace("Z", ""), a.agent.name, a.rule.id, String(a.rule.level), a.data.srcip ?? "", a.rule.description]);
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const used = widths.reduce((s, w) => s + w + 2, 0);
  const last = Math.max(10, columns - used);
  return [head, ...rows].map((r) => [...r.slice(0, -1).map((c, i) => c.padEnd(widths[i])), clip(r[r.length - 1], last)].join("  ").trimEnd()).join("\n");
}

export function registerAlertsCommands(program: Command): void {
  const alerts = program.command("alerts").summary("search the alerts in the dashboard's store").description("Threat Hunting from the terminal, through the dashboard API.");

  alerts
    .command("search")
    .summary("alerts matching a query, newest first")
    .description("Search the alert store through the dashboard's API (GET /api/alerts) with its Bearer token, and print a table (or the API's JSON).")
    .argument("<query>", "query, e.g. 'rule.id:(651 OR 100100)' (quote it for the shell); '' for every alert")
    .option("--from <time>", "start of the time range (inclusive)")
    .option("--to <time>", "end of the time range (exclusive)")
    .option("--size <n>", "alerts to print (1-1000)", "50")
    .option("--asc", "oldest first")
    .option("--url <url>", "the dashboard (default: dashboard.host and dashboard.port)")
    .option("--json", 'print the API\'s answer: {"items":[...],"total":N,"next":cursor|null}')
    .addHelpText("after", QUERY_HELP)
    .action(async (query: string, opts: { from?: string; to?: string; size: string; asc?: boolean; url?: string; json?: boolean }) => {
      const config = loadConfig();
      const size = Number(opts.size);
      if (!Number.isInteger(size) || size < 1 || size > 1000) throw new UserError(`--size must be a whole number from 1 to 1000, not ${opts.size}`, 2);
      const base = opts.url ?? dashboardUrl(config);
      const url = new URL("/api/alerts", base);
      url.searchParams.set("q", query);
      url.searchParams.set("size", String(size));
      if (opts.from) url.searchParams.set("from", opts.from);
      if (opts.to) url.searchParams.set("to", opts.to);
      if (opts.asc) url.searchParams.set("sort", "asc");
      const token = dashboardApiToken(config);
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization: `Bearer ${token.value}` }, signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        throw new UserError(`cannot reach the dashboard at ${base} (${(err as Error).cause ?? (err as Error).message}); start it with \`tld up\``, 2);
      }
      const body = (await res.json().catch(() => ({}))) as Partial<SearchPage> & { error?: string; position?: number };
      if (res.status === 401) {
        throw new UserError(`the dashboard refused the API token (${token.file ? `from ${token.file}` : "TLD_API_TOKEN / dashboard.apiToken"}): ${body.error ?? "unauthorized"}`, 2);
      }
      if (res.status === 400) {
        const where = body.position !== undefined ? `\n${caretUnder(query, body.position)}` : "";
        throw new UserError(`bad query: ${body.error ?? "refused"}${where}`, 2);
      }
      if (!res.ok) throw new UserError(`the dashboard answered ${res.status}: ${body.error ?? res.statusText}`);
      const page = body as SearchPage;
      if (opts.json) {
        printJson(page);
        return;
      }
      if (page.items.length === 0) {
        process.stdout.write(`no alerts match (${page.total} in total)\n`);
        return;
      }
      process.stdout.write(alertsTable(page.items) + "\n");
      process.stdout.write(`${page.items.length} of ${page.total} alert${page.total === 1 ? "" : "s"}${page.next ? "; more with --size or a narrower --from/--to" : ""}\n`);
    });
}
