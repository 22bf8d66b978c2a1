// Wazuh-compatible decoding: OS_Regex / OS_Match / PCRE2 patterns, decoder XML files, syslog pre-decoding and
// the decode engine. Pure: the only I/O is in load.ts, which reads the directories it is given.
export {
  compileOsMatch,
  compileOsRegex,
  compilePattern,
  compilePcre2,
  parsePatternType,
  PatternSyntaxError,
  translatePcre2,
  type CompiledPattern,
  type PatternMatch,
  type PatternType,
} from "./regex.js";
export { parseXmlFragment, substituteVariables, XmlSyntaxError, type XmlElement } from "./xml.js";
export { preDecode, type PreDecodedEvent } from "./predecode.js";
export { DecoderLoadError, parseDecoderXml, type DecoderDefinition, type DecoderOffset, type DecoderPluginSpec } from "./decoders.js";
export { DecoderEngine, type DecodeResult } from "./engine.js";
export { flattenJson } from "./json.js";
export { createDecoderEngineFromDirs, listXmlFiles, loadDecoderDirs, loadDecoderFile, type RulesetFileOptions } from "./load.js";
