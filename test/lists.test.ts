// Reputation lists against the real Redis at redis.url: import, every lookup type, atomic re-import under load,
// change notices, add/remove, and the `tld lists` commands as a user runs them. List names are unique to the
// run and deleted afterwards.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { config, tempFile } from "./harness/tools.js";
import { TLD_BIN } from "./harness/stack.js";
import { parseListText, type ListFormat } from "../lib/lists/parse.js";
import { LISTS_CHANGED_CHANNEL, RedisListStore, type ImportResult, type ListChange } from "../lib/lists/redis.js";
import { importListFile } from "../lib/lists/importFile.js";
import { parseNetwork } from "../lib/ip.js";

const run = promisify(execFile);
const tag = `it-lists-${process.pid}-${Date.now()}`;
const made = new Set<string>();
let store: RedisListStore;

function listNamed(suffix: string): string {
  const name = `${tag}-${suffix}`;
  made.add(name);
  return name;
}

async function importText(name: string, text: string, format: ListFormat): Promise<ImportResult> {
  const build = await store.beginImport(name, { format, source: "test" });
  const parsed = parseListText(text, format);
  for (const e of parsed.entries) build.add({ ...e, network: parseNetwork(e.key) });
  build.malformed += parsed.errors.length;
  return build.commit();
}

