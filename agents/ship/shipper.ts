// Gets batches to the manager, in order, without losing them: sent directly while the manager answers; when it
// does not (down, Kafka unavailable, key refused), batches go to the disk buffer and a drainer sends them, oldest
// first, as soon as it answers again. While the buffer holds anything, new batches queue behind it (per-agent
// order). submit() resolves once a batch is safe (acknowledged or on disk), which is when offsets may move.
import { CollectorRefused, CollectorUnreachable, type ShippedEvent } from "../../lib/collectorClient.js";
import type { DiskBuffer } from "./diskBuffer.js";

/** direct: give up quickly (the batch then goes to disk); drain: keep trying until it is accepted or stopped. */
export type SendMode = "direct" | "drain";
export type SendBatch = (events: ShippedEvent[], mode: SendMode, signal: AbortSignal) => Promise<void>;

export interface ShipperLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShipperStats {
  sentLines: number;
  bufferedLines: number;
  bufferedBytes: number;
  droppedLines: number;
}

export type SubmitOutcome = "sent" | "buffered" | "dropped";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** A refusal that retrying cannot fix for this batch (400, 413 of a single line): the batch is dropped. */
function isPoison(err: unknown): err is CollectorRefused {
  return err instanceof CollectorRefused && err.status !== 401 && err.status !== 403 && err.status !== 404;
}

export class Shipper {
  private sent = 0;
  private dropped = 0;
  private drainer: Promise<void> | null = null;
  private readonly stopping = new AbortController();

  constructor(
    private readonly send: SendBatch,
    private readonly buffer: DiskBuffer,
    private readonly log: ShipperLog,
    private readonly options: { refusedRetryMs: number } = { refusedRetryMs: 5_000 },
  ) {}

  stats(): ShipperStats {
    return { sentLines: this.sent, bufferedLines: this.buffer.lines, bufferedBytes: this.buffer.bytes, droppedLines: this.dropped };
  }

  /** Starts draining what a previous run left in the buffer. */
  resume(): void {
    if (!this.buffer.isEmpty) {
      this.log.info({ lines: this.buffer.lines, bytes: this.buffer.bytes }, "disk buffer holds batches from before: sending them first");
      this.kickDrain();
    }
  }

  async submit(events: ShippedEvent[]): Promise<SubmitOutcome> {
    if (events.length === 0) return "sent";
    // An empty buffer means the drainer holds nothing in flight (it removes a batch only once it is accepted), so
    // a direct send cannot overtake it, even while the drainer is still winding down.
    if (this.buffer.isEmpty) {
      try {
        await this.sendSplitting(events, "direct");
        this.sent += events.length;
        return "sent";
      } catch (err) {
        if (isPoison(err)) return this.drop(events.length, err);
        if (!(err instanceof CollectorUnreachable) && !(err instanceof CollectorRefused)) throw err;
        this.log.warn({ reason: err.message }, "manager not taking batches: buffering on disk");
      }
    }
    if (await this.buffer.append(events)) {
      this.kickDrain();
      return "buffered";
    }
    this.dropped += events.length;
    this.log.warn({ dropped: events.length, droppedTotal: this.dropped, bufferBytes: this.buffer.bytes, bufferMaxBytes: this.buffer.maxBytes }, "disk buffer full: dropping lines");
    return "dropped";
  }

  /** Stops the drainer (what is buffered stays on disk for the next run). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.drainer;
  }

  private drop(lines: number, err: CollectorRefused): SubmitOutcome {
    this.dropped += lines;
    this.log.error({ lines, status: err.status, reason: err.message }, "manager refused a batch as invalid: dropping it");
    return "dropped";
  }

  /** A 413 means the batch is too big for the manager's body limit: halve it until it fits. */
  private async sendSplitting(events: ShippedEvent[], mode: SendMode): Promise<void> {
    try {
      await this.send(events, mode, this.stopping.signal);
    } catch (err) {
      if (err instanceof CollectorRefused && err.status === 413 && events.length > 1) {
        const half = Math.ceil(events.length / 2);
        await this.sendSplitting(events.slice(0, half), mode);
        await this.sendSplitting(events.slice(half), mode);
        return;
      }
      throw err;
    }
  }

  private kickDrain(): void {
    if (this.drainer) return;
    let ended = false;
    this.drainer = this.drain()
      .then(() => {
        ended = true;
      })
      .catch((err: Error) => this.log.error({ err: err.message }, "disk buffer drainer stopped; it restarts with the next batch"))
      .finally(() => {
        this.drainer = null;
        // A batch appended while the drainer was winding down would otherwise wait for the next one. (Not after a
        // failure: that would spin on it.)
        if (ended && !this.buffer.isEmpty && !this.stopping.signal.aborted) this.kickDrain();
      });
  }

  private async drain(): Promise<void> {
    const signal = this.stopping.signal;
    let refusedLogged = 0;
    while (!signal.aborted) {
      const next = await this.buffer.peek();
      if (!next) break;
      try {
        await this.sendSplitting(next.events, "drain");
        this.sent += next.events.length;
        await this.buffer.remove(next.seq);
        if (this.buffer.isEmpty) this.log.info({}, "disk buffer sent: shipping directly again");
      } catch (err) {
        if (signal.aborted) break;
        if (isPoison(err)) {
          this.drop(next.events.length, err);
          await this.buffer.remove(next.seq);
          continue;
        }
        if (err instanceof CollectorRefused) {
          // 401/403: the key was revoked or the agent removed. Keep the lines; an operator may re-enroll.
          if (Date.now() - refusedLogged > 60_000) {
            refusedLogged = Date.now();
            this.log.error({ status: err.status, reason: err.message }, "manager refuses this agent's key (revoked?); keeping lines buffered. Re-enroll with `tld agent enroll --force`");
          }
          await sleep(this.options.refusedRetryMs, signal);
          continue;
        }
        // Not expected (a corrupt batch file, a disk error): say so and try again shortly rather than stop.
        this.log.error({ err: (err as Error).message, seq: next.seq }, "cannot send a buffered batch; retrying");
        await sleep(this.options.refusedRetryMs, signal);
      }
    }
  }
}
