// Streams a list file into Redis: read in 1 MiB chunks, parse line by line, send pipelined HSET batches while
// the next chunk is parsed, then switch readers to the new generation at once. Memory stays bounded by the
// batches in flight plus one set of the keys seen (to keep the first of duplicates).
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { guessListFormat, LineSplitter, parseListLine, type ListFormat, type ListParseError } from "./parse.js";
import type { ImportResult, RedisListStore } from "./redis.js";

export interface ImportFileOptions {
  readonly name: string;
  /** Guessed from the name and first bytes when omitted (guessListFormat). */
  readonly format?: ListFormat;
  /** Called for every malformed line, as it is met. */
  readonly onMalformed?: (error: ListParseError) => void;
  /** Called after each chunk with bytes read so far and the file size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface ImportFileResult extends ImportResult {
  readonly format: ListFormat;
  readonly lines: number;
  readonly file: string;
}

const CHUNK_BYTES = 1 << 20;

/** Reads the first bytes of a file (for guessing its format). */
async function readHead(file: string, bytes = 64 * 1024): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

export async function importListFile(store: RedisListStore, file: string, options: ImportFileOptions): Promise<ImportFileResult> {
  const { size } = await stat(file);
  const format = options.format ?? guessListFormat(path.basename(file), await readHead(file));
  const build = await store.beginImport(options.name, { source: path.resolve(file), format });
  const splitter = new LineSplitter();
  const onLine = (raw: string, line: number) => {
    const parsed = parseListLine(raw, format);
    if (parsed === null) return;
    if ("error" in parsed) {
      build.malformed++;
      options.onMalformed?.({ line, text: raw, reason: parsed.error });
    } else {
      build.add(parsed);
    }
  };
  // Decodes UTF-8 across chunk boundaries (a character cut in two is held until its second half arrives).
  const decoder = new StringDecoder("utf8");
  let bytesRead = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      const buffer = chunk as Buffer; // no encoding given: the stream yields Buffers
      bytesRead += buffer.length;
      splitter.push(decoder.write(buffer), onLine);
      options.onProgress?.(bytesRead, size);
      await build.drain();
    }
    splitter.push(decoder.end(), onLine);
    splitter.end(onLine);
    const result = await build.commit();
    return { ...result, format, lines: splitter.lines, file: path.resolve(file) };
  } catch (err) {
    await build.abort().catch(() => undefined);
    throw err;
  }
}
