// Bulk pacing: a replay of a big log must not queue ahead of the live agents' lines. Kafka keeps each partition
// in order, so a live line written behind a million replayed ones waits for all of them at every stage. Instead,
// each stage on the blocking path reports how long its input waits in Kafka (the queue delay of the oldest record
// it is working on), and the collector admits bulk batches only while the pipeline's total queue delay is under
// a target: the backlog stays in the replay client, and a live line waits at most about that target. Live agents
// are never held back. The same idea as CoDel: control on how long records wait, not on how many there are.
import { hostname } from "node:os";
import type { Redis } from "ioredis";

/** One Redis hash: field `<stage>/<instance>`, value `<delay ms>:<reported at ms>`. */
export const QUEUE_DELAY_KEY = "tld:pipeline:queue-delay";

/** The stages a live line passes on its way to a block: their queue delays add up. */
export const BLOCKING_PATH_STAGES = ["decoder", "matcher", "responder"] as const;

/** A report older than this is from a stage that stopped: it counts as no delay (and is removed after a minute). */
export const REPORT_STALE_MS = 1_000;
const REPORT_FORGET_MS = 60_000;

/**
 * Tracks a stage instance's queue delay and writes it to Redis every `intervalMs`. A chunk in progress keeps
 * counting while it runs, so a stage busy with a long chunk reports a growing delay rather than none.
 */
