// How every command reports: plain lines for people, one JSON document with --json, clear errors on stderr.
import { ConfigError } from "../lib/config.js";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** A failure the user can act on: printed without a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "UserError";
  }
}

export function exitWithError(err: unknown): never {
  if (err instanceof UserError || err instanceof ConfigError) {
    process.stderr.write(`tld: ${err.message}\n`);
    process.exit(err instanceof UserError ? err.exitCode : 2);
  }
  process.stderr.write(`tld: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}
