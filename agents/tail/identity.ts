// A file is known by its identity (device + inode; on Windows, volume serial + file index, which node reports
// the same way), not by its path: a rename keeps the identity, a new file at the same path gets another.
import type { BigIntStats } from "node:fs";

export function fileIdentity(stats: Pick<BigIntStats, "dev" | "ino">): string {
  return `${stats.dev}-${stats.ino}`;
}

/**
 * Stable id of one line: agent, file identity, truncation generation and byte offset. A re-send after a crash
 * produces the same id, so downstream can count (and drop) duplicates.
 */
export function lineId(agentId: string, identity: string, generation: number, start: number): string {
  return `${agentId}-${identity}-${generation}-${start}`;
}
