// The thin file layer: decoder directories as Wazuh reads them (every *.xml file, by name, directory by
// directory in the order given), excluded file names skipped. Everything else is parseDecoderXml on a string.
import { readFileSync } from "node:fs";
import { listXmlFiles, type RulesetFileOptions } from "../../../lib/wazuh/files.js";
import { parseDecoderXml, type DecoderDefinition } from "./decoders.js";
import { DecoderEngine } from "./engine.js";

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
