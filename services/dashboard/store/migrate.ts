// Versioned schema migrations: numbered SQL files (migrations/0001_name.sql, ...) applied in order, each in its
// own transaction, recorded in schema_migrations. An advisory lock lets several dashboard instances start at
// once: one migrates, the others wait and then find nothing to do. Migrations apply to the connection's
// current schema (search_path), so tests and the bench build the same tables in schemas of their own.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { PACKAGE_ROOT } from "../../../lib/config.js";

/** The SQL files stay beside the sources (tsc does not copy them into dist/). */
export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, "services", "dashboard", "store", "migrations");

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .map((file) => {
      const m = FILE.exec(file);
      if (!m) throw new Error(`migration file ${file} is not named NNNN_name.sql`);
      return { version: Number(m[1]), name: m[2], sql: readFileSync(path.join(dir, file), "utf8") };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 0001, 0002, ... without gaps; found ${String(m.version).padStart(4, "0")} at place ${i + 1}`);
  });
  return migrations;
}

/** Applies the migrations not applied yet; returns the versions it applied. */
export async function migrate(pool: pg.Pool, migrations = loadMigrations()): Promise<number[]> {
  const client = await pool.connect();
  try {
    const [{ schema }] = (await client.query<{ schema: string }>("SELECT current_schema() AS schema")).rows;
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`tld.dashboard.migrate.${schema}`]);
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${migration.version} (${migration.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`tld.dashboard.migrate.${schema}`]);
    }
  } finally {
    client.release();
  }
}
