// What the decoder and the matcher share of Wazuh's formats: the OS_Regex / OS_Match / PCRE2 pattern languages,
// the forgiving XML reader of decoder and rule files, syslog header pre-decoding (the decoder decodes after it,
// the matcher's <match>/<regex> read the message after it) and how a ruleset directory is read.
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
export { listXmlFiles, type RulesetFileOptions } from "./files.js";
