// The thin file layer: decoder directories as Wazuh reads them (every *.xml file, by name, directory by
// directory in the order given), excluded file names skipped. Everything else is parseDecoderXml on a string.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDecoderXml, type DecoderDefinition } from "./decoders.js";
import { DecoderEngine } from "./engine.js";

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

export function loadDecoderFile(file: string): DecoderDefinition[] {
  return parseDecoderXml(readFileSync(file, "utf8"), file);
}

/** All decoders of the given directories, in Wazuh's load order. Throws DecoderLoadError on a bad file. */
export function loadDecoderDirs(dirs: readonly string[], options: RulesetFileOptions = {}): DecoderDefinition[] {
  return dirs.flatMap((dir) => listXmlFiles(dir, options).flatMap(loadDecoderFile));
}

export function createDecoderEngineFromDirs(dirs: readonly string[], options: RulesetFileOptions = {}): DecoderEngine {
  return new DecoderEngine(loadDecoderDirs(dirs, options));
}
