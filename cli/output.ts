// How every command reports: plain lines for people, one JSON document with --json, clear errors on stderr.
import { ConfigError } from "../lib/config.js";

/** Rows as aligned columns (two spaces apart), the first row being the header; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

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
