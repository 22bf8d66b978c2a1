// Reputation lists in Redis: a seeded 1M-entry ipset imported through the same path as `tld lists import`,
// batch lookups as the matcher makes them, and Redis memory per entry. Figures only, nothing asserted.
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TldConfig } from "../lib/config.js";
import { formatIpv4 } from "../lib/ip.js";
import { importListFile } from "../lib/lists/importFile.js";
import type { ListQuery } from "../lib/lists/lookup.js";
import { RedisListStore } from "../lib/lists/redis.js";
import { seededRandom } from "./logs.js";

export interface ListBenchFigures {
  /** Seconds to import 1M random IPv4 entries from an .ipset file (read, parse, write, swap). */
  list_import_1m_s: number;
  /** Address lookups per second through lookupMany, batches of 2000, half of them hits. */
  list_lookups_per_s: number;
  /** Redis used_memory growth per imported entry. */
  redis_bytes_per_entry: number;
}

async function usedMemory(store: RedisListStore): Promise<number> {
  // Wait for earlier UNLINKs to be freed in the background, or they would count against this list.
  for (let i = 0; i < 100; i++) {
    const info = await store.redis.info("memory");
    const pending = Number(/lazyfree_pending_objects:(\d+)/.exec(info)?.[1] ?? 0);
    if (pending === 0) return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("Redis kept freeing objects for 10 s");
}

export async function benchLists(
  config: TldConfig,
  options: { entries?: number; lookups?: number; batch?: number; seed?: number } = {},
): Promise<ListBenchFigures> {
  const entries = options.entries ?? 1_000_000;
  const lookups = Math.max(options.lookups ?? 200_000, 1);
  const batch = options.batch ?? 2_000;
  const random = seededRandom(options.seed ?? 7);
  const dir = mkdtempSync(path.join(tmpdir(), "tld-bench-lists-"));
  const file = path.join(dir, "bench.ipset");
  const name = `bench-lists-${process.pid}-${Date.now()}`;

  // Unique addresses: numbers from a seeded generator, kept in a typed array for the hit half of the lookups.
  const seen = new Set<number>();
  const listed = new Uint32Array(entries);
  const out = createWriteStream(file);
  out.write("# bench: random IPv4 entries\n");
  let text = "";
  while (seen.size < entries) {
    const ip = (Math.floor(random() * 0xdf000000) + 0x01000000) >>> 0; // 1.0.0.0 .. 223.255.255.255
    if (seen.has(ip)) continue;
    listed[seen.size] = ip;
    seen.add(ip);
    text += formatIpv4(ip) + "\n";
    if (text.length > 1 << 20) {
      if (!out.write(text)) await once(out, "drain");
      text = "";
    }
  }
  out.end(text);
  await once(out, "finish");

  const store = await RedisListStore.open(config.redis.url, { failFast: true });
  try {
    const before = await usedMemory(store);
    const t0 = process.hrtime.bigint();
    await importListFile(store, file, { name, format: "ipset" });
    const importSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await usedMemory(store);

    const queries: ListQuery[] = new Array(lookups);
    for (let i = 0; i < lookups; i++) {
      // Even: a listed address; odd: a random one (listed with odds entries/2^32, i.e. almost never).
      const ip = i % 2 === 0 ? listed[Math.floor(random() * entries)] : (Math.floor(random() * 0xffffffff) >>> 0);
      queries[i] = { list: name, key: formatIpv4(ip), kind: "address" };
    }
    await store.lookupMany(queries.slice(0, batch)); // metadata cached, connection warm
    let hits = 0;
    const t1 = process.hrtime.bigint();
    for (let start = 0; start < lookups; start += batch) {
      for (const v of await store.lookupMany(queries.slice(start, start + batch))) if (v !== undefined) hits++;
    }
    const lookupSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    if (hits < lookups / 2) throw new Error(`bench lookups: ${hits} hits of ${lookups}, expected at least half`);

    return {
      list_import_1m_s: Math.round(importSeconds * 100) / 100,
      list_lookups_per_s: Math.round(lookups / lookupSeconds),
      redis_bytes_per_entry: Math.round((after - before) / entries),
    };
  } finally {
    await store.drop(name).catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
