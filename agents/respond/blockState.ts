// The agent's active blocks and the command ids it has applied, kept in state_dir/active-response.json and
// replaced whole on every change (temporary file, fsync, rename), so a restarted agent knows what to lift (it
// expired while the agent was away) and what to keep, and a command delivered twice is applied once.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomicAsync } from "../tail/atomicFile.js";

export interface StoredBlock {
  ip: string;
  program: string;
  enforcer: string;
  commandId: string;
  alertId: string | null;
  ruleId: string | null;
  blockedAt: number;
  endsAt: number;
}

const storedBlock = z.object({
  ip: z.string(),
  program: z.string(),
  enforcer: z.string(),
  commandId: z.string(),
  alertId: z.string().nullable(),
  ruleId: z.string().nullable(),
  blockedAt: z.number(),
  endsAt: z.number(),
});
const fileSchema = z.object({ version: z.literal(1), blocks: z.array(storedBlock), applied: z.record(z.string(), z.number()) });

/** An applied id is remembered this long past its block's end: long after the manager could resend it. */
export const APPLIED_MEMORY_MS = 60 * 60_000;

export class BlockStore {
  readonly blocks = new Map<string, StoredBlock>();
  /** command id -> the block end it was applied with (a delete: when it was applied). */
  readonly applied = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(readonly file: string) {}

  /** Loads the file; a missing one is an empty store, an unreadable one is reported and set aside. */
  static async open(file: string, warn: (message: string) => void): Promise<BlockStore> {
    const store = new BlockStore(file);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return store;
      throw err;
    }
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null; // not JSON: reported below
    }
    if (!parsed?.success) {
      warn(`${file} is not a valid active-response state file; starting with no known blocks (the manager resends the active ones)`);
      return store;
    }
    for (const block of parsed.data.blocks) store.blocks.set(block.ip, block);
    for (const [id, until] of Object.entries(parsed.data.applied)) store.applied.set(id, until);
    return store;
  }

  /** Writes the current state; calls made while a write runs are folded into the next one. */
  save(now = Date.now()): Promise<void> {
    this.dirty = true;
    // A failed write does not stop the next one; its caller hears of the failure.
    const next = this.writing.catch(() => {}).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      for (const [id, until] of this.applied) if (until + APPLIED_MEMORY_MS < now) this.applied.delete(id);
      const data = { version: 1, blocks: [...this.blocks.values()], applied: Object.fromEntries(this.applied) };
      await writeFileAtomicAsync(this.file, JSON.stringify(data) + "\n", 0o600);
    });
    this.writing = next;
    return next;
  }
}
