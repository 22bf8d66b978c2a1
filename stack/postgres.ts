// PostgreSQL: the machine's own when config.postgres.url reaches a server (never stopped by us), else a private
// cluster from Debian's binaries under <stateDir>/data/postgres. Either way the URL's database is created if missing.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { bindAddress, redactUrl, urlHostPort } from "./net.js";
import { serverDown, serverUp, statusOf, type Part, type PartStatus, type ServerSpec, type StackContext, type UpResult } from "./part.js";
import { ManagedProcess, StackError } from "./process.js";
import { aptInstall, isRoot, which } from "./system.js";

export interface PgTarget {
  user: string;
  database: string;
}

/** User and database of a postgres URL, with libpq's defaults (user postgres, database = user). */
export function pgTarget(url: string): PgTarget {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || "postgres";
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || user;
  return { user, database };
}

/** The same URL pointing at another database (to connect when the target database does not exist yet). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export type PgProbe = { kind: "ok" } | { kind: "no-database" } | { kind: "down" } | { kind: "refused"; message: string };

export async function pgProbe(url: string): Promise<PgProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { kind: "ok" };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: string };
    if (e.code === "3D000") return { kind: "no-database" }; // invalid_catalog_name: server fine, database missing
    if (e.code === "ECONNREFUSED" || e.code === "ECONNRESET" || e.code === "ETIMEDOUT" || /timeout|terminated/i.test(e.message)) {
      return { kind: "down" };
    }
    return { kind: "refused", message: e.message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CREATE DATABASE when missing; returns whether it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { database } = pgTarget(url);
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres"), connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== "42P04") throw err; // duplicate_database: someone else just made it
      return false;
    }
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Debian's server binaries, newest major first: /usr/lib/postgresql/<ver>/bin (initdb is not on PATH there). */
export function findPgBin(): string | undefined {
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = path.join("/usr/lib/postgresql", v, "bin");
      if (existsSync(path.join(bin, "initdb")) && existsSync(path.join(bin, "postgres"))) return bin;
    }
  } catch {
    // not a Debian layout; try PATH
  }
  const initdb = which("initdb");
  return initdb ? path.dirname(realpathSync(initdb)) : undefined;
}

/** postgres server arguments for a private cluster; pure so they are unit-tested. */
export function postgresArgs(opts: { dataDir: string; host: string; port: number }): string[] {
  return [
    "-D", opts.dataDir,
    "-p", String(opts.port),
    "-c", `listen_addresses=${opts.host}`,
    // TCP only: a unix socket path is limited to ~107 bytes (a deep stateDir would break it) and the default
    // directory (/var/run/postgresql) belongs to the system's own cluster.
    "-c", "unix_socket_directories=",
  ];
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export function postgresPart(ctx: StackContext): Part {
  const url = ctx.config.postgres.url;
  const listen = urlHostPort(url);
  const target = pgTarget(url);
  const proc = new ManagedProcess("postgres", ctx.paths);
  const dataDir = path.join(ctx.paths.data, "postgres");
  let bin = findPgBin();
  // The server answers (database present or not): that is "running"; the database is ensured right after.
  const serverAnswers = async () => {
    const p = await pgProbe(url);
    return p.kind === "ok" || p.kind === "no-database";
  };
  const spec: ServerSpec = {
    name: "postgres",
    endpoint: redactUrl(url),
    listen,
    proc,
    probe: serverAnswers,
    acceptExternal: true,
    timeoutMs: 60_000,
    stopSignal: "SIGINT", // "fast" shutdown: SIGTERM would wait for every client to disconnect
    graceMs: 30_000,
    async install() {
      if (bin) return false;
      await aptInstall(["postgresql"], "PostgreSQL is not installed", ctx.say);
      bin = findPgBin();
      return true;
    },
    async launch() {
      if (!bin) throw new StackError("PostgreSQL's initdb is still missing after installing; install the Debian package `postgresql`");
      // initdb and postgres refuse to run as root: as root we run them as the `postgres` OS user.
      const runAs = isRoot() ? osUser("postgres") : undefined;
      if (isRoot() && !runAs) {
        throw new StackError("postgres: running as root, but there is no `postgres` OS user to run the server as; install the Debian package `postgresql` (it creates that user)");
      }
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
      if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
        ctx.say(`postgres: initdb ${dataDir}`);
        const res = spawnSync(
          path.join(bin, "initdb"),
          ["-D", dataDir, "-U", target.user, "--auth=trust", "-E", "UTF8", "--locale=C"],
          { encoding: "utf8", uid: runAs?.uid, gid: runAs?.gid, cwd: "/" },
        );
        if (res.status !== 0) {
          throw new StackError(
            `postgres: initdb failed (exit ${res.status}):\n${res.stdout}${res.stderr}` +
              (runAs ? `\n(it runs as the postgres user, which must be able to reach ${dataDir}: each parent directory needs o+x)` : ""),
          );
        }
      }
      proc.start({
        command: path.join(bin, "postgres"),
        args: postgresArgs({ dataDir, host: bindAddress(listen.host), port: listen.port }),
        cwd: dataDir,
        uid: runAs?.uid,
        gid: runAs?.gid,
      });
      ctx.say(`postgres: starting ${path.join(bin, "postgres")} (pid ${proc.record()?.pid}; log ${proc.logPath})`);
    },
  };

  async function status(): Promise<PartStatus> {
    const rec = proc.running();
    const p = await pgProbe(url);
    const healthy = p.kind === "ok";
    const detail =
      p.kind === "no-database" ? `database ${target.database} does not exist yet (\`tld up\` creates it)`
      : p.kind === "refused" ? p.message
      : undefined;
    if (rec) return statusOf(spec, "managed", healthy, rec.pid, detail);
    if (p.kind === "ok" || p.kind === "no-database") return statusOf(spec, "external", healthy, null, detail);
    return statusOf(spec, "stopped", false, null, detail);
  }

  async function up(): Promise<UpResult> {
    const first = await pgProbe(url);
    if (first.kind === "refused") {
      throw new StackError(`postgres: ${redactUrl(url)} answers but refuses us: ${first.message}\nFix the URL (TLD_POSTGRES_URL or postgres.url) or the server's access rules.`);
    }
    const result = await serverUp(spec);
    if (await ensureDatabase(url)) ctx.say(`postgres: created database ${target.database}`);
    return { ...result, status: await status() };
  }

  return { name: "postgres", endpoint: spec.endpoint, logFile: proc.logPath, status, up, down: () => serverDown(spec) };
}
