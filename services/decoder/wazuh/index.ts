// Wazuh-compatible decoding: decoder XML files and the decode engine (the pattern languages, the XML reader and
// syslog pre-decoding are in lib/wazuh/, shared with the matcher).
// Pure: the only I/O is in load.ts, which reads the directories it is given.
export { DecoderLoadError, parseDecoderXml, type DecoderDefinition, type DecoderOffset, type DecoderPluginSpec } from "./decoders.js";
export { DecoderEngine, type DecodeResult } from "./engine.js";
export { flattenJson } from "./json.js";
export { createDecoderEngineFromDirs, loadDecoderDirs, loadDecoderFile } from "./load.js";
