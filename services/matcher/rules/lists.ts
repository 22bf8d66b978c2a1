// The rule engine's list lookups: the list code lives in lib/lists/ (shared with the CLI and the dashboard).
export { InMemoryListStore } from "../../../lib/lists/memory.js";
export { parseListText, type ListEntry, type ListFormat, type ListParseError, type ParsedList } from "../../../lib/lists/parse.js";
export type { ListKeyKind, ListLookup, MaybePromise } from "../../../lib/lists/lookup.js";
