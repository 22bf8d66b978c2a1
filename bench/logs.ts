// Seeded Apache access logs for benchmarks: the same seed gives the same file, so runs compare.
import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** mulberry32: a tiny, well-known seeded PRNG; quality is ample for picking log fields. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ["/", "/index.html", "/login", "/wp-login.php", "/api/v1/items", "/static/app.js", "/images/logo.png", "/search?q=shoes", "/admin", "/.env"];
const STATUSES = [200, 200, 200, 200, 304, 301, 404, 403, 500];
const AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "curl/8.5.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "python-requests/2.31"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Writes `lines` combined-format lines from `sources` distinct documentation-range source IPs. */
export async function writeApacheLog(file: string, lines: number, seed = 42, sources = 5_000): Promise<void> {
  const random = seededRandom(seed);
  const out = createWriteStream(file);
  const start = Date.UTC(2026, 11, 4, 10, 0, 0);
  let chunk = "";
  for (let i = 0; i < lines; i++) {
    const s = Math.floor(random() * sources);
    const ip = `198.18.${(s >> 8) & 255}.${(s & 255) || 1}`;
    const t = new Date(start + i * 10);
    const stamp = `${String(t.getUTCDate()).padStart(2, "0")}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${String(t.getUTCHours()).padStart(2, "0")}:${String(t.getUTCMinutes()).padStart(2, "0")}:${String(t.getUTCSeconds()).padStart(2, "0")} +0000`;
    const path = PATHS[Math.floor(random() * PATHS.length)];
    const status = STATUSES[Math.floor(random() * STATUSES.length)];
    const agent = AGENTS[Math.floor(random() * AGENTS.length)];
    chunk += `${ip} - - [${stamp}] "GET ${path} HTTP/1.1" ${status} ${100 + Math.floor(random() * 9000)} "-" "${agent}"\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}