/** Runs the CLI; never throws, so exit codes can be asserted. */
async function tld(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TLD_BIN, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

before(async () => {
  store = await RedisListStore.open(config().redis.url);
});

after(async () => {
  for (const name of made) await store.drop(name).catch(() => undefined);
  await store.close();
});

test("the use case's list: exact keys, Wazuh prefix keys, CIDR /22 and IPv6 /32 through one batch lookup", async () => {
  const name = listNamed("usecase");
  const result = await importText(name, '203.0.113.66:\n10.1.:\n198.18.0.0/22:\n"2001:db8::/32":\nadmin:root\n', "cdb");
  assert.equal(result.entries, 5);
  const rulePath = `etc/lists/${name}`; // as a rule names it
  const cases: [string, "address" | "exact", string | undefined][] = [
    ["203.0.113.66", "address", ""],
    ["203.0.113.67", "address", undefined],
    ["10.1.44.5", "address", ""],
    ["10.10.4.5", "address", undefined],
    ["198.18.3.9", "address", ""],
    ["198.18.4.1", "address", undefined],
    ["2001:db8::7", "address", ""],
    ["2001:db9::7", "address", undefined],
    ["::ffff:10.1.0.9", "address", ""],
    ["admin", "exact", "root"],
    ["Admin", "exact", undefined],
    ["10.1.", "exact", ""],
    ["10.1.0.0/16", "exact", undefined],
    ["198.18.3.9", "exact", undefined],
    ["not-an-ip", "address", undefined],
  ];
  const answers = await store.lookupMany(cases.map(([key, kind]) => ({ list: rulePath, key, kind })));
  cases.forEach(([key, kind, want], i) => assert.equal(answers[i], want, `${kind} ${key}`));
  const matches = await store.matchMany([
    { list: name, key: "10.1.44.5", kind: "address" },
    { list: name, key: "198.18.3.9", kind: "address" },
  ]);
  assert.deepEqual(matches, [{ entry: "10.1.", value: "" }, { entry: "198.18.0.0/22", value: "" }]);
  assert.deepEqual(await store.lookupMany([{ list: `${tag}-missing`, key: "1.2.3.4", kind: "address" }]), [undefined]);
});

test("the most specific entry wins across prefix lengths, IPv4 and IPv6, and the first of duplicates is kept", async () => {
  const name = listNamed("specific");
  const result = await importText(
    name,
    "10.0.0.0/8:eight\n10.1.:sixteen\n10.1.2.0/23:twentythree\n10.1.2.3:host\n10.1.2.3:later-duplicate\n10.1.0.0/16:other-spelling\n\"2001:db8::/32\":v6-32\n\"2001:db8:1::/48\":v6-48\n",
    "cdb",
  );
  assert.equal(result.duplicates, 1);
  const keys = ["10.1.2.3", "10.1.3.200", "10.1.9.9", "10.200.0.1", "2001:db8:1::5", "2001:db8:2::5"];
  assert.deepEqual(await store.lookupMany(keys.map((key) => ({ list: name, key, kind: "address" as const }))), [
    "host",
    "twentythree",
    "sixteen",
    "eight",
    "v6-48",
    "v6-32",
  ]);
  assert.deepEqual(await store.lookupMany([{ list: name, key: "10.1.0.0/16", kind: "exact" }]), ["other-spelling"], "the second spelling is still an exact key");
});

test("re-import is atomic: lookups hammered during it always find the key, first in the old list, then in the new", async () => {
  const name = listNamed("atomic");
  const bulk = (n: number, value: string) => {
    let text = "";
    for (let i = 0; i < n; i++) text += `100.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${value}\n`;
    return text;
  };
  await importText(name, `203.0.113.9:old\n10.77.:old\n${bulk(50_000, "old")}`, "cdb");
  // A second store with its own connection and caches, as a running matcher would have.
  const reader = await RedisListStore.open(config().redis.url);
  try {
    assert.deepEqual(await reader.lookupMany([{ list: name, key: "203.0.113.9", kind: "address" }]), ["old"]);
    let importing = true;
    const seen = new Set<string | undefined>();
    let rounds = 0;
    const hammer = (async () => {
      while (importing || rounds < 3) {
        const answers = await reader.lookupMany([
          { list: name, key: "203.0.113.9", kind: "address" },
          { list: name, key: "10.77.1.1", kind: "address" },
          { list: name, key: "100.0.1.1", kind: "address" },
        ]);
        for (const a of answers) seen.add(a);
        rounds++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 3; i++) await importText(name, `${bulk(50_000, "new")}203.0.113.9:new\n10.77.:new\n`, "cdb");
    importing = false;
    await hammer;
    assert.ok(rounds > 3, "lookups ran during the re-imports");
    assert.equal(seen.has(undefined), false, "no lookup ever found the list missing or half built");
    assert.ok(seen.has("new"), "the new list is seen");
    assert.deepEqual(await reader.lookupMany([{ list: name, key: "203.0.113.9", kind: "address" }]), ["new"]);
    // The reader still holds the metadata of the generation just unlinked: its lookup must notice and retry.
    await importText(name, "203.0.113.9:final\n", "cdb");
    assert.deepEqual(await reader.lookupMany([{ list: name, key: "203.0.113.9", kind: "address" }]), ["final"]);
    const info = await store.info(name);
    const redis = store.redis;
    assert.equal(await redis.exists(`tld:list:{${name}}:g:${info!.generation - 1}`), 0, "the old generation is gone");
  } finally {
    await reader.close();
  }
});

test("every change is announced on tld:lists:changed; a store watching it drops its cached answers", async () => {
  const name = listNamed("notice");
  const sub = new Redis(config().redis.url);
  const watcher = await RedisListStore.open(config().redis.url);
  try {
    const messages: ListChange[] = [];
    sub.on("message", (_channel: string, message: string) => {
      const change = JSON.parse(message) as ListChange;
      if (change.list === name) messages.push(change);
    });
    await sub.subscribe(LISTS_CHANGED_CHANNEL);
    const watched: ListChange[] = [];
    const stop = await watcher.watchChanges((c) => {
      if (c.list === name) watched.push(c);
    });
    const first = await importText(name, "1.2.3.4\n", "ipset");
    // The import's own notice first: a prefetch it overlaps keeps nothing (it may have read the list before it).
    for (let i = 0; i < 100 && watched.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await watcher.prefetch([{ list: name, key: "5.6.7.8", kind: "address" }]);
    assert.equal(watcher.lookup(name, "5.6.7.8", "address"), undefined, "a prefetched answer is synchronous");
    await store.add(name, parseListText("5.6.7.0/24", "ipset").entries.map((e) => ({ ...e, network: parseNetwork(e.key) })), "ipset");
    for (let i = 0; i < 100 && (messages.length < 2 || watched.length < 2); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      messages.map((m) => [m.action, m.generation]),
      [["import", first.generation], ["add", first.generation]],
    );
    assert.equal(watched.length, 2, "watchChanges saw both");
    assert.equal(await watcher.lookup(name, "5.6.7.8", "address"), "", "the notice dropped the stale prefetched miss");
    stop();
  } finally {
    sub.disconnect();
    await watcher.close();
  }
});

test("prefetch answers the engine synchronously; without it lookup still answers, asynchronously", async () => {
  const name = listNamed("prefetch");
  await importText(name, "192.0.2.0/24\n", "ipset");
  const reader = await RedisListStore.open(config().redis.url);
  try {
    const queries = [
      { list: `etc/lists/${name}`, key: "192.0.2.7", kind: "address" as const },
      { list: `etc/lists/${name}`, key: "192.0.3.7", kind: "address" as const },
    ];
    await reader.prefetch(queries);
    assert.equal(reader.lookup(`etc/lists/${name}`, "192.0.2.7", "address"), "");
    assert.equal(reader.lookup(name, "192.0.3.7", "address"), undefined, "a prefetched miss is a synchronous miss");
    const notPrefetched = reader.lookup(name, "192.0.2.200", "address");
    assert.ok(notPrefetched instanceof Promise);
    assert.equal(await notPrefetched, "");
  } finally {
    await reader.close();
  }
});

test("prefetch asks Redis only for what it holds no fresh answer for, once each; a change in flight stores nothing", async () => {
  const name = listNamed("prefetch-fresh");
  await importText(name, "192.0.2.0/24\n", "ipset");
  const reader = await RedisListStore.open(config().redis.url);
  const pipelines = () => pipelineCount;
  let pipelineCount = 0;
  const pipeline = reader.redis.pipeline.bind(reader.redis);
  reader.redis.pipeline = ((...args: Parameters<typeof pipeline>) => {
    pipelineCount++;
    return pipeline(...args);
  }) as typeof reader.redis.pipeline;
  try {
    const q = (key: string) => ({ list: name, key, kind: "address" as const });
    await reader.prefetch([q("192.0.2.1"), q("192.0.2.1"), q("198.51.100.1")]);
    const afterFirst = pipelines();
    assert.ok(afterFirst >= 1, "the first prefetch went to Redis");
    await reader.prefetch([q("198.51.100.1"), q("192.0.2.1")]);
    assert.equal(pipelines(), afterFirst, "answered a moment ago: not asked again");
    assert.equal(reader.lookup(name, "192.0.2.1", "address"), "");
    await reader.prefetch([q("192.0.2.1"), q("192.0.2.2")]);
    assert.equal(pipelines(), afterFirst + 1, "only the new address is asked, in one round trip");
    // A change notice while a prefetch is in flight: what it read may predate the change, so it is not kept.
    const inFlight = reader.prefetch([q("192.0.2.3")]);
    reader.invalidate(name);
    await inFlight;
    const late = reader.lookup(name, "192.0.2.3", "address");
    assert.ok(late instanceof Promise, "not answered from a read older than the change");
    assert.equal(await late, "");
  } finally {
    await reader.close();
  }
});

test("add and remove change a live list; remove takes an address however it is written", async () => {
  const name = listNamed("addremove");
  await importText(name, "203.0.113.1\n", "ipset");
  const entries = (text: string) => parseListText(text, "cdb").entries.map((e) => ({ ...e, network: parseNetwork(e.key) }));
  assert.deepEqual(await store.add(name, entries("198.51.100.0/24:net\n203.0.113.1:now-with-value")), { added: 1, updated: 1 });
  assert.deepEqual(await store.lookupMany([
    { list: name, key: "198.51.100.9", kind: "address" },
    { list: name, key: "203.0.113.1", kind: "address" },
  ]), ["net", "now-with-value"]);
  const removed = await store.remove(name, entries("203.0.113.1/32\nnot-there"));
  assert.deepEqual(removed, { removed: 1, missing: ["not-there"] });
  assert.deepEqual(await store.lookupMany([{ list: name, key: "203.0.113.1", kind: "address" }]), [undefined]);
  assert.equal((await store.info(name))?.entries, 1);
});

test("a streamed file import keeps every good line and reports each malformed one by line number", async () => {
  const name = listNamed("file");
  const lines = ["# feed", "1.1.1.1"];
  for (let i = 0; i < 30_000; i++) lines.push(`11.${i >> 8}.${i & 255}.1`);
  lines.splice(5, 0, "300.1.1.1"); // line 6
  lines.push("2001:db8::/33", "not an ip", "2.2.2.0/24 # trailing comment");
  const file = tempFile("feed.ipset", lines.join("\n"));
  const errors: number[] = [];
  const result = await importListFile(store, file, { name, onMalformed: (e) => errors.push(e.line) });
  assert.equal(result.format, "ipset");
  assert.equal(result.entries, 30_003);
  assert.deepEqual(errors, [6, lines.length - 1]);
  assert.equal(result.malformed, 2);
  assert.equal((await store.info(name))?.malformed, 2);
});

test("tld lists: import, lookup exit codes, ls --json, add, remove, rm, and clear errors", async () => {
  const name = listNamed("cli");
  const file = tempFile(`${name}`, '203.0.113.66:\n10.1.:\n198.18.0.0/22:\n"2001:db8::/32":\nadmin:root\n"unterminated:x\n');
  const imported = await tld("lists", "import", file, "--name", `etc/lists/${name}`);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /imported 5 entries/);
  assert.match(imported.stderr, /:6: skipped, unterminated quoted key/);
  for (const [ip, code] of [["203.0.113.66", 0], ["10.1.44.5", 0], ["10.10.4.5", 1], ["198.18.3.9", 0], ["198.18.4.1", 1], ["2001:db8::7", 0], ["2001:db9::7", 1]] as const) {
    const r = await tld("lists", "lookup", name, ip);
    assert.equal(r.code, code, `${ip}: ${r.stdout}${r.stderr}`);
  }
  assert.match((await tld("lists", "lookup", name, "10.1.44.5")).stdout, /entry 10\.1\./);
  const json = JSON.parse((await tld("lists", "lookup", name, "198.18.3.9", "--json")).stdout) as { matched: boolean; entry: string };
  assert.deepEqual([json.matched, json.entry], [true, "198.18.0.0/22"]);
  const ls = JSON.parse((await tld("lists", "ls", "--json")).stdout) as { name: string; entries: number; source: string }[];
  assert.deepEqual(ls.filter((l) => l.name === name).map((l) => [l.entries, l.source]), [[5, file]]);
  assert.equal((await tld("lists", "add", name, "192.0.2.1:manual")).code, 0);
  assert.equal((await tld("lists", "lookup", name, "192.0.2.1")).code, 0);
  assert.equal((await tld("lists", "remove", name, "192.0.2.1")).code, 0);
  assert.equal((await tld("lists", "lookup", name, "192.0.2.1")).code, 1);
  const unknown = await tld("lists", "lookup", `${tag}-nope`, "1.2.3.4");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no list named/);
  const missingFile = await tld("lists", "import", "/nonexistent/list.ipset", "--name", name);
  assert.match(missingFile.stderr, /no such file/);
  const down = await run(process.execPath, [TLD_BIN, "lists", "ls"], { env: { ...process.env, TLD_REDIS_URL: "redis://127.0.0.1:1" } }).catch((e: { stderr: string }) => e);
  assert.match(down.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*tld up/);
  assert.equal((await tld("lists", "rm", name)).code, 0);
  assert.equal((await tld("lists", "lookup", name, "203.0.113.66")).code, 2, "gone");
});
