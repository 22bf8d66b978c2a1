// Reputation lists: parsing, the in-memory store, the Redis store and file import. See redis.ts for the
// Redis layout and the matcher's batch API.
export { bareListName, listName, ListNameError, queryKey, type ListKeyKind, type ListLookup, type ListMatch, type ListQuery, type MaybePromise } from "./lookup.js";
export { guessListFormat, LineSplitter, LIST_FORMATS, parseListLine, parseListText, type ListEntry, type ListFormat, type ListParseError, type ParsedEntry, type ParsedLine, type ParsedList } from "./parse.js";
export { InMemoryListStore } from "./memory.js";
export {
  generationKey,
  ListImport,
  LISTS_CHANGED_CHANNEL,
  metaKey,
  RedisListStore,
  RedisUnavailableError,
  UnknownListError,
  type ImportOptions,
  type ImportResult,
  type ListChange,
  type ListInfo,
} from "./redis.js";
export { importListFile, type ImportFileOptions, type ImportFileResult } from "./importFile.js";
