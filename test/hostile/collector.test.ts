// Hostile requests against a collector instance of our own (demo/victim.ts startServiceInstance, on a free
// loopback port, sharing the stack's Kafka and Redis), started with short HTTP limits so that the bounds show in
// seconds: oversized, malformed, wrongly typed and wrongly shaped bodies, wrong content types, missing, garbage
// and revoked keys, header floods, clients that send a byte at a time (slowloris), and more connections than
// the cap. A good client posts all along and is served; nothing of a refused request reaches tld.events.raw.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { hostname } from "node:os";
import { consumerGroupId, deleteConsumerGroups } from "../../lib/kafka.js";
import { createLogger } from "../../lib/logger.js";
import { localAgentKey } from "../../lib/secrets.js";
import { commandFeedGroup } from "../../services/collector/commandFeed.js";
import { freePort, startServiceInstance, type ServiceInstance } from "../../demo/victim.js";
import { enrolledAgent } from "../harness/agent.js";
import { config, readTopicWithKcat, runTag, tld, waitFor } from "../harness/tools.js";

const LIMITS = { headersMs: 2_000, requestMs: 4_000, idleMs: 3_000, keepAliveMs: 1_000, maxConnections: 64 };
/** Node looks for expired connections once a second (lib/service.ts), and may see one two checks late; plus a busy machine. */
const SLACK_MS = 3_000;
const tag = `hostile-http-${runTag()}-${Date.now()}`;
const startedAt = Date.now() - 5_000;
/** Carried by every refused request: none may be found on tld.events.raw. */
const REFUSED = `refused-${tag}`;

let collector: ServiceInstance;
let port: number;
let base: string;
const key = () => localAgentKey(config());

before(async () => {
  port = await freePort("127.0.0.1");
  base = `http://127.0.0.1:${port}`;
  collector = await startServiceInstance(
    "collector",
    {
      TLD_COLLECTOR_PORT: String(port),
      TLD_HTTP_HEADERS_TIMEOUT_MS: String(LIMITS.headersMs),
      TLD_HTTP_REQUEST_TIMEOUT_MS: String(LIMITS.requestMs),
      TLD_HTTP_IDLE_TIMEOUT_MS: String(LIMITS.idleMs),
      TLD_HTTP_KEEPALIVE_TIMEOUT_MS: String(LIMITS.keepAliveMs),
      TLD_HTTP_MAX_CONNECTIONS: String(LIMITS.maxConnections),
      // The hostile requests come from one key in bursts: the rate limit is not what this test is about.
      TLD_COLLECTOR_REQUESTS_PER_SECOND: "10000",
    },
    `http://127.0.0.1:${port}/readyz`,
  );
});

after(async () => {
  await collector?.stop();
  // The instance's command feed had a consumer group of its own (named after its port): nobody will resume it.
  await deleteConsumerGroups(config(), createLogger("it-hostile-http", "error"), [consumerGroupId(config(), commandFeedGroup(hostname(), port))]);
});

const event = (message: string, extra: object = {}) => ({ location: "/var/log/hostile", logFormat: "apache", message, ...extra });
const batch = (...events: object[]) => JSON.stringify({ agent: { name: tag }, events });
const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/events`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key()}`, ...headers }, body });

/** The good client: one small batch every 300 ms while the hostile ones run; every answer is kept, with its time. */
class GoodClient {
  readonly statuses: number[] = [];
  readonly times: number[] = [];
  private n = 0;
  private running = true;
  private readonly loop: Promise<void>;
  constructor() {
    this.loop = (async () => {
      while (this.running) {
        const sentAt = Date.now();
        const status = await post(batch(event(`good-${tag}-${this.n++}`))).then((r) => r.status, () => -1);
        this.statuses.push(status);
        this.times.push(sentAt);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
  }
  get accepted(): number {
    return this.statuses.filter((s) => s === 202).length;
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
let good: GoodClient;
/** When every slot was taken (the flood): the only time a good request may be refused, at connect, like any other. */
const floodWindow = { from: 0, to: 0 };

/** A raw connection: what the server answers, and when (ms after connecting) it closed the connection. */
interface RawClient {
  socket: Socket;
  response: () => string;
  closed: Promise<number>;
}
function rawClient(to = { host: "127.0.0.1", port }): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const socket = connect(to.port, to.host);
    let response = "";
    socket.on("data", (d: Buffer) => (response += d.toString("latin1")));
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - startedAt)));
    socket.once("error", () => undefined); // a reset is a close too
    socket.once("connect", () => resolve({ socket, response: () => response, closed }));
    socket.once("error", reject);
  });
}

