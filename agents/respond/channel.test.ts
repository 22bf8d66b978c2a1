import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import test from "node:test";
import { closeCollectorConnections } from "../../lib/collectorClient.js";
import { Acker } from "./acks.js";
import { CommandChannel, reconnectDelay } from "./channel.js";

const silent = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function serve(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const message = (id: string) => `id: ${id}\nevent: command\ndata: {"id":"${id}","action":"add"}\n\n`;

test("reconnect delays start at 100 ms, double, stop at 5 s, drawn from the upper half", () => {
  const top = (n: number) => reconnectDelay(n, 100, 5000, () => 1);
  const bottom = (n: number) => reconnectDelay(n, 100, 5000, () => 0);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10].map(top), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  assert.deepEqual([1, 7].map(bottom), [50, 2500]);
});

test("SSE: the key is sent, commands arrive in order (comments and other events skipped), Last-Event-ID on reconnect", async () => {
  const seen: { auth?: string; lastEventId?: string; accept?: string }[] = [];
  const { base, close } = await serve((req, res) => {
    seen.push({ auth: req.headers.authorization, lastEventId: req.headers["last-event-id"] as string | undefined, accept: req.headers.accept });
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (seen.length === 1) {
      res.write(": ping\n\n");
      res.write(message("c1") + "event: other\ndata: x\n\n");
      // One event split across writes.
      const m = message("c2");
      res.write(m.slice(0, 10));
      setTimeout(() => res.end(m.slice(10)), 30); // then the collector goes away
    } else {
      res.write(message("c3"));
    }
  });
  const got: string[] = [];
  const channel = new CommandChannel({
    endpoint: { baseUrl: base },
    key: "agent-key",
    log: silent,
    onCommand: async ({ id, data }) => {
      await sleep(5); // applying takes a moment; the next waits
      got.push(`${id}:${JSON.parse(data).id}`);
    },
  });
  channel.start();
  await until("three commands", () => got.length === 3);
  assert.deepEqual(got, ["c1:c1", "c2:c2", "c3:c3"]);
  assert.equal(seen[0].auth, "Bearer agent-key");
  assert.equal(seen[0].accept, "text/event-stream");
  assert.equal(seen[0].lastEventId, undefined);
  assert.equal(seen[1].lastEventId, "c2");
  assert.ok(channel.connected);
  await channel.stop();
  assert.equal(channel.connected, false);
  await close();
});

test("a silent channel is taken for dead and reopened; refusals are retried, not fatal", async () => {
  let requests = 0;
  const { base, close } = await serve((req, res) => {
    requests++;
    if (requests === 1) return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unknown agent key"}');
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(": hello\n\n"); // then nothing, not even pings
  });
  const errors: string[] = [];
  const log = { info() {}, warn: (o: { reason?: string }) => errors.push(`warn ${o.reason}`), error: (o: { reason?: string }) => errors.push(`error ${o.reason}`) };
  const channel = new CommandChannel({ endpoint: { baseUrl: base }, key: "k", log, onCommand: async () => {}, idleTimeoutMs: 150, initialDelayMs: 10, maxDelayMs: 20 });
  channel.start();
  await until("a reconnect after silence", () => requests >= 3);
  assert.match(errors[0], /^error refused: HTTP 401/);
  assert.ok(errors.some((e) => /no data or ping for 150 ms/.test(e)), errors.join("\n"));
  await channel.stop();
  await close();
});

test("acks: ids go back in one post, failures are retried", async () => {
  const bodies: string[][] = [];
  let fail = 1;
  const { base, close } = await serve((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      assert.equal(req.url, "/v1/agents/commands/ack");
      assert.equal(req.headers.authorization, "Bearer k");
      if (fail-- > 0) return void res.writeHead(503).end();
      const { ids } = JSON.parse(body) as { ids: string[] };
      bodies.push(ids);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ acked: ids.length }));
    });
  });
  const acker = new Acker({ baseUrl: base }, "k", silent);
  acker.ack("a");
  acker.ack("b");
  await until("acks delivered", () => acker.waiting === 0);
  assert.deepEqual(bodies.flat().sort(), ["a", "b"]);
  await acker.stop();
  closeCollectorConnections();
  await close();
});
