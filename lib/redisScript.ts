// A Lua script that Redis runs by its SHA1 (EVALSHA). EVAL sends the whole text with every call, and Redis hashes
// it each time to find its compiled copy: on the responder's per-hit block write that was the largest cost in
// its profile. Redis keeps loaded scripts until it restarts (or SCRIPT FLUSH); then the first call sends the text again.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(redis: Pick<Redis, "evalsha" | "eval">, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith("NOSCRIPT"))) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
