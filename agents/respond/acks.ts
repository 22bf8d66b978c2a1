// Acknowledgements: after a command is applied (or refused for good) its id goes back to the collector with
// POST /v1/agents/commands/ack, so it is not delivered again. Ids wait in a bounded set and go out in batches;
// a failed post is retried with backoff. An ack that never arrives costs only a redelivery, which the agent
// recognises by id.
import { collectorRequest, refusalMessage, type CollectorEndpoint } from "../../lib/collectorClient.js";
import { reconnectDelay, type ChannelLog } from "./channel.js";

export const ACK_PATH = "/v1/agents/commands/ack";
const MAX_PENDING = 10_000;
const MAX_PER_POST = 500;

export class Acker {
  private readonly pending = new Set<string>();
  private flushing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly endpoint: CollectorEndpoint,
    private readonly key: string,
    private readonly log: ChannelLog,
  ) {}

  get waiting(): number {
    return this.pending.size;
  }

  ack(id: string): void {
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.values().next().value as string;
      this.pending.delete(oldest);
    }
    this.pending.add(id);
    this.kick();
  }

  private kick(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
      if (this.pending.size > 0 && !this.stopped) this.kick();
    });
  }

  /** Sends what is waiting once more, then stops retrying. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.flushing;
  }

  private async flush(): Promise<void> {
    let attempt = 0;
    while (this.pending.size > 0) {
      const ids = [...this.pending].slice(0, MAX_PER_POST);
      let problem: string;
      try {
        const res = await collectorRequest(this.endpoint, "POST", ACK_PATH, { key: this.key, body: { ids } });
        if (res.status >= 200 && res.status < 300) {
          for (const id of ids) this.pending.delete(id);
          attempt = 0;
          continue;
        }
        problem = `HTTP ${res.status}: ${refusalMessage(res.text)}`;
        if (res.status === 400 || res.status === 413) {
          // The collector will never take these: drop them (they may be delivered again, and are then deduplicated).
          for (const id of ids) this.pending.delete(id);
          this.log.error({ ids: ids.length, problem }, "collector refused command acknowledgements");
          continue;
        }
      } catch (err) {
        problem = (err as Error).message;
      }
      if (this.stopped) return;
      attempt++;
      if (attempt === 1 || attempt % 20 === 0) this.log.warn({ waiting: this.pending.size, attempt, problem }, "command acknowledgements not delivered; retrying");
      await new Promise((r) => setTimeout(r, reconnectDelay(attempt, 200, 5_000)));
    }
  }
}
