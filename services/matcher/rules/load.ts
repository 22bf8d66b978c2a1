// The thin file layer for rules and lists: rule directories as Wazuh reads them (every *.xml, by name, directory
// by directory in the order given, excluded base names skipped), and list files read from disk. Everything else
// works on strings (parseRuleXml, parseListText).
import { readFileSync } from "node:fs";
import path from "node:path";
import { guessListFormat } from "../../../lib/lists/parse.js";
import { listXmlFiles, type RulesetFileOptions } from "../../../lib/wazuh/index.js";
import { InMemoryListStore, parseListText, type ListFormat, type ListParseError } from "./lists.js";
import { parseRuleXml, type RuleDefinition } from "./parse.js";

export function loadRuleFile(file: string): RuleDefinition[] {
  return parseRuleXml(readFileSync(file, "utf8"), file);
}

/** All rules of the given directories, in load order. Throws RuleLoadError (file and line) on a bad file. */
export function loadRuleDirs(dirs: readonly string[], options: RulesetFileOptions = {}): RuleDefinition[] {
  return dirs.flatMap((dir) => listXmlFiles(dir, options).flatMap(loadRuleFile));
}

export interface LoadedListFile {
  readonly listPath: string;
  readonly file: string;
  readonly entries: number;
  readonly errors: readonly ListParseError[];
}

/**
 * Reads list files into an in-memory store under the names rules use: `listPath` is how rules name the list
 * (e.g. "etc/lists/blacklist-alienvault"), `file` where it is on disk.
 */
export function loadListFiles(
  files: readonly { readonly listPath: string; readonly file: string; readonly format?: ListFormat }[],
  store: InMemoryListStore = new InMemoryListStore(),
): { store: InMemoryListStore; loaded: LoadedListFile[] } {
  const loaded = files.map(({ listPath, file, format }) => {
    const text = readFileSync(file, "utf8");
    // Guessed as `tld lists import` guesses it, so a file reads the same from disk and from Redis.
    const parsed = parseListText(text, format ?? guessListFormat(path.basename(file), text.slice(0, 64 * 1024)));
    store.replace(listPath, parsed.entries);
    return { listPath, file, entries: parsed.entries.length, errors: parsed.errors };
  });
  return { store, loaded };
}
