// Where each file was read up to, kept on disk so a restart (or a kill -9) resumes exactly there. An offset
// moves only once the lines before it are safe (acknowledged by the manager or written to the disk buffer), so
// a crash re-sends at most the batch that was in flight and skips nothing. Keyed by file identity, with the
// path last seen, so a file renamed while the agent was down can still be found and drained.
import { readFile, rename } from "node:fs/promises";
import { writeFileAtomicAsync } from "./atomicFile.js";

export interface FileOffset {
  path: string;
  /** Bytes done with (acknowledged). */
  offset: number;
  /** Bumped each time the file is found truncated, so line ids stay unique across a copytruncate. */
  generation: number;
  /** Hex of the file's first bytes, to notice a truncate-and-regrow that a size check alone would miss. */
  head: string;
  /** Set once a rotated-away file is closed: the entry goes when its offset reaches this. */
  retireAt?: number;
}

interface OffsetsFile {
  version: 1;
  files: Record<string, FileOffset>;
}

export function parseOffsets(text: string): Map<string, FileOffset> {
  const parsed = JSON.parse(text) as OffsetsFile;
  if (parsed.version !== 1 || typeof parsed.files !== "object" || parsed.files === null) throw new Error("unknown offsets format");
  return new Map(Object.entries(parsed.files));
}

export function serializeOffsets(entries: Map<string, FileOffset>): string {
  const file: OffsetsFile = { version: 1, files: Object.fromEntries(entries) };
  return JSON.stringify(file);
}

export class OffsetStore {
  private dirty = false;

  constructor(
    readonly file: string,
    readonly entries: Map<string, FileOffset> = new Map(),
  ) {}

  /** Loads the store; a corrupt file (it cannot be, short of disk damage) is set aside rather than fatal. */
  static async open(file: string, warn: (message: string) => void = () => {}): Promise<OffsetStore> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new OffsetStore(file);
      throw err;
    }
    try {
      return new OffsetStore(file, parseOffsets(text));
    } catch (err) {
      const aside = `${file}.corrupt-${Date.now()}`;
      await rename(file, aside);
      warn(`offsets file ${file} is unreadable (${(err as Error).message}); moved to ${aside}, starting afresh`);
      return new OffsetStore(file);
    }
  }

  get(identity: string): FileOffset | undefined {
    return this.entries.get(identity);
  }

  /** Entries last seen at this path (a file rotated while the agent was down has another identity now). */
  byPath(filePath: string): [string, FileOffset][] {
    return [...this.entries].filter(([, e]) => e.path === filePath);
  }

  set(identity: string, entry: FileOffset): void {
    this.entries.set(identity, entry);
    this.dirty = true;
  }

  /** Records that the lines of this file up to `end` are safe. Stale generations (before a truncation) are ignored. */
  commit(identity: string, generation: number, end: number): void {
    const entry = this.entries.get(identity);
    if (!entry || entry.generation !== generation) return;
    if (end > entry.offset) {
      entry.offset = end;
      this.dirty = true;
    }
    if (entry.retireAt !== undefined && entry.offset >= entry.retireAt) {
      this.entries.delete(identity);
      this.dirty = true;
    }
  }

  /** The file's first bytes as last read (content, not progress: safe to record at once). */
  setHead(identity: string, generation: number, head: string): void {
    const entry = this.entries.get(identity);
    if (!entry || entry.generation !== generation || entry.head === head) return;
    entry.head = head;
    this.dirty = true;
  }

  /** A rotated-away file was closed after reading up to `finalOffset`: forget it once that much is safe. */
  retire(identity: string, finalOffset: number): void {
    const entry = this.entries.get(identity);
    if (!entry) return;
    entry.retireAt = finalOffset;
    this.dirty = true;
    this.commit(identity, entry.generation, entry.offset);
  }

  delete(identity: string): void {
    if (this.entries.delete(identity)) this.dirty = true;
  }

  /** Writes the store if it changed; calls are chained so two writers never share the temporary file. */
  flush(): Promise<void> {
    const run = async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomicAsync(this.file, serializeOffsets(this.entries), 0o600);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    };
    const next = this.writing.then(run, run);
    this.writing = next.catch(() => {}); // the caller sees the failure; the chain goes on
    return next;
  }

  private writing: Promise<void> = Promise.resolve();
}
