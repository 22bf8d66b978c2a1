// How anything ships log lines to the collector (the agent and `tld replay` alike): POST /v1/events with
// the agent key, retried with capped exponential backoff on network errors, 429 and 503 (honouring
// Retry-After). A 4xx other than 429 is the caller's fault and is not retried.

export interface ShippedEvent {
  id: string;
  location: string;
  logFormat: string;
  message: string;
  collectedAt: number;
}

export interface AgentIdentity {
  id?: string;
  name: string;
  os?: string;
}

export class CollectorRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(`collector refused the batch (${status}): ${message}`);
    this.name = "CollectorRefused";
  }
}

export interface ShipOptions {
  baseUrl: string;
  key: string;
  /** Gives up after this long of failed attempts for one batch (default: never). */
  giveUpAfterMs?: number;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function backoffDelay(attempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds)) return Math.min(30_000, retryAfterSeconds * 1000);
  return Math.min(10_000, 100 * 2 ** Math.min(attempt, 7));
}

export async function shipBatch(agent: AgentIdentity, events: ShippedEvent[], options: ShipOptions): Promise<number> {
  const started = Date.now();
  const body = JSON.stringify({ agent, events });
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryAfter: number | undefined;
    try {
      const res = await fetch(new URL("/v1/events", options.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.key}` },
        body,
        signal: options.signal,
      });
      const text = await res.text();
      if (res.status === 202) return (JSON.parse(text) as { accepted: number }).accepted;
      if (res.status !== 429 && res.status !== 503 && res.status < 500) {
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: string }).error ?? text;
        } catch {
          /* not JSON: keep the text */
        }
        throw new CollectorRefused(res.status, message);
      }
      reason = `HTTP ${res.status}`;
      const header = res.headers.get("retry-after");
      retryAfter = header ? Number(header) : undefined;
    } catch (err) {
      if (err instanceof CollectorRefused || options.signal?.aborted) throw err;
      reason = (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message;
    }
    if (options.giveUpAfterMs !== undefined && Date.now() - started > options.giveUpAfterMs) {
      throw new Error(`collector at ${options.baseUrl} unreachable for ${Math.round((Date.now() - started) / 1000)}s: ${reason}`);
    }
    const delay = backoffDelay(attempt, retryAfter);
    options.onRetry?.(attempt, reason, delay);
    await sleep(delay);
  }
}
