// Tails the files of one `localfile` entry. Files are followed by identity (device + inode), so:
//   - rename rotation (access.log -> access.log.1, new access.log): the old file is drained to its end (and a
//     little longer, for a writer that has not reopened yet), then the new file is read from its start;
//   - copytruncate and plain truncation: the size dropping below the read position, or the first bytes no
//     longer matching, restarts the file at 0 under a new generation (so line ids stay unique);
//   - a restart: each file resumes at its committed offset; a file renamed while the agent was down is found
//     in the same folder by identity and drained first.
// On first sight at startup a file is read from its end when only_future_events is on (the default); files
// that appear later (a rotation, a new match of a glob) are read from the start.
import { watch, type FSWatcher } from "node:fs";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { LocalfileConfig, PathApi } from "../config.js";
import { fileIdentity } from "./identity.js";
import { splitLines } from "./lines.js";
import type { OffsetStore } from "./offsets.js";
import { expandLocation, watchFolder } from "./paths.js";

export interface TailedLine {
  location: string;
  logFormat: string;
  message: string;
  identity: string;
  generation: number;
  start: number;
  end: number;
  collectedAt: number;
}

export interface TailerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TailerOptions {
  store: OffsetStore;
  maxLineBytes: number;
  onlyFutureEvents: boolean;
  log: TailerLog;
  /** Called when the file system reports a change, so the run loop polls at once. */
  wake: () => void;
  /** Least time between two re-checks of paths (glob, rename, truncation) when nothing woke us. */
  refreshMs: number;
  pathApi?: PathApi;
}

/** Enough leading bytes to tell a regrown file from the old one even when its first lines look alike. */
export const HEAD_BYTES = 512;
const READ_CHUNK = 256 * 1024;
/** How long a rotated-away file must stay unchanged at its end before it is closed (a writer may lag). */
const DRAIN_GRACE_MS = 1_000;

interface OpenFile {
  identity: string;
  path: string;
  handle: FileHandle;
  position: number;
  generation: number;
  skipping: boolean;
  head: Buffer;
  lastSize: number;
  lastMtimeNs: bigint;
  /** When a rotated-away file was first seen at rest at its end (null: still moving). */
  idleSince: number | null;
  /** End of the last line handed out (or the start position): what must be committed before the entry can go. */
  lastLineEnd: number;
}

export class LocationTailer {
  private readonly current = new Map<string, OpenFile>();
  private readonly draining: OpenFile[] = [];
  private watcher: FSWatcher | null = null;
  private started = false;
  private changed = true;
  private lastRefresh = 0;
  private readonly chunk = Buffer.allocUnsafe(READ_CHUNK);
  private readonly pathApi: PathApi;

  constructor(
    readonly entry: LocalfileConfig,
    private readonly options: TailerOptions,
  ) {
    this.pathApi = options.pathApi ?? path;
  }

  /** Decides where each file starts (saved offset, its end, or its start) and begins watching. */
  async start(): Promise<void> {
    await this.refresh(true);
    this.watchFolder();
    this.started = true;
  }

  /** Files open right now (for tests and status). */
  openFiles(): { path: string; identity: string; position: number; draining: boolean }[] {
    return [
      ...[...this.current.values()].map((f) => ({ path: f.path, identity: f.identity, position: f.position, draining: false })),
      ...this.draining.map((f) => ({ path: f.path, identity: f.identity, position: f.position, draining: true })),
    ];
  }

  /** Appends up to `room` new lines to `out`; rotated-away files first, so a file's lines keep their order. */
  async poll(out: TailedLine[], room: number): Promise<number> {
    const now = Date.now();
    if (this.changed || now - this.lastRefresh >= this.options.refreshMs) await this.refresh(false);
    let added = 0;
    for (const file of [...this.draining]) {
      if (added >= room) break;
      const n = await this.read(file, out, room - added);
      added += n;
      await this.maybeCloseDrained(file, n, out, room - added).then((extra) => (added += extra));
    }
    for (const file of this.current.values()) {
      if (added >= room) break;
      added += await this.read(file, out, room - added);
    }
    return added;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    for (const file of [...this.current.values(), ...this.draining]) await file.handle.close().catch(() => {});
    this.current.clear();
    this.draining.length = 0;
  }

