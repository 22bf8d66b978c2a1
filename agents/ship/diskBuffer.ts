// Batches the manager could not take yet, kept on disk in arrival order, one file per batch, bounded in size.
// A batch file is written whole (temporary file + fsync + rename) before the tailer's offsets move past its
// lines, so a crash loses nothing; a batch sent but not yet deleted when the agent dies is sent again (same
// ids). When full, new batches are refused and the caller counts their lines as dropped.
import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { ShippedEvent } from "../../lib/collectorClient.js";
import { writeFileAtomicAsync } from "../tail/atomicFile.js";

interface Segment {
  seq: number;
  lines: number;
  bytes: number;
  file: string;
}

const SEGMENT = /^(\d{12})-(\d+)\.batch$/;

export function segmentName(seq: number, lines: number): string {
  return `${String(seq).padStart(12, "0")}-${lines}.batch`;
}

export class DiskBuffer {
  private readonly segments: Segment[] = [];
  private nextSeq = 1;
  private totalBytes = 0;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<DiskBuffer> {
    const buffer = new DiskBuffer(dir, maxBytes);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const match = SEGMENT.exec(name);
      if (!match) {
        if (name.includes(".tmp-")) await unlink(full).catch(() => {}); // a write cut short by a crash
        continue;
      }
      const bytes = (await stat(full)).size;
      buffer.segments.push({ seq: Number(match[1]), lines: Number(match[2]), bytes, file: full });
      buffer.totalBytes += bytes;
    }
    buffer.nextSeq = (buffer.segments.at(-1)?.seq ?? 0) + 1;
    return buffer;
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get lines(): number {
    return this.segments.reduce((sum, s) => sum + s.lines, 0);
  }

  /** Stores a batch; false (nothing written) when it would push the buffer past its bound. */
  async append(events: ShippedEvent[]): Promise<boolean> {
    const data = Buffer.from(JSON.stringify(events));
    if (this.totalBytes + data.length > this.maxBytes) return false;
    const seq = this.nextSeq++;
    const file = path.join(this.dir, segmentName(seq, events.length));
    await writeFileAtomicAsync(file, data, 0o600);
    this.segments.push({ seq, lines: events.length, bytes: data.length, file });
    this.totalBytes += data.length;
    return true;
  }

  /** The oldest batch, left in place until remove(). */
  async peek(): Promise<{ seq: number; events: ShippedEvent[] } | null> {
    const first = this.segments[0];
    if (!first) return null;
    return { seq: first.seq, events: JSON.parse(await readFile(first.file, "utf8")) as ShippedEvent[] };
  }

  async remove(seq: number): Promise<void> {
    const i = this.segments.findIndex((s) => s.seq === seq);
    if (i < 0) return;
    const [segment] = this.segments.splice(i, 1);
    this.totalBytes -= segment.bytes;
    await unlink(segment.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
}