/** Sends `text` one byte every `everyMs` until the server closes the connection; resolves with when it did. */
async function slowloris(text: string, everyMs: number): Promise<{ closedAfterMs: number; sent: number; response: string }> {
  const client = await rawClient();
  let sent = 0;
  let open = true;
  void client.closed.then(() => (open = false));
  while (open && sent < text.length) {
    client.socket.write(text[sent++]);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const closedAfterMs = await client.closed;
  return { closedAfterMs, sent, response: client.response() };
}

/** One raw request, whole; the status line's code (0 when the server closed without answering). */
async function rawRequest(text: string | Buffer, waitMs = 5_000): Promise<number> {
  const client = await rawClient();
  client.socket.write(text);
  const answered = () => (/^HTTP\/1\.1 \d{3} [^]*?\r\n\r\n/.test(client.response()) ? true : undefined);
  await waitFor("an answer", answered, waitMs, 10).catch(() => undefined);
  client.socket.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(client.response())?.[1] ?? 0);
  if (process.env.TLD_TEST_DEBUG) console.log(`raw ${status}: ${JSON.stringify(client.response().slice(0, 300))}`);
  return status;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
}

test("bodies: oversized 413, malformed JSON 400, JSON of the wrong type or shape 400, wrong content type 415", async () => {
  good = new GoodClient();
  const limit = config().collector.bodyLimitBytes;
  assert.equal((await post(batch(event(`${REFUSED}-huge`, { message: `${REFUSED} ${"x".repeat(limit)}` })))).status, 413);
  // Streamed (chunked, no Content-Length): cut at the limit, not read to the end.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(`{"agent":{"name":"${tag}"},"events":[{"location":"l","logFormat":"apache","message":"${REFUSED}`));
      for (let i = 0; i < 12; i++) controller.enqueue(new Uint8Array(512 * 1024).fill(0x61));
      controller.enqueue(new TextEncoder().encode('"}]}'));
      controller.close();
    },
  });
  const chunked = await fetch(`${base}/v1/events`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key()}` }, body: stream, duplex: "half" } as RequestInit);
  assert.equal(chunked.status, 413);
  // A Content-Length past the limit is refused before any of the body is read.
  const auth = `Authorization: Bearer ${key()}\r\n`;
  assert.equal(await rawRequest(`POST /v1/events HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{`, 8_000), 413);

  const malformed = [
    "{not json",
    `{"agent":{"name":"${tag}"},"events":[{"location":"l","logFormat":"apache","message":"${REFUSED}"}`,
    "",
    "\u0000\u0000",
    '{"a":' + "[".repeat(100_000),
    `{"agent":{"name":"${tag}"},"events":[{"location":"l","logFormat":"apache","message":"${REFUSED}"}]}}`,
  ];
  for (const body of malformed) assert.equal((await post(body)).status, 400, JSON.stringify(body.slice(0, 60)));
  // Deep but valid, with "__proto__" in it so that the parser's poisoning scan walks all of it: refused, not a crash.
  assert.equal((await post(`{"x":"__proto__","a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)).status, 400);
  // Invalid UTF-8 inside a string: read with replacement characters, so the batch is well-formed and taken.
  const utf8 = Buffer.concat([Buffer.from(`{"agent":{"name":"${tag}"},"events":[{"location":"l","logFormat":"apache","message":"good-${tag}-utf8 `), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}]}')]);
  assert.equal((await post(utf8)).status, 202);
  // Prototype poisoning is refused by the JSON parser itself.
  for (const body of [`{"__proto__":{"x":1},"agent":{"name":"${tag}"},"events":[${JSON.stringify(event(REFUSED))}]}`, `{"constructor":{"prototype":{"x":1}},"agent":{"name":"${tag}"},"events":[${JSON.stringify(event(REFUSED))}]}`]) {
    assert.equal((await post(body)).status, 400, body.slice(0, 40));
  }
  assert.equal(({} as Record<string, unknown>).x, undefined);

  const { maxLinesPerBatch, maxLineBytes } = config().collector;
  const wrong: [unknown, RegExp][] = [
    [[], /body/],
    ["a string", /body/],
    [42, /body/],
    [null, /body/],
    [{ agent: { name: tag }, events: "x" }, /events/],
    [{ agent: { name: tag }, events: [] }, /events/],
    [{ agent: { name: tag }, events: [event(REFUSED, { message: 123 })] }, /events\.0\.message/],
    [{ agent: { name: tag }, events: [event(REFUSED, { logFormat: "exe" })] }, /events\.0\.logFormat/],
    [{ agent: { name: tag }, events: [event(REFUSED, { location: "" })] }, /events\.0\.location/],
    [{ agent: { name: tag }, events: [event(REFUSED, { collectedAt: -1 })] }, /events\.0\.collectedAt/],
    [{ agent: { name: tag }, events: [event(REFUSED, { collectedAt: "yesterday" })] }, /events\.0\.collectedAt/],
    [{ agent: { name: tag }, events: [event(REFUSED, { shell: "$(id)" })] }, /events\.0/],
    [{ agent: { name: tag }, events: [event(`${REFUSED} ${"x".repeat(maxLineBytes)}`)] }, /longer than/],
    [{ agent: { name: tag }, events: Array.from({ length: maxLinesPerBatch + 1 }, () => event(REFUSED)) }, /events/],
    [{ agent: { name: tag, id: "../../etc/passwd" }, events: [event(REFUSED)] }, /agent\.id/],
    [{ agent: { name: tag, extra: 1 }, events: [event(REFUSED)] }, /agent/],
    [{ agent: { name: "" }, events: [event(REFUSED)] }, /agent\.name/],
    [{ events: [event(REFUSED)] }, /^agent:/],
  ];
  for (const [body, expected] of wrong) {
    const r = await post(JSON.stringify(body));
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(((await r.json()) as { error: string }).error, expected);
  }

  const json = batch(event(REFUSED));
  for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "application/vnd.api+json", "image/png"]) {
    assert.equal((await post(json, { "content-type": type })).status, 415, type);
  }
  // Plain text is read as a string, which is no batch.
  const text = await post(json, { "content-type": "text/plain" });
  assert.equal(text.status, 400);
  assert.match(((await text.json()) as { error: string }).error, /^body: .*expected object, received string/);
  assert.equal(await rawRequest(`POST /v1/events HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`), 415, "no content type");
  // Other methods and paths: nothing there.
  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) assert.equal((await fetch(`${base}/v1/events`, { method, headers: { authorization: `Bearer ${key()}` } })).status, 404, method);
});

