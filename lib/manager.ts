// The manager home (TLD_HOME), laid out like Wazuh's /var/ossec:
//   <package>/ruleset/decoders, <package>/ruleset/rules   stock content, shipped with the code (config
//                                                        ruleset.defaultRuleset); with the default home (the
//                                                        repository root) that is <home>/ruleset/ itself
//   <home>/etc/decoders, <home>/etc/rules                 the user's decoders and rules (local_rules.xml)
//   <home>/etc/lists                                      the user's list files (CDB text, ipset, plain)
//   <home>/etc/tld.yaml                                   the configuration; its `ruleset:` section is this
//                                                        module's input, in the spirit of Wazuh's <ruleset>
// This module only resolves which directories and files make up the ruleset; the decoder and the matcher build
// their engines from what it returns, so both (and `tld logtest`) read exactly the same files.
//
// Stock content lives with the package rather than in each home so that a home holds only what the user wrote
// (and `tld logtest --home DIR` works on a bare DIR/etc/), and so the stock rules always match the code's version.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT, type TldConfig } from "./config.js";

export const STOCK_DECODER_DIR = path.join(PACKAGE_ROOT, "ruleset", "decoders");
export const STOCK_RULE_DIR = path.join(PACKAGE_ROOT, "ruleset", "rules");

export interface ListFile {
  /** How rules name the list: the path relative to home, e.g. "etc/lists/blacklist-alienvault". */
  readonly listPath: string;
  /** Where it is on disk. */
  readonly file: string;
}

export interface RulesetPaths {
  readonly decoderDirs: readonly string[];
  readonly ruleDirs: readonly string[];
  readonly decoderExclude: readonly string[];
  readonly ruleExclude: readonly string[];
  readonly lists: readonly ListFile[];
  /** Configured places that do not exist: skipped, not fatal (a fresh home has no etc/decoders yet). */
  readonly warnings: readonly string[];
}

export interface RulesetExtras {
  /** More decoder / rule directories (absolute or relative to the working directory), read after the configured ones. */
  readonly decoderDirs?: readonly string[];
  readonly ruleDirs?: readonly string[];
}

/** A directory given explicitly (e.g. `tld logtest --rule-dir`) that is not there: the caller said it exists. */
export class RulesetPathError extends Error {
  constructor(readonly what: string, readonly dir: string) {
    super(`${what} ${dir} is not a directory`);
    this.name = "RulesetPathError";
  }
}

/** The defaults' places: a fresh home has none of them yet, which is normal and not worth a warning. */
const QUIETLY_OPTIONAL = new Set(["etc/decoders", "etc/rules", "etc/lists"]);

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** A list directory's files, recursively (Wazuh ships lists in subfolders); dotfiles and compiled .cdb skipped. */
function listFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name.endsWith(".cdb")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFilesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

/** How rules name a list file: relative to home with forward slashes when inside it, else as configured. */
function listPathOf(home: string, file: string, configured: string): string {
  const relative = path.relative(home, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return configured;
  return relative.split(path.sep).join("/");
}

/** The directories and list files the ruleset is made of, in load order. */
export function rulesetPaths(config: Pick<TldConfig, "home" | "ruleset">, extras: RulesetExtras = {}): RulesetPaths {
  const { home, ruleset } = config;
  const warnings: string[] = [];
  const configuredDirs = (dirs: readonly string[], what: string): string[] =>
    dirs
      .map((dir) => path.resolve(home, dir))
      .filter((dir, i) => {
        if (isDir(dir)) return true;
        if (!QUIETLY_OPTIONAL.has(dirs[i])) warnings.push(`${what} ${dir} does not exist; skipped`);
        return false;
      });
  const explicitDirs = (dirs: readonly string[] | undefined, what: string): string[] =>
    (dirs ?? []).map((dir) => {
      const resolved = path.resolve(dir);
      if (!isDir(resolved)) throw new RulesetPathError(what, resolved);
      return resolved;
    });
  const stockDecoders = ruleset.defaultRuleset ? [STOCK_DECODER_DIR] : [];
  const stockRules = ruleset.defaultRuleset ? [STOCK_RULE_DIR] : [];
  const lists: ListFile[] = [];
  for (const configured of ruleset.lists) {
    const target = path.resolve(home, configured);
    if (!existsSync(target)) {
      if (!QUIETLY_OPTIONAL.has(configured)) warnings.push(`list ${target} does not exist; skipped`);
      continue;
    }
    const files = statSync(target).isDirectory() ? listFilesUnder(target) : [target];
    for (const file of files) lists.push({ listPath: listPathOf(home, file, configured), file });
  }
  return {
    // A directory named twice (e.g. the default home's etc/ also given with --rule-dir) is read once.
    decoderDirs: unique([...stockDecoders, ...configuredDirs(ruleset.decoderDirs, "decoder directory"), ...explicitDirs(extras.decoderDirs, "decoder directory")]),
    ruleDirs: unique([...stockRules, ...configuredDirs(ruleset.ruleDirs, "rule directory"), ...explicitDirs(extras.ruleDirs, "rule directory")]),
    decoderExclude: ruleset.decoderExclude,
    ruleExclude: ruleset.ruleExclude,
    lists,
    warnings,
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
