// The Wazuh pattern languages and XML reader, shared with the decoder. They live in services/decoder/wazuh/
// for now; this file is the only place the matcher reaches into another service's folder, so that moving them
// to the common library (lib/) is a one-line change here.
export {
  compilePattern,
  parsePatternType,
  parseXmlFragment,
  substituteVariables,
  XmlSyntaxError,
  listXmlFiles,
  type RulesetFileOptions,
  type CompiledPattern,
  type PatternType,
  type XmlElement,
} from "../../decoder/wazuh/index.js";
