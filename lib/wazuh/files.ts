// How Wazuh reads a ruleset directory (decoders and rules alike): every *.xml file, by name, minus excluded base
// names. Shared by the decoder and the matcher so both read a directory the same way.
import { readdirSync } from "node:fs";
import path from "node:path";

export interface RulesetFileOptions {
  /** File names (base names) to skip, like Wazuh's <decoder_exclude> / <rule_exclude>. */
  readonly exclude?: readonly string[];
}

/** The *.xml files of `dir`, sorted by name, minus excluded base names. A missing directory is an error. */
export function listXmlFiles(dir: string, options: RulesetFileOptions = {}): string[] {
  const excluded = new Set(options.exclude ?? []);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".xml") && !excluded.has(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => path.join(dir, name));
}