test("keys: missing, malformed, garbage and revoked are 401 before the body is read", async () => {
  const json = batch(event(REFUSED));
  const agent = await enrolledAgent(`it-${tag}`);
  const { key: agentKey } = JSON.parse(readFileSync(path.join(agent.stateDir, "agent.key"), "utf8")) as { key: string };
  assert.equal((await post(batch(event(`good-${tag}-enrolled`)), { authorization: `Bearer ${agentKey}` })).status, 202, "the enrolled key works on this instance too (the registry is in Redis)");
  await tld("agents", "rm", agent.id);
  const refused = [
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    `bearer ${key()}`,
    `Bearer ${key()}x`,
    `Bearer ${agentKey}`, // revoked
    `Bearer ${agent.id}.`,
    `Bearer ${agent.id}.${"A".repeat(43)}`,
    "Bearer 000.x",
    "Bearer ../../etc.passwd",
    `Bearer ${"x".repeat(8000)}`,
    `Bearer ${key()} ${key()}`,
  ];
  for (const authorization of refused) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authorization !== undefined) headers.authorization = authorization;
    const r = await fetch(`${base}/v1/events`, { method: "POST", headers, body: json });
    assert.equal(r.status, 401, String(authorization).slice(0, 60));
    assert.equal(r.headers.get("www-authenticate"), "Bearer");
  }
  // Unauthenticated and oversized: 401, the body is never looked at.
  const huge = batch(event(`${REFUSED} ${"x".repeat(config().collector.bodyLimitBytes)}`));
  assert.equal((await fetch(`${base}/v1/events`, { method: "POST", headers: { "content-type": "application/json" }, body: huge })).status, 401);
  // Two Authorization headers: the first one counts (Node drops duplicates of it), a valid second one is no way in.
  const twice = `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer garbage-of-some-length-000000\r\nAuthorization: Bearer ${key()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  assert.equal(await rawRequest(twice), 401);
  // Header values Node refuses to parse: a NUL, a bare CR.
  assert.equal(await rawRequest(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\nContent-Length: 2\r\n\r\n{}`), 400);
  assert.equal(await rawRequest(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\rb\r\nContent-Length: 2\r\n\r\n{}`), 400);
});

test("header floods: past 16 KB of headers 431, however they are spread", async () => {
  const head = (extra: string, json = batch(event(REFUSED))) => `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key()}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  assert.equal(await rawRequest(head(`X-Big: ${"a".repeat(20_000)}\r\n`)), 431);
  assert.equal(await rawRequest(head(Array.from({ length: 3_000 }, (_, i) => `X-${i}: a\r\n`).join(""))), 431);
  assert.equal(await rawRequest(head(`Cookie: ${"a=b; ".repeat(5_000)}\r\n`)), 431);
  // Many headers within the limit are only headers: the request is served.
  const many = head(Array.from({ length: 1_000 }, (_, i) => `X-${i}: a\r\n`).join(""), batch(event(`good-${tag}-many-headers`)));
  assert.equal(await rawRequest(many), 202);
});