  private watchFolder(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(watchFolder(this.entry.location, this.pathApi), { persistent: false }, () => {
        this.changed = true;
        this.options.wake();
      });
      this.watcher.on("error", () => {
        // The folder went away or the file system stopped reporting: polling carries on, watching is retried.
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // folder missing, or no file-system events here (some network shares): polling covers it
    }
  }

  private async refresh(firstRun: boolean): Promise<void> {
    this.changed = false;
    this.lastRefresh = Date.now();
    if (this.started) this.watchFolder();
    const paths = new Set(await expandLocation(this.entry.location, this.pathApi).catch(() => [] as string[]));
    for (const p of this.current.keys()) paths.add(p);
    for (const p of paths) await this.checkPath(p, firstRun);
  }

  private async checkPath(filePath: string, firstRun: boolean): Promise<void> {
    const open = this.current.get(filePath);
    let identity: string;
    try {
      identity = fileIdentity(await stat(filePath, { bigint: true }));
    } catch {
      if (open) this.startDraining(open, "file removed or renamed away");
      return;
    }
    if (open && open.identity === identity) {
      await this.checkTruncation(open);
      return;
    }
    if (open) this.startDraining(open, "path now names a new file");
    await this.track(filePath, identity, firstRun);
  }

  private startDraining(file: OpenFile, reason: string): void {
    this.current.delete(file.path);
    file.idleSince = null;
    file.lastSize = -1;
    this.draining.push(file);
    this.options.log.info({ path: file.path, identity: file.identity, position: file.position, reason }, "file rotated: reading the rest of the old file before moving on");
  }

  private async track(filePath: string, identity: string, firstRun: boolean): Promise<void> {
    // Already open under another name: a rename within what this location matches.
    const known = [...this.current.values()].find((f) => f.identity === identity) ?? this.draining.find((f) => f.identity === identity);
    if (known) {
      this.current.delete(known.path);
      const i = this.draining.indexOf(known);
      if (i >= 0) this.draining.splice(i, 1);
      known.path = filePath;
      this.current.set(filePath, known);
      const saved = this.options.store.get(identity);
      if (saved) this.options.store.set(identity, { ...saved, path: filePath });
      return;
    }
    let handle: FileHandle;
    try {
      handle = await open(filePath, "r");
    } catch (err) {
      this.options.log.warn({ path: filePath, err: (err as Error).message }, "cannot open file; will retry");
      return;
    }
    const handleIdentity = fileIdentity(await handle.stat({ bigint: true }));
    if (handleIdentity !== identity) {
      await handle.close(); // replaced between stat and open: the next refresh sees the new one
      return;
    }
    const size = (await handle.stat()).size;
    const file: OpenFile = { identity, path: filePath, handle, position: 0, generation: 0, skipping: false, head: Buffer.alloc(0), lastSize: -1, lastMtimeNs: -1n, idleSince: null, lastLineEnd: 0 };
    const { store } = this.options;
    const saved = store.get(identity);
    if (saved) {
      file.position = saved.offset;
      file.generation = saved.generation;
      file.head = Buffer.from(saved.head, "hex");
      store.set(identity, { ...saved, path: filePath });
      await this.checkTruncation(file);
    } else {
      const seenBefore = store.byPath(filePath);
      if (firstRun) await this.drainRotatedWhileDown(filePath, seenBefore);
      else for (const [oldIdentity] of seenBefore) if (!this.isOpen(oldIdentity)) store.delete(oldIdentity);
      const onlyFuture = this.entry.only_future_events ?? this.options.onlyFutureEvents;
      // Only a file never seen before, found at startup, may skip its existing content.
      file.position = firstRun && seenBefore.length === 0 && onlyFuture ? size : 0;
      store.set(identity, { path: filePath, offset: file.position, generation: 0, head: "" });
      await this.captureHead(file, size);
      this.options.log.info({ path: filePath, identity, from: file.position, size }, file.position > 0 ? "watching file for new lines" : "reading file from its start");
    }
    file.lastLineEnd = file.position;
    this.current.set(filePath, file);
  }

  private isOpen(identity: string): boolean {
    return [...this.current.values(), ...this.draining].some((f) => f.identity === identity);
  }

  /** A file saved under this path has another identity now: it was rotated while we were down. Find it. */
  private async drainRotatedWhileDown(filePath: string, seenBefore: [string, { offset: number; generation: number; head: string }][]): Promise<void> {
    for (const [oldIdentity, saved] of seenBefore) {
      if (this.isOpen(oldIdentity)) continue;
      const folder = this.pathApi.dirname(filePath);
      let found: string | null = null;
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names.slice(0, 10_000)) {
        const candidate = this.pathApi.join(folder, name);
        const st = await stat(candidate, { bigint: true }).catch(() => null);
        if (st?.isFile() && fileIdentity(st) === oldIdentity) {
          found = candidate;
          break;
        }
      }
      if (!found) {
        this.options.log.warn({ path: filePath, identity: oldIdentity, offset: saved.offset }, "file rotated while the agent was stopped and its old copy is gone; lines after the saved offset could not be read");
        this.options.store.delete(oldIdentity);
        continue;
      }
      const handle = await open(found, "r");
      const file: OpenFile = { identity: oldIdentity, path: found, handle, position: saved.offset, generation: saved.generation, skipping: false, head: Buffer.from(saved.head, "hex"), lastSize: -1, lastMtimeNs: -1n, idleSince: null, lastLineEnd: saved.offset };
      await this.checkTruncation(file);
      this.draining.push(file);
      this.options.log.info({ path: found, was: filePath, offset: saved.offset }, "file rotated while the agent was stopped: draining the old copy first");
    }
  }

