// The push channel: GET /v1/agents/commands kept open as Server-Sent Events (framing read by eventsource-parser),
// reconnected with capped exponential backoff (100 ms doubling to 5 s, with jitter so a fleet does not come back
// in step) and Last-Event-ID. The collector sends `: ping` every 15 s; a channel silent for longer than
// idleTimeoutMs is taken for dead and reopened. Over HTTPS the collector's certificate must chain to the
// pinned CA, as for shipping.
import http from "node:http";
import https from "node:https";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { CollectorEndpoint } from "../../lib/collectorClient.js";

export const COMMANDS_PATH = "/v1/agents/commands";

export interface ChannelLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ChannelOptions {
  endpoint: CollectorEndpoint;
  key: string;
  /** Called for every `command` event, in order; the next event waits for it. */
  onCommand: (message: { id: string | undefined; data: string }) => Promise<void>;
  log: ChannelLog;
  initialDelayMs?: number;
  maxDelayMs?: number;
  idleTimeoutMs?: number;
  /** Told each time the stream opens (tests, metrics). */
  onOpen?: () => void;
}

/** The wait before reconnect attempt n (1-based): 100, 200, 400 ... capped, drawn from its upper half. */
export function reconnectDelay(attempt: number, initialMs = 100, maxMs = 5_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class CommandChannel {
  private lastEventId: string | undefined;
  private request: http.ClientRequest | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private opened = false;

  constructor(private readonly options: ChannelOptions) {}

  /** True while the stream is open. */
  get connected(): boolean {
    return this.opened;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.request?.destroy();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    let attempt = 0;
    let lastProblem = "";
    let problemLoggedAt = 0;
    while (!this.stopped) {
      const outcome = await this.connectOnce(() => {
        log.info({ attempts: attempt + 1 }, "command channel open");
        attempt = 0;
        lastProblem = "";
      });
      if (this.stopped) break;
      attempt++;
      // Say what is wrong when it changes, and then once a minute, not at every attempt.
      if (outcome !== lastProblem || Date.now() - problemLoggedAt > 60_000) {
        (outcome.startsWith("refused") ? log.error : log.warn).call(log, { reason: outcome, attempt }, "command channel closed; reconnecting");
        lastProblem = outcome;
        problemLoggedAt = Date.now();
      }
      await this.sleep(reconnectDelay(attempt, this.options.initialDelayMs, this.options.maxDelayMs));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** One connection, until it ends; resolves with why it ended. */
  private connectOnce(onOpen: () => void): Promise<string> {
    const { endpoint, key, onCommand } = this.options;
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 45_000;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (why: string) => {
        if (settled) return;
        settled = true;
        this.opened = false;
        clearTimeout(idle);
        this.request?.destroy();
        this.request = null;
        resolve(why);
      };
      let idle: NodeJS.Timeout = setTimeout(() => finish(`no data for ${idleTimeoutMs} ms (connecting)`), idleTimeoutMs);
      const resetIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => finish(`no data or ping for ${idleTimeoutMs} ms`), idleTimeoutMs);
      };

      let url: URL;
      try {
        url = new URL(COMMANDS_PATH, endpoint.baseUrl);
      } catch (err) {
        return finish(`bad manager URL: ${(err as Error).message}`);
      }
      const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-cache", authorization: `Bearer ${key}` };
      if (this.lastEventId !== undefined) headers["last-event-id"] = this.lastEventId;
      const transport = url.protocol === "https:" ? https : http;
      // A connection of its own (no keep-alive pool): it stays open for hours.
      const req = transport.request(url, { method: "GET", headers, agent: false, ...(endpoint.ca ? { ca: endpoint.ca } : {}) });
      this.request = req;
      req.on("error", (err: NodeJS.ErrnoException) => finish(err.code ? `${err.code}: ${err.message}` : err.message));
      req.on("response", (res) => {
        const type = String(res.headers["content-type"] ?? "");
        if (res.statusCode !== 200 || !type.startsWith("text/event-stream")) {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (body = (body + d).slice(0, 300)));
          res.on("end", () => finish(`${res.statusCode === 401 || res.statusCode === 403 ? "refused" : "unexpected answer"}: HTTP ${res.statusCode} ${type} ${body.trim()}`.trim()));
          res.on("error", () => finish(`HTTP ${res.statusCode}`));
          return;
        }
        this.opened = true;
        onOpen();
        this.options.onOpen?.();
        resetIdle();
        // Events are handed over one at a time, in order; reading pauses while one is applied.
        let chain: Promise<void> = Promise.resolve();
        const parser = createParser({
          onEvent: (event: EventSourceMessage) => {
            if (event.id !== undefined) this.lastEventId = event.id;
            if ((event.event ?? "message") !== "command") return;
            chain = chain.then(() => onCommand({ id: event.id, data: event.data }));
          },
        });
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          resetIdle();
          parser.feed(chunk);
          res.pause();
          chain.then(
            () => res.resume(),
            (err: Error) => finish(`applying a command failed: ${err.message}`),
          );
        });
        res.on("end", () => finish("the collector closed the stream"));
        res.on("error", (err: Error) => finish(err.message));
        res.on("close", () => finish("connection closed"));
      });
      req.end();
    });
  }
}
