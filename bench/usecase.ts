// The use case's own latency: Apache in the victim namespace writes the access-log line of a listed attacker's
// request, the agent tails it, and the pipeline (collector, decoder, matcher rule 100100, responder, push
// channel) brings the block back to the victim's nftables. Timed from the line appearing in Apache's log to the
// element appearing in the kernel (`nft monitor`), for each of 20 attacker addresses after 5 unmeasured ones.
// Uses `tld demo`'s setting (demo/usecase.ts). Figures only, nothing asserted.
import { labUnavailable } from "../demo/lab.js";
import { measureLineToBlock, setUpUseCase } from "../demo/usecase.js";
import { latencySummary } from "./stats.js";

const WARMUP = 5;

export interface UseCaseFigures {
  usecase_line_to_block_ms?: { p50: number; p99: number; samples: number };
  usecase_note?: string;
}

export async function benchUseCase(attackers = 20, say: (line: string) => void = () => undefined): Promise<UseCaseFigures> {
  const unavailable = await labUnavailable();
  if (unavailable) return { usecase_note: `skipped: ${unavailable}` };
  const useCase = await setUpUseCase({ ttlSeconds: 600, extraAttackers: WARMUP + attackers, say: (line) => say(`use case: ${line}`) });
  try {
    const times = await measureLineToBlock(useCase);
    return { usecase_line_to_block_ms: latencySummary(times.slice(WARMUP)) };
  } finally {
    await useCase.close();
  }
}
