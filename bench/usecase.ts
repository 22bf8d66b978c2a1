// The use case's own latency: Apache in the victim namespace writes the access-log line of a listed attacker's
// request, the agent tails it, and the pipeline (collector, decoder, matcher rule 100100, responder, push
// channel) brings the block back to the victim's nftables. Timed from the line appearing in Apache's log to the
// element appearing in the kernel (`nft monitor`), for 20 attacker addresses after 5 unmeasured ones idle, and for 100 more
// while the end-to-end load (bench/e2e.ts) runs through the same pipeline, so the second figure includes
// the queueing a backlog causes. Uses `tld demo`'s setting (demo/usecase.ts). Figures only, nothing asserted.
import type { TldConfig } from "../lib/config.js";
import { labUnavailable } from "../demo/lab.js";
import { measureLineToBlock, setUpUseCase } from "../demo/usecase.js";
import { benchEndToEnd, type E2eFigures } from "./e2e.js";
import { latencySummary } from "./stats.js";

const WARMUP = 5;
const SAMPLES = 20;
/** Under load: 100, so the nearest-rank p99 is not simply the slowest one (it is with 20). */
const SAMPLES_UNDER_LOAD = 100;
const SPACING_UNDER_LOAD_MS = 500;

type Latency = { p50: number; p99: number; samples: number };

export interface UseCaseFigures extends Partial<E2eFigures> {
  line_to_block_idle_ms?: Latency;
  /** Under the end-to-end load: the figure issue 8 aims at (p99 <= 250 ms). */
  line_to_block_ms?: Latency;
  usecase_note?: string;
}

export async function benchUseCaseUnderLoad(config: TldConfig, log: string, lines: number, say: (line: string) => void = () => undefined): Promise<UseCaseFigures> {
  const unavailable = await labUnavailable();
  if (unavailable) {
    // Without namespaces the end-to-end figure is still measured, only the latency under it is not.
    return { ...(await benchEndToEnd(config, log, lines, say)), usecase_note: `line -> block skipped: ${unavailable}` };
  }
  const useCase = await setUpUseCase({ ttlSeconds: 3600, extraAttackers: WARMUP + SAMPLES + SAMPLES_UNDER_LOAD, say: (line) => say(`use case: ${line}`) });
  try {
    const sources = useCase.lab.extraAttackerAddresses;
    const idle = await measureLineToBlock(useCase, sources.slice(0, WARMUP + SAMPLES));
    say(`use case: idle line -> block measured; starting the end-to-end load`);
    const load = benchEndToEnd(config, log, lines, say);
    load.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 3_000)); // the replay is under way
    // Two attackers a second while the load runs (50 s of the 1M-line replay's ~100 s); each may wait behind the
    // backlog for up to 10 minutes.
    const underLoad = await measureLineToBlock(useCase, sources.slice(WARMUP + SAMPLES), { spacingMs: SPACING_UNDER_LOAD_MS, timeoutMs: 600_000 });
    const e2e = await load;
    return { ...e2e, line_to_block_idle_ms: latencySummary(idle.slice(WARMUP)), line_to_block_ms: latencySummary(underLoad) };
  } finally {
    await useCase.close();
  }
}
