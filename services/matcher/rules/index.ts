// Wazuh-compatible rules: rule XML parsing, the evaluation engine, CDB-style list lookups and correlation state.
// Pure: list lookups and correlation state go through interfaces (in-memory implementations included); the only
// I/O is in load.ts, which reads the directories and files it is given.
export {
  DEFAULT_TIMEFRAME_SECONDS,
  parseRuleXml,
  RuleLoadError,
  STATIC_FIELD_OPTIONS,
  type AddressCondition,
  type ExpressionCondition,
  type FieldCondition,
  type ListCondition,
  type ListLookupType,
  type RuleDefinition,
  type StaticFieldOption,
} from "./parse.js";
export { expandDescription, listKeyOf, RuleEngine, type RuleEngineOptions, type RuleEvent, type RuleMatch } from "./engine.js";
export {
  InMemoryListStore,
  parseListText,
  type ListEntry,
  type ListFormat,
  type ListKeyKind,
  type ListLookup,
  type ListParseError,
  type MaybePromise,
  type ParsedList,
} from "./lists.js";
export { InMemoryCorrelationStore, type CorrelationStore } from "./correlation.js";
export { networkContains, parseIp, parseNetwork, type Network, type ParsedIp } from "./ip.js";
export { loadListFiles, loadRuleDirs, loadRuleFile, type LoadedListFile } from "./load.js";
