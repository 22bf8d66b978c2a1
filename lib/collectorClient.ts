// How anything talks to the collector (the agent, `tld agent enroll`, `tld agents` and `tld replay` alike).
// Shipping is POST /v1/events with the agent key, retried with capped exponential backoff on network errors,
// 429 and 503 (honouring Retry-After). A 4xx other than 429 is the caller's fault and is not retried.
// Requests go through node's http/https with a keep-alive pool; with a CA file the server's certificate must
// chain to that CA alone (the system's trust store is not consulted), which is what pinning means here.
import http from "node:http";
import https from "node:https";

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
    super(`collector refused the request (${status}): ${message}`);
    this.name = "CollectorRefused";
  }
}

export interface CollectorEndpoint {
  baseUrl: string;
  /** PEM of the CA the collector's certificate must chain to (HTTPS only). */
  ca?: string | Buffer;
  /** One attempt's limit, so a collector that accepts and never answers counts as unreachable. */
  timeoutMs?: number;
}

export interface ShipOptions extends CollectorEndpoint {
  key: string;
  /** Gives up after this long of failed attempts for one batch (default: never). */
  giveUpAfterMs?: number;
  /** Longest wait between attempts (default 10 s; Retry-After may ask for up to 30 s). */
  maxDelayMs?: number;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
  signal?: AbortSignal;
  /** "bulk" for a backlog sent as fast as it is read (tld replay): the collector paces it behind live lines. */
  lane?: "live" | "bulk";
}

export interface CollectorResponse {
  status: number;
  retryAfterSeconds?: number;
  text: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function backoffDelay(attempt: number, retryAfterSeconds?: number, maxDelayMs = 10_000): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds)) return Math.min(30_000, retryAfterSeconds * 1000);
  return Math.min(maxDelayMs, 100 * 2 ** Math.min(attempt, 7));
}

// One keep-alive pool per (scheme, CA): a batch every 100 ms should not pay a TCP (and TLS) handshake each.
const pools = new Map<string, http.Agent>();
function poolFor(url: URL, ca: string | Buffer | undefined): http.Agent {
  const id = `${url.protocol}|${ca ? ca.toString() : ""}`;
  let pool = pools.get(id);
  if (!pool) {
    pool = url.protocol === "https:" ? new https.Agent({ keepAlive: true, maxSockets: 8, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
    pools.set(id, pool);
  }
  return pool;
}

/** Closes idle keep-alive sockets so a short-lived CLI process can exit at once. */
export function closeCollectorConnections(): void {
  for (const pool of pools.values()) pool.destroy();
  pools.clear();
}

/** One HTTP exchange with the collector; network failures reject, every HTTP status resolves. */
export function collectorRequest(endpoint: CollectorEndpoint, method: string, urlPath: string, options: { key?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<CollectorResponse> {
  const url = new URL(urlPath, endpoint.baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") return Promise.reject(new Error(`collector URL must be http:// or https://, got ${endpoint.baseUrl}`));
  const payload = options.body === undefined ? undefined : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string | number> = { accept: "application/json" };
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = payload.length;
  }
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, agent: poolFor(url, endpoint.ca), signal: options.signal, timeout: endpoint.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const header = res.headers["retry-after"];
        const retryAfter = header === undefined ? undefined : Number(header);
        resolve({ status: res.statusCode ?? 0, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.origin} within ${endpoint.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The error text of a refusal: the JSON `error` field when there is one, else the body. */
export function refusalMessage(text: string): string {
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text; // not JSON: keep the text
  }
}

function networkReason(err: unknown): string {
  const e = err as Error & { code?: string; cause?: unknown };
  if (e.code) return `${e.code}: ${e.message}`;
  return e.cause ? String((e.cause as Error).message ?? e.cause) : e.message;
}

/**
 * Ships one batch and resolves with the number of events accepted. An enrolled agent sends no `agent` (its key
 * names it); the manager's own key (`tld replay`) passes the agent name the events are attributed to.
 */
export async function shipBatch(agent: AgentIdentity | undefined, events: ShippedEvent[], options: ShipOptions): Promise<number> {
  const started = Date.now();
  const lane = options.lane === "bulk" ? { lane: "bulk" } : {};
  const body = JSON.stringify(agent ? { agent, ...lane, events } : { ...lane, events });
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryAfter: number | undefined;
    try {
      const res = await collectorRequest(options, "POST", "/v1/events", { key: options.key, body, signal: options.signal });
      if (res.status === 202) return (JSON.parse(res.text) as { accepted: number }).accepted;
      if (res.status !== 429 && res.status !== 503 && res.status < 500) throw new CollectorRefused(res.status, refusalMessage(res.text));
      reason = `HTTP ${res.status}`;
      retryAfter = res.retryAfterSeconds;
    } catch (err) {
      if (err instanceof CollectorRefused || options.signal?.aborted) throw err;
      reason = networkReason(err);
    }
    if (options.giveUpAfterMs !== undefined && Date.now() - started >= options.giveUpAfterMs) {
      throw new CollectorUnreachable(`collector at ${options.baseUrl} unreachable for ${Math.round((Date.now() - started) / 1000)}s: ${reason}`);
    }
    let delay = backoffDelay(attempt, retryAfter, options.maxDelayMs);
    if (options.giveUpAfterMs !== undefined) delay = Math.max(0, Math.min(delay, started + options.giveUpAfterMs - Date.now()));
    options.onRetry?.(attempt, reason, delay);
    await sleep(delay);
  }
}

export class CollectorUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CollectorUnreachable";
  }
}

/** A JSON call that is not retried (enrollment, keepalive, registry management): 2xx body or CollectorRefused. */
export async function callCollector<T>(endpoint: CollectorEndpoint, method: string, urlPath: string, options: { key?: string; body?: unknown } = {}): Promise<T> {
  let res: CollectorResponse;
  try {
    res = await collectorRequest(endpoint, method, urlPath, options);
  } catch (err) {
    throw new CollectorUnreachable(`cannot reach the collector at ${endpoint.baseUrl}: ${networkReason(err)}`);
  }
  if (res.status < 200 || res.status >= 300) throw new CollectorRefused(res.status, refusalMessage(res.text));
  return JSON.parse(res.text) as T;
}
