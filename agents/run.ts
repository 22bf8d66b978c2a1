// `tld agent run`: the agent's main loop, kept thin. Tailers read lines, the batcher groups them, the shipper
// makes each batch safe (acknowledged or on disk) and only then do the offsets move. One batch is in flight
// while the next one fills, so reading never waits on a round trip it does not have to.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { callCollector, closeCollectorConnections, shipBatch, type ShippedEvent } from "../lib/collectorClient.js";
import type { Logger } from "../lib/logger.js";
import type { AgentConfig } from "./config.js";
import { agentOs, agentVersion, collectorEndpoint, type Enrollment } from "./enroll.js";
import { Batcher } from "./ship/batcher.js";
import { DiskBuffer } from "./ship/diskBuffer.js";
import { Shipper, type SendBatch } from "./ship/shipper.js";
import { startActiveResponse } from "./respond/start.js";
import { lineId } from "./tail/identity.js";
import { OffsetStore } from "./tail/offsets.js";
import { LocationTailer, type TailedLine } from "./tail/tailer.js";

/** How long a direct send may keep failing before its batch goes to the disk buffer instead. */
const DIRECT_GIVE_UP_MS = 1_000;
/** While draining the buffer, the longest pause between attempts: catch up soon after the manager is back. */
const DRAIN_MAX_DELAY_MS = 2_000;

export interface RunningAgent {
  /** Resolves when the loop has stopped, the last batch is safe and offsets are saved. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Wakes the loop early: a file-system event, or stop(). */
class Waker {
  private resolve: (() => void) | null = null;
  private pending = false;
  notify(): void {
    this.pending = true;
    this.resolve?.();
  }
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done() {
        clearTimeout(timer);
        self.resolve = null;
        self.pending = false;
        resolve();
      }
      this.resolve = done;
    });
  }
}

export async function startAgent(config: AgentConfig, enrollment: Enrollment, log: Logger): Promise<RunningAgent> {
  await mkdir(config.state_dir, { recursive: true, mode: 0o700 });
  const endpoint = collectorEndpoint(config);
  const store = await OffsetStore.open(path.join(config.state_dir, "offsets.json"), (m) => log.warn(m));
  const buffer = await DiskBuffer.open(path.join(config.state_dir, "buffer"), Math.round(config.buffer_max_mb * 1024 * 1024));

  const send: SendBatch = async (events, mode, signal) => {
    await shipBatch(undefined, events, {
      ...endpoint,
      key: enrollment.key,
      signal,
      giveUpAfterMs: mode === "direct" ? DIRECT_GIVE_UP_MS : undefined,
      maxDelayMs: DRAIN_MAX_DELAY_MS,
      onRetry: (attempt, reason, delay) => {
        if (mode === "drain" && (attempt === 1 || attempt % 30 === 0)) log.warn({ attempt, reason, delay }, "manager unreachable; buffered lines wait on disk");
      },
    });
  };
  const shipper = new Shipper(send, buffer, log);
  shipper.resume();

  // Active response: block commands over the push channel; results go out through the shipper like lines.
  const activeResponse = await startActiveResponse({
    config,
    agent: { id: enrollment.id, name: enrollment.name, key: enrollment.key },
    endpoint,
    submit: (events) => shipper.submit(events),
    log,
  });

  const waker = new Waker();
  const tailers = config.localfile.map(
    (entry) =>
      new LocationTailer(entry, {
        store,
        maxLineBytes: config.max_line_bytes,
        onlyFutureEvents: config.only_future_events,
        log,
        wake: () => waker.notify(),
        refreshMs: config.poll_interval_ms,
      }),
  );
  for (const tailer of tailers) await tailer.start();
  await store.flush(); // first-sight decisions (start at the end) must hold across a crash

  const batcher = new Batcher<TailedLine>({ maxLines: config.batch_max_lines, maxBytes: config.batch_max_bytes, maxDelayMs: config.batch_max_delay_ms });
  let inFlight: Promise<void> = Promise.resolve();
  let failure: Error | null = null;
  let stopped = false;

  const toEvent = (line: TailedLine): ShippedEvent => ({
    id: lineId(enrollment.id, line.identity, line.generation, line.start),
    location: line.location,
    logFormat: line.logFormat,
    message: line.message,
    collectedAt: line.collectedAt,
  });

  const flush = async () => {
    const lines = batcher.take();
    if (lines.length === 0) return;
    await inFlight; // one batch in flight at a time keeps offsets committing in order
    if (failure) return;
    inFlight = (async () => {
      await shipper.submit(lines.map(toEvent));
      for (const line of lines) store.commit(line.identity, line.generation, line.end);
      await store.flush();
    })().catch((err: Error) => {
      failure = err;
      waker.notify();
    });
  };

  const sendKeepalive = async () => {
    const stats = shipper.stats();
    try {
      await callCollector(endpoint, "POST", "/v1/agents/keepalive", { key: enrollment.key, body: { os: agentOs(), version: agentVersion(), buffered: stats.bufferedLines, dropped: stats.droppedLines } });
    } catch (err) {
      log.debug({ err: (err as Error).message }, "keepalive not delivered");
    }
  };
  void sendKeepalive();
  const keepalive = setInterval(() => void sendKeepalive(), config.notify_time * 1000);
  let lastStatsLog = Date.now();

  const loop = async () => {
    const fresh: TailedLine[] = [];
    while (!stopped && !failure) {
      let added = 0;
      for (const tailer of tailers) {
        const room = batcher.room;
        if (room === 0) break;
        fresh.length = 0;
        added += await tailer.poll(fresh, room);
        const now = Date.now();
        for (const line of fresh) batcher.add(line, now);
      }
      const now = Date.now();
      if (batcher.shouldFlush(now)) await flush();
      else if (added === 0) {
        // Idle: save what the tailers decided on their own (a rotated file retired, a truncation) right away.
        await store.flush();
        const due = batcher.dueAt();
        await waker.wait(due === null ? config.poll_interval_ms : Math.min(config.poll_interval_ms, due - now));
      }
      if (now - lastStatsLog > 60_000) {
        lastStatsLog = now;
        log.info(shipper.stats(), "agent statistics");
      }
    }
    // Stopping: what was read goes out (or to disk) and the offsets are saved before the process exits.
    if (!failure) await flush();
    await inFlight;
    await activeResponse?.stop(); // its last results still go out through the shipper
    clearInterval(keepalive);
    await shipper.stop();
    for (const tailer of tailers) await tailer.close();
    await store.flush();
    closeCollectorConnections();
    if (failure) throw failure;
  };

  const done = loop();
  log.info({ agent: enrollment.id, name: enrollment.name, manager: config.manager, files: config.localfile.map((f) => f.location) }, "agent running");
  return {
    done,
    async stop() {
      stopped = true;
      waker.notify();
      await done.catch(() => {});
    },
  };
}
