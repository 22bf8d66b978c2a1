// kill -9 of the decoder mid-stream, then restart: every event sent comes out (in = out), duplicates counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { accessLine, readTopicWithKcat, runTag, tempFile, tld, waitFor } from "./harness/tools.js";
import { avroType } from "../lib/schemas.js";
import type { DecodedEvent } from "../lib/records.js";

interface StatusPart {
  name: string;
  pid?: number | null;
  healthy: boolean;
}

async function decoderPid(): Promise<number> {
  const status = JSON.parse((await tld("status", "--json").catch((e: { stdout: string }) => e)).stdout) as { parts: StatusPart[] };
  const decoder = status.parts.find((p) => p.name === "decoder");
  assert.ok(decoder?.pid, "the stack runs a decoder with a pid");
  return decoder.pid;
}

test("kill -9 of the decoder mid-stream loses nothing", { timeout: 240_000 }, async () => {
  const tag = runTag();
  const total = 20_000;
  const lines = Array.from({ length: total }, (_, i) => accessLine(`198.20.${tag}.${(i % 200) + 1}`, i));
  const file = tempFile("crash.log", lines.join("\n") + "\n");
  const pid = await decoderPid();

  const replay = tld("replay", file, "--agent", `it-crash-${tag}`, "--batch", "500", "--concurrency", "1");
  // Kill once the decoder has demonstrably produced part of this run, but not all of it.
  await waitFor("the decoder to be mid-stream", () => {
    const n = readTopicWithKcat("tld.events.decoded").filter((r) => r.key.startsWith(`198.20.${tag}.`)).length;
    return n > 0 && n < total ? n : undefined;
  }, 60_000, 100);
  process.kill(pid, "SIGKILL");
  await replay;
  await tld("up"); // restarts what is not running: the decoder

  const type = avroType("DecodedEvent");
  const counts = await waitFor(`all ${total} events of this run`, () => {
    const ids = new Map<string, number>();
    for (const r of readTopicWithKcat("tld.events.decoded")) {
      if (!r.key.startsWith(`198.20.${tag}.`)) continue;
      const id = (type.fromBuffer(r.value.subarray(5)) as DecodedEvent).id;
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    return ids.size >= total ? ids : undefined;
  }, 120_000, 1_000);
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(`# crash test: ${total} sent, ${counts.size} distinct out, ${duplicates} duplicates after kill -9`);
  assert.equal(counts.size, total, "count in = count out");
  assert.notEqual(await decoderPid(), pid, "a new decoder process took over");
});
