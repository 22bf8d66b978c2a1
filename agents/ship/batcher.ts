// Groups tailed lines into batches: a batch leaves when it holds maxLines lines or maxBytes of text, or when
// its first line has waited maxDelayMs, whichever comes first, so a lone line is not held back for long. After a
// quiet spell (no batch left for maxDelayMs) the first lines leave at once, the way Nagle's algorithm lets the
// first segment go: an attacker's lone request is not held back at all, and a busy stream still goes out in
// batches at most every maxDelayMs.
export interface BatchLimits {
  maxLines: number;
  maxBytes: number;
  maxDelayMs: number;
}

export class Batcher<T extends { message: string }> {
  private items: T[] = [];
  private bytes = 0;
  private firstAt: number | null = null;
  private lastTakeAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: BatchLimits) {}

  get size(): number {
    return this.items.length;
  }

  /** Lines that still fit by count (bytes are checked as lines arrive). */
  get room(): number {
    return this.isFull() ? 0 : this.limits.maxLines - this.items.length;
  }

  add(item: T, now: number): void {
    if (this.firstAt === null) this.firstAt = now;
    this.items.push(item);
    // Characters, not bytes: the JSON body is what counts and this stays cheap; maxBytes keeps a margin anyway.
    this.bytes += item.message.length + 128;
  }

  isFull(): boolean {
    return this.items.length >= this.limits.maxLines || this.bytes >= this.limits.maxBytes;
  }

  /** When the pending batch must leave at the latest (null when empty). */
  dueAt(): number | null {
    if (this.firstAt === null) return null;
    const quiet = this.firstAt - this.lastTakeAt >= this.limits.maxDelayMs;
    return quiet ? this.firstAt : this.firstAt + this.limits.maxDelayMs;
  }

  shouldFlush(now: number): boolean {
    const due = this.dueAt();
    return this.isFull() || (due !== null && now >= due);
  }

  take(now = Date.now()): T[] {
    const batch = this.items;
    if (batch.length > 0) this.lastTakeAt = now;
    this.items = [];
    this.bytes = 0;
    this.firstAt = null;
    return batch;
  }
}
