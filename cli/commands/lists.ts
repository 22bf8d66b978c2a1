// `tld lists …`: reputation lists in Redis, the ones rules query with <list lookup="address_match_key">.
// The work is in lib/lists/; this file is the user interface.
import { stat } from "node:fs/promises";
import path from "node:path";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { loadConfig } from "../../lib/config.js";
import { redactUrl } from "../../stack/net.js";
import { parseIp } from "../../lib/ip.js";
import {
  importListFile,
  LIST_FORMATS,
  listName,
  ListNameError,
  parseListLine,
  RedisListStore,
  RedisUnavailableError,
  UnknownListError,
  type ListFormat,
  type ListParseError,
  type ParsedEntry,
} from "../../lib/lists/index.js";
import { printJson, table, UserError } from "../output.js";

/** Malformed lines printed one by one; past this only their count (a wrong --format would flood the terminal). */
const MALFORMED_SHOWN = 50;

const FORMATS_HELP = `
List formats (--format; guessed when omitted: .ipset/.netset → ipset, key:value lines → cdb, only IPs/CIDRs → ipset,
anything else → plain):
  ipset   FireHOL / AlienVault feeds: one IP or CIDR per line, '#' comments (also after an entry)
            # AlienVault reputation
            203.0.113.66
            198.18.0.0/22        # a whole /22
            2001:db8::/32
  cdb     Wazuh CDB text: key:value per line, or key alone; quote keys holding ':' (IPv6)
            203.0.113.66:bad-actor
            10.1.:internal-scanner
            "2001:db8::/32":v6-net
            admin:
  plain   one key per line, '#' comments

Address lookups (rules' address_match_key, \`tld lists lookup\` of an IP) match the most specific entry covering
the IP: a single IP (/32, /128), a CIDR of ANY length (IPv4 /0-/32, IPv6 /0-/128), or a Wazuh prefix key:
  "10."  covers 10.0.0.0/8    "10.1."  covers 10.1.0.0/16    "10.1.2."  covers 10.1.2.0/24
Prefix keys count whole octets: "10.1." matches 10.1.44.5 but NOT 10.10.4.5. IPv4-mapped IPv6 (::ffff:a.b.c.d) is
the IPv4 address. Exact lookups (match_key, --exact) compare the key as written.

List names are how rules name the list without "etc/lists/": a rule's etc/lists/blacklist-alienvault is the list
blacklist-alienvault (either spelling works everywhere).`;

const say = (line: string) => process.stderr.write(`tld: ${line}\n`);

/** Opens the store from the configuration, runs fn, closes; Redis and name failures become clear errors. */
async function withStore<T>(fn: (store: RedisListStore) => Promise<T>): Promise<T> {
  const url = loadConfig().redis.url;
  let store: RedisListStore | undefined;
  try {
    store = await RedisListStore.open(url, { failFast: true });
    return await fn(store);
  } catch (err) {
    if (err instanceof RedisUnavailableError) throw unreachable(url, err.reason);
    if (err instanceof ListNameError) throw new UserError(err.message, 2);
    if (err instanceof UnknownListError) throw new UserError(`${err.message}; \`tld lists ls\` shows the lists there are`, 2);
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT") {
      throw unreachable(url, (err as Error).message);
    }
    throw err;
  } finally {
    await store?.close();
  }
}

function unreachable(url: string, reason: string): UserError {
  return new UserError(
    `cannot reach Redis at ${redactUrl(url)} (${reason}); start the local stack with \`tld up\` ` +
      "(or `tld up --only redis`), or point redis.url / TLD_REDIS_URL at your Redis",
    2,
  );
}

function checkedName(name: string): string {
  try {
    return listName(name);
  } catch (err) {
    throw new UserError((err as Error).message, 2);
  }
}

/** Entries given on the command line, parsed as lines of the list's format. */
function parseArgs(entries: readonly string[], format: ListFormat): ParsedEntry[] {
  return entries.map((text) => {
    if (/[\r\n]/.test(text)) throw new UserError(`an entry cannot hold a line break: ${JSON.stringify(text)}`, 2);
    const parsed = parseListLine(text, format);
    if (parsed === null) throw new UserError(`empty entry ${JSON.stringify(text)}`, 2);
    if ("error" in parsed) throw new UserError(`${JSON.stringify(text)} is not a valid ${format} entry: ${parsed.error}`, 2);
    return parsed;
  });
}