test("slow clients are cut off on time: headers or body a byte at a time, silence, idle keep-alive", async () => {
  const requestOf = (json: string) => `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  const json = batch(event(REFUSED));
  const request = requestOf(json);
  const headerEnd = request.indexOf("\r\n\r\n") + 4;
  // 40 of them at once, each a byte every 100 ms: headers alone would take them 20 s.
  const headers = await Promise.all(Array.from({ length: 40 }, () => slowloris(request, 100)));
  for (const h of headers) {
    assert.ok(h.sent < headerEnd, "cut before the headers were done");
    assert.ok(h.closedAfterMs <= LIMITS.headersMs + SLACK_MS, `slow headers cut after ${h.closedAfterMs} ms`);
  }
  console.log(`slow headers (40 clients, a byte every 100 ms): cut after ${Math.min(...headers.map((h) => h.closedAfterMs))}-${Math.max(...headers.map((h) => h.closedAfterMs))} ms (headersTimeoutMs ${LIMITS.headersMs})`);

  // Headers at once, then the body a byte every 50 ms (its ${json.length} bytes would take ~${json.length / 20} s).
  const client = await rawClient();
  client.socket.write(request.slice(0, headerEnd));
  let sent = headerEnd;
  let open = true;
  void client.closed.then(() => (open = false));
  while (open && sent < request.length) {
    client.socket.write(request[sent++]);
    await new Promise((r) => setTimeout(r, 50));
  }
  const bodyCutAfter = await client.closed;
  assert.ok(sent < request.length, "cut before the body was done");
  assert.ok(bodyCutAfter <= LIMITS.requestMs + SLACK_MS, `slow body cut after ${bodyCutAfter} ms`);
  assert.match(client.response(), /^HTTP\/1\.1 408/, "told why: 408 Request Timeout");
  console.log(`slow body: cut after ${bodyCutAfter} ms (requestTimeoutMs ${LIMITS.requestMs}), ${sent - headerEnd} of ${json.length} body bytes sent`);

  // Connected and silent.
  const silent = await rawClient();
  const silentCut = await silent.closed;
  assert.ok(silentCut <= LIMITS.headersMs + SLACK_MS, `silent connection cut after ${silentCut} ms`);
  // One good request, then the connection kept alive and idle.
  const idle = await rawClient();
  idle.socket.write(requestOf(batch(event(`good-${tag}-keepalive`))));
  await waitFor("the answer", () => (/^HTTP\/1\.1 202/.test(idle.response()) ? true : undefined), 5_000, 20);
  const idleCut = await idle.closed;
  assert.ok(idleCut <= LIMITS.keepAliveMs + SLACK_MS, `idle keep-alive connection closed after ${idleCut} ms`);
  console.log(`silent connection cut after ${silentCut} ms; idle keep-alive closed ${idleCut} ms after connecting (keepAliveTimeoutMs ${LIMITS.keepAliveMs})`);
});

test("more connections than the cap: the rest are closed at once, all are freed on time, then good requests are served", async () => {
  const droppedBefore = await metric("tld_http_connections_dropped_total");
  floodWindow.from = Date.now();
  const flood = await Promise.all(Array.from({ length: 200 }, () => rawClient()));
  const closedAt: number[] = [];
  for (const c of flood) void c.closed.then((t) => closedAt.push(t));
  await new Promise((r) => setTimeout(r, 500));
  const openNow = flood.length - closedAt.length;
  // The good client's own kept-alive connection holds one of the slots.
  assert.ok(openNow <= LIMITS.maxConnections, `${openNow} connections held open (cap ${LIMITS.maxConnections})`);
  await Promise.all(flood.map((c) => c.closed));
  floodWindow.to = Date.now();
  const last = Math.max(...closedAt);
  // Read once the flood is gone: while it holds every slot, /metrics is refused like anything else.
  const dropped = (await metric("tld_http_connections_dropped_total")) - droppedBefore;
  assert.ok(dropped >= flood.length - LIMITS.maxConnections, `${dropped} connections dropped`);
  assert.ok(last <= LIMITS.headersMs + SLACK_MS, `the last flood connection was freed after ${last} ms`);
  console.log(`flood of ${flood.length} connections: ${openNow} held (cap ${LIMITS.maxConnections}), ${dropped} closed at once, all freed within ${last} ms`);
  // Freed: served again.
  assert.equal((await post(batch(event(`good-${tag}-after-flood`)))).status, 202);
});

test("the defaults, on the stack's collector: a silent connection and headers a byte a second are cut within http.headersTimeoutMs", async () => {
  const { headersTimeoutMs } = config().http;
  const stack = { host: config().collector.host, port: config().collector.port };
  const silent = await rawClient(stack);
  const slow = await rawClient(stack);
  const request = "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Pad: " + "a".repeat(200) + "\r\n\r\n";
  let sent = 0;
  slow.socket.write(request[sent++]);
  const timer = setInterval(() => slow.socket.write(request[sent++]), 1_000);
  try {
    const [silentMs, slowMs] = await Promise.all([silent.closed, slow.closed]);
    console.log(`stack collector (defaults): silent connection cut after ${silentMs} ms, slow headers after ${slowMs} ms (headersTimeoutMs ${headersTimeoutMs})`);
    for (const ms of [silentMs, slowMs]) assert.ok(ms >= headersTimeoutMs - 500 && ms <= headersTimeoutMs + SLACK_MS, `cut after ${ms} ms`);
  } finally {
    clearInterval(timer);
    silent.socket.destroy();
    slow.socket.destroy();
  }
});

test("the good client was served throughout, and only good events are on tld.events.raw", async () => {
  await good.stop();
  const inFlood = (i: number) => good.times[i] >= floodWindow.from - 300 && good.times[i] <= floodWindow.to;
  const refusedOutside = good.statuses.filter((s, i) => s !== 202 && !inFlood(i));
  const refusedInFlood = good.statuses.filter((s, i) => s !== 202 && inFlood(i));
  console.log(`good client: ${good.statuses.length} batches, ${good.accepted} accepted; refused outside the flood: ${JSON.stringify(refusedOutside)}, during it (cap full, connection closed): ${refusedInFlood.length}`);
  assert.deepEqual(refusedOutside, [], "served throughout the slow clients and bad requests");
  assert.ok(refusedInFlood.every((s) => s === -1), "during the flood only ever refused at connect");
  assert.equal(collector.child.exitCode, null, "the collector is still running");
  // Besides the good client's: utf8, enrolled, many-headers, keep-alive, after-flood.
  const expected = good.accepted + 5;
  const mine = await waitFor("the good events on tld.events.raw", () => {
    const found = readTopicWithKcat("tld.events.raw", startedAt).filter((r) => r.value.includes(tag));
    return found.length >= expected ? found : undefined;
  }, 30_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const all = readTopicWithKcat("tld.events.raw", startedAt).filter((r) => r.value.includes(tag));
  assert.deepEqual(all.filter((r) => r.value.includes(REFUSED)).map((r) => r.value.toString("latin1").slice(0, 120)), [], "nothing of a refused request");
  assert.equal(all.length, expected, `each good event once (${mine.length} seen first)`);
});