  /** Size below the read position, or different first bytes: the file was truncated (and maybe regrown). */
  private async checkTruncation(file: OpenFile): Promise<void> {
    const st = await file.handle.stat({ bigint: true });
    const size = Number(st.size);
    // Size and modification time unchanged: nothing happened. A truncate-and-regrow to the very same size still
    // moves the modification time.
    if (size === file.lastSize && st.mtimeNs === file.lastMtimeNs) return;
    file.lastSize = size;
    file.lastMtimeNs = st.mtimeNs;
    let truncated = size < file.position;
    if (!truncated && file.head.length > 0) {
      const now = Buffer.alloc(Math.min(file.head.length, size));
      await file.handle.read(now, 0, now.length, 0);
      truncated = !now.equals(file.head);
    }
    if (truncated) {
      this.options.log.info({ path: file.path, was: file.position, size }, "file truncated: reading it again from its start");
      file.generation++;
      file.position = 0;
      file.lastLineEnd = 0;
      file.skipping = false;
      file.head = Buffer.alloc(0);
      // Saved at once: after a crash the lines read from here on must get the same (new) generation in their ids.
      this.options.store.set(file.identity, { path: file.path, offset: 0, generation: file.generation, head: "" });
    }
    await this.captureHead(file, size);
  }

  private async captureHead(file: OpenFile, size: number): Promise<void> {
    if (file.head.length >= HEAD_BYTES || size <= file.head.length) return;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await file.handle.read(head, 0, head.length, 0);
    file.head = head.subarray(0, bytesRead);
    this.options.store.setHead(file.identity, file.generation, file.head.toString("hex"));
  }

  private async read(file: OpenFile, out: TailedLine[], room: number): Promise<number> {
    let added = 0;
    while (added < room) {
      const { bytesRead } = await file.handle.read(this.chunk, 0, this.chunk.length, file.position);
      if (bytesRead === 0) break;
      const split = splitLines(this.chunk, bytesRead, file.position, this.options.maxLineBytes, room - added, file.skipping);
      const collectedAt = Date.now();
      for (const line of split.lines) {
        out.push({ location: file.path, logFormat: this.entry.log_format, message: line.text, identity: file.identity, generation: file.generation, start: line.start, end: line.end, collectedAt });
      }
      added += split.lines.length;
      file.position += split.consumed;
      file.skipping = split.skipping;
      if (split.consumed === 0 || (bytesRead < this.chunk.length && split.consumed === bytesRead)) break;
    }
    if (added > 0) file.lastLineEnd = out[out.length - 1].end;
    return added;
  }

  /** Closes a rotated-away file once it has stayed at its end for a while; its unterminated last line is sent. */
  private async maybeCloseDrained(file: OpenFile, justRead: number, out: TailedLine[], room: number): Promise<number> {
    const now = Date.now();
    const size = (await file.handle.stat()).size;
    if (justRead > 0 || size !== file.lastSize) {
      // Still moving (a writer that has not reopened the new file yet): wait for it to settle.
      file.lastSize = size;
      file.idleSince = null;
      return 0;
    }
    file.idleSince ??= now;
    if (now - file.idleSince < DRAIN_GRACE_MS) return 0;
    let added = 0;
    if (size > file.position) {
      if (room < 1) return 0;
      const rest = Buffer.alloc(Math.min(size - file.position, this.options.maxLineBytes));
      const { bytesRead } = await file.handle.read(rest, 0, rest.length, file.position);
      const text = rest.toString("utf8", 0, bytesRead).replace(/\r$/, "");
      if (text.length > 0 && !file.skipping) {
        out.push({ location: file.path, logFormat: this.entry.log_format, message: text, identity: file.identity, generation: file.generation, start: file.position, end: size, collectedAt: now });
        file.lastLineEnd = size;
        added = 1;
      }
      file.position = size;
    }
    this.draining.splice(this.draining.indexOf(file), 1);
    await file.handle.close().catch(() => {});
    this.options.store.retire(file.identity, file.lastLineEnd);
    this.options.log.info({ path: file.path, identity: file.identity, position: file.position }, "rotated file fully read and closed");
    return added;
  }
}