export class QueueDelayReporter {
  private worstSinceReport = 0;
  private readonly inProgress = new Set<{ oldest: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly field: string;

  constructor(
    private readonly redis: Pick<Redis, "hset">,
    stage: string,
    intervalMs = 50,
    private readonly onDelay: (ms: number) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.field = `${stage}/${hostname()}:${process.pid}`;
    this.timer = setInterval(() => void this.report(), intervalMs);
    this.timer.unref();
  }

  /** A chunk whose oldest record was produced at `oldestTimestampMs` starts; call the result when it is done. */
  chunkStarted(oldestTimestampMs: number): () => void {
    const entry = { oldest: Number.isFinite(oldestTimestampMs) ? oldestTimestampMs : this.now() };
    this.inProgress.add(entry);
    this.worstSinceReport = Math.max(this.worstSinceReport, this.now() - entry.oldest);
    return () => {
      this.inProgress.delete(entry);
      // The whole sojourn counts, waiting in Kafka and being worked on: that is what a live line behind it waits.
      this.worstSinceReport = Math.max(this.worstSinceReport, this.now() - entry.oldest);
    };
  }

  /** The delay to report now: the worst seen since the last report, or of a chunk still running. */
  current(): number {
    const now = this.now();
    let worst = this.worstSinceReport;
    for (const entry of this.inProgress) worst = Math.max(worst, now - entry.oldest);
    return Math.max(0, worst);
  }

  async report(): Promise<void> {
    const delay = this.current();
    this.worstSinceReport = 0;
    this.onDelay(delay);
    // Best effort: with Redis away nothing is paced, which only costs latency, and the stage has its own retries.
    await this.redis.hset(QUEUE_DELAY_KEY, this.field, `${Math.round(delay)}:${this.now()}`).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** The pipeline's queue delay from the reports: per stage the worst instance, summed along the blocking path. */
export function pipelineQueueDelay(reports: Record<string, string>, now: number): { totalMs: number; byStage: Record<string, number>; forgotten: string[] } {
  const byStage: Record<string, number> = {};
  const forgotten: string[] = [];
  for (const [field, value] of Object.entries(reports)) {
    const stage = field.slice(0, field.indexOf("/"));
    const [delay, at] = value.split(":").map(Number);
    if (!Number.isFinite(delay) || !Number.isFinite(at) || now - at > REPORT_FORGET_MS) {
      forgotten.push(field);
      continue;
    }
    if (now - at > REPORT_STALE_MS || !(BLOCKING_PATH_STAGES as readonly string[]).includes(stage)) continue;
    byStage[stage] = Math.max(byStage[stage] ?? 0, delay);
  }
  const totalMs = Object.values(byStage).reduce((a, b) => a + b, 0);
  return { totalMs, byStage, forgotten };
}

/** What the gate needs of Redis (an ioredis client fits). */
export interface QueueDelayReports {
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<number>;
}

export interface BulkGateOptions {
  /** Total queue delay along the blocking path that the bulk rate is steered to. */
  targetMs: number;
  /** How often the reports are read while bulk batches wait. */
  pollMs?: number;
  /** Bulk lines per second let in at first, and the least the rate comes down to (default 2000). */
  minLinesPerSecond?: number;
  now?: () => number;
}

/** How fast the rate follows the delay: e^(GAIN x dt) per second at the full distance from the target. */
const RATE_GAIN_PER_S = 4;
const MAX_LINES_PER_SECOND = 1_000_000;

/**
 * The collector's side: `admit(lines)` resolves when a bulk batch of that many lines may go into the pipeline.
 * Bulk goes in at a rate (a token bucket) that is steered, every `pollMs` (default 10 ms), by how far the
 * pipeline's queue delay is from the target: up while under it, down while over it, proportionally and by time,
 * as LEDBAT steers a background transfer to a target queueing delay. So the pipeline keeps several batches in
 * flight at once, its queues held near the target (letting one batch in per good reading made the replay wait
 * for each batch to clear all three stages: ~12k lines/s with idle cores). It rejects past `maxWaitMs` (the
 * caller answers 429 and the client retries: nothing is lost).
 */
export class BulkGate {
  private readonly waiters: { lines: number; resolve: () => void; reject: (err: Error) => void; deadline: number }[] = [];
  private polling = false;
  private lastDelay = 0;
  private rate: number;
  private tokens = 0;

  constructor(
    private readonly redis: QueueDelayReports,
    private readonly options: BulkGateOptions,
  ) {
    this.rate = this.minRate;
  }

  private get minRate(): number {
    return this.options.minLinesPerSecond ?? 2_000;
  }

  /** The last total queue delay read (ms), for metrics and logs. */
  get delayMs(): number {
    return this.lastDelay;
  }

  /** Bulk lines per second let in now. */
  get linesPerSecond(): number {
    return this.rate;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  admit(lines: number, maxWaitMs: number): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    return new Promise((resolve, reject) => {
      this.waiters.push({ lines, resolve, reject, deadline: now + maxWaitMs });
      if (!this.polling) void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    const clock = this.options.now ?? Date.now;
    const pollMs = this.options.pollMs ?? 10;
    let last = clock();
    this.tokens = 0;
    try {
      while (this.waiters.length > 0) {
        const now = clock();
        let total = 0;
        try {
          const { totalMs, forgotten } = pipelineQueueDelay(await this.redis.hgetall(QUEUE_DELAY_KEY), now);
          total = totalMs;
          if (forgotten.length > 0) await this.redis.hdel(QUEUE_DELAY_KEY, ...forgotten);
        } catch {
          total = 0; // Redis away: pacing off, bulk flows (Kafka still takes it; only latency suffers)
        }
        this.lastDelay = total;
        const at = clock();
        // A stall of the event loop is not a reason to let a burst in: at most 100 ms count.
        const dt = Math.min(0.1, Math.max(0, (at - last) / 1000));
        last = at;
        this.steer(total, dt);
        // Over the target nothing goes in (the rate comes down meanwhile); under it, whole batches at the rate: the
        // bucket holds at least the next batch and at most ~50 ms of the rate beyond it.
        const next = this.waiters[0];
        if (total <= this.options.targetMs) this.tokens = Math.min(this.tokens + this.rate * dt, Math.max(next.lines, this.rate * 0.05));
        while (this.waiters.length > 0 && this.tokens >= this.waiters[0].lines) {
          const admitted = this.waiters.shift();
          if (!admitted) break;
          this.tokens -= admitted.lines;
          admitted.resolve();
        }
        while (this.waiters.length > 0 && this.waiters[0].deadline <= at) {
          this.waiters.shift()?.reject(new Error("pipeline busy"));
        }
        if (this.waiters.length > 0) await new Promise((r) => setTimeout(r, pollMs));
      }
    } finally {
      this.polling = false;
    }
  }

  /** Moves the rate toward the one that holds the delay at the target: by e^(gain x distance x dt). */
  private steer(delayMs: number, dt: number): void {
    const target = this.options.targetMs;
    const distance = Math.max(-1, Math.min(1, (target - delayMs) / target));
    this.rate = Math.min(MAX_LINES_PER_SECOND, Math.max(this.minRate, this.rate * Math.exp(RATE_GAIN_PER_S * distance * dt)));
  }
}