function defaultName(file: string): string {
  return path.basename(file).replace(/\.(ipset|netset|txt|list|cdb)$/i, "");
}

function formatOption(): Option {
  return new Option("--format <format>", "list format (guessed when omitted)").choices([...LIST_FORMATS]);
}

export function registerListsCommands(program: Command): void {
  const lists = program
    .command("lists")
    .summary("reputation lists in Redis: import, look up, add, remove, list")
    .description(
      "Reputation lists (IP feeds and Wazuh CDB lists) kept in Redis, where the matcher's rules query them. " +
        "Changes reach running matchers within a second, without a restart.",
    )
    .addHelpText("after", FORMATS_HELP);

  lists
    .command("import")
    .summary("import a list file (atomically replacing the list)")
    .description(
      "Import FILE as list NAME. A list that exists is replaced atomically: the new version is built beside the old " +
        "one, then readers switch to it at once (a lookup sees the old list or the new one, never a partial or missing " +
        "list), and running matchers pick it up without a restart. A malformed line is reported with its line number " +
        "and skipped; every other line is kept. The first of two entries for the same key or network wins.",
    )
    .argument("<file>", "list file: ipset, cdb text or plain")
    .option("--name <name>", "list name, as rules name it with or without etc/lists/ (default: the file's name)")
    .addOption(formatOption())
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `${FORMATS_HELP}

Examples:
  tld lists import alienvault_reputation.ipset --name blacklist-alienvault
  tld lists import etc/lists/blacklist-alienvault            # name from the file: blacklist-alienvault
  tld lists import internal.txt --name internal --format cdb`,
    )
    .action(async (file: string, opts: { name?: string; format?: ListFormat; json?: boolean }) => {
      const name = checkedName(opts.name ?? defaultName(file));
      const absolute = path.resolve(file);
      let size = 0;
      try {
        const st = await stat(absolute);
        if (!st.isFile()) throw new UserError(`${absolute} is not a file`, 2);
        size = st.size;
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`cannot read ${absolute}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, 2);
      }
      const started = Date.now();
      const malformed: ListParseError[] = [];
      let malformedCount = 0;
      const bar = process.stderr.isTTY && !opts.json
        ? new cliProgress.SingleBar(
            { format: `import ${name} |{bar}| {percentage}% | {value}/{total} MiB | eta {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
      const result = await withStore(async (store) => {
        bar?.start(Math.max(mib(size), 0.1), 0);
        try {
          return await importListFile(store, absolute, {
            name,
            format: opts.format,
            onMalformed: (e) => {
              malformedCount++;
              if (malformed.length < MALFORMED_SHOWN) malformed.push(e);
            },
            onProgress: (read) => bar?.update(mib(read)),
          });
        } catch (err) {
          if (err instanceof Error && /binary/.test(err.message)) throw new UserError(`${absolute}: ${err.message}`, 2);
          throw err;
        } finally {
          bar?.stop();
        }
      });
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      for (const e of malformed) say(`${absolute}:${e.line}: skipped, ${e.reason}: ${JSON.stringify(e.text.slice(0, 200))}`);
      if (malformedCount > malformed.length) say(`… and ${malformedCount - malformed.length} more malformed lines skipped`);
      if (opts.json) {
        printJson({ ...result, seconds, malformedLines: malformed });
        return;
      }
      const replaced = result.previousGeneration === null ? "new list" : `replaced generation ${result.previousGeneration}`;
      process.stdout.write(
        `imported ${result.entries} entries into ${result.name} (${result.format}, generation ${result.generation}, ${replaced}) ` +
          `from ${result.lines} lines in ${seconds} s` +
          (result.malformed ? `; ${result.malformed} malformed lines skipped` : "") +
          (result.duplicates ? `; ${result.duplicates} duplicates skipped` : "") +
          "\n",
      );
    });

  lists
    .command("lookup")
    .summary("does a list match an IP (or key)? exit 0 when it does, 1 when not")
    .description(
      "Look KEY up in list NAME the way rules do. An IP is matched against single IPs, CIDRs of any length and Wazuh " +
        "prefix keys (the most specific entry wins); anything else, or any key with --exact, must equal an entry's key. " +
        "Prints the matching entry as written and its value. Exit status: 0 match, 1 no match, 2 error (unknown list, " +
        "Redis unreachable).",
    )
    .argument("<name>", "list name")
    .argument("<key>", "IP address, or a key with --exact")
    .option("--exact", "exact key lookup (match_key) even when KEY is an IP")
    .option("--json", 'print {"list","key","kind","matched","entry","value"}')
    .addHelpText(
      "after",
      `
Examples:
  tld lists lookup blacklist-alienvault 203.0.113.66     # listed: prints the entry, exit 0
  tld lists lookup blacklist-alienvault 10.1.44.5        # matched by the prefix key "10.1."
  tld lists lookup users admin --exact`,
    )
    .action(async (nameArg: string, key: string, opts: { exact?: boolean; json?: boolean }) => {
      const name = checkedName(nameArg);
      const kind = opts.exact || parseIp(key) === null ? "exact" : "address";
      const match = await withStore(async (store) => {
        if (!(await store.info(name))) throw new UnknownListError(name);
        return (await store.matchMany([{ list: name, key, kind }]))[0];
      });
      if (opts.json) printJson({ list: name, key, kind, matched: match !== undefined, entry: match?.entry ?? null, value: match?.value ?? null });
      else if (match) process.stdout.write(`${key} is in ${name}: entry ${match.entry}${match.value !== "" ? `, value ${JSON.stringify(match.value)}` : ""}\n`);
      else process.stdout.write(`${key} is not in ${name}\n`);
      process.exitCode = match ? 0 : 1;
    });

  lists
    .command("add")
    .summary("add entries to a list (created when missing)")
    .description(
      "Add entries to list NAME, written as lines of the list's format (cdb for a new list): an IP, a CIDR, a prefix key " +
        "like 10.1., key:value, \"quoted:key\":value. An entry already there gets the new value. Running matchers see it at once.",
    )
    .argument("<name>", "list name")
    .argument("<entries...>", "entries")
    .addOption(formatOption())
    .addHelpText("after", `\nExamples:\n  tld lists add blacklist-alienvault 203.0.113.7 198.51.100.0/24 10.9.\n  tld lists add users admin:superuser`)
    .action(async (nameArg: string, entries: string[], opts: { format?: ListFormat }) => {
      const name = checkedName(nameArg);
      const { added, updated } = await withStore(async (store) => {
        const format = opts.format ?? ((await store.info(name))?.format || "cdb");
        return store.add(name, parseArgs(entries, format), format);
      });
      process.stdout.write(`${name}: ${added} added${updated ? `, ${updated} updated` : ""}\n`);
    });

  lists
    .command("remove")
    .summary("remove entries from a list")
    .description(
      "Remove entries from list NAME. An address entry is removed by its network however it was written " +
        "(1.2.3.4/32 removes 1.2.3.4); other keys as written. Exit 1 when some entry was not in the list.",
    )
    .argument("<name>", "list name")
    .argument("<entries...>", "entries (keys; a value after ':' is ignored)")
    .action(async (nameArg: string, entries: string[]) => {
      const name = checkedName(nameArg);
      const { removed, missing } = await withStore(async (store) => {
        const info = await store.info(name);
        if (!info) throw new UnknownListError(name);
        return store.remove(name, parseArgs(entries, info.format || "cdb"));
      });
      process.stdout.write(`${name}: ${removed} removed\n`);
      for (const key of missing) say(`${key} was not in ${name}`);
      if (missing.length) process.exitCode = 1;
    });

  lists
    .command("ls")
    .summary("show every list: entries, generation, when and from where it was imported")
    .option("--json", "print the lists as a JSON array")
    .action(async (opts: { json?: boolean }) => {
      const all = await withStore((store) => store.lists());
      if (opts.json) {
        printJson(all);
        return;
      }
      if (all.length === 0) {
        process.stdout.write("no lists yet; import one with `tld lists import FILE --name NAME`\n");
        return;
      }
      const rows = [["NAME", "ENTRIES", "GENERATION", "IMPORTED", "SOURCE"]];
      for (const l of all) rows.push([l.name, String(l.entries), String(l.generation), l.importedAt, l.source]);
      process.stdout.write(table(rows) + "\n");
    });

  lists
    .command("rm")
    .summary("delete a list")
    .argument("<name>", "list name")
    .action(async (nameArg: string) => {
      const name = checkedName(nameArg);
      const dropped = await withStore((store) => store.drop(name));
      if (!dropped) throw new UserError(`no list named ${JSON.stringify(name)}`, 2);
      process.stdout.write(`deleted ${name}\n`);
    });
}
