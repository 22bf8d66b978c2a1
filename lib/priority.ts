// Work that must not take CPU from the blocking path (collector, decoder, matcher, responder) runs at a lower
// priority: the dashboard's alert store and bulk replays. On a machine short of cores the kernel then gives the
// stages a live attacker's line crosses their turn first; the rest only lags, nothing is lost.
import { setPriority } from "node:os";

export const BACKGROUND_NICENESS = 10;

/** Lowers a process's priority (default: this one); where that is not allowed it runs on at normal priority. */
export function lowerPriority(pid = 0): void {
  try {
    setPriority(pid, BACKGROUND_NICENESS);
  } catch {
    /* e.g. a container without CAP_SYS_NICE lowering another user's process */
  }
}
