// Redis: the machine's own when config.redis.url answers PING (never stopped by us), else a redis-server we run.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { bindAddress, redactUrl, urlHostPort } from "./net.js";
import { serverDown, serverStatus, serverUp, type Part, type ServerSpec, type StackContext } from "./part.js";
import { ManagedProcess, StackError } from "./process.js";
import { aptInstall, which } from "./system.js";

export async function redisPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // a probe: one attempt, no reconnect loop
    enableOfflineQueue: false,
  });
  client.on("error", () => undefined); // the failed connect is the answer, not an unhandled event
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** redis-server arguments for a private instance; pure so the flags are unit-tested. */
export function redisArgs(opts: { host: string; port: number; dir: string; password?: string }): string[] {
  const args = [
    "--port", String(opts.port),
    "--bind", opts.host,
    "--dir", opts.dir,
    "--daemonize", "no",
    "--logfile", "", // stdout, i.e. our managed log
    // Redis rewrites its process title by default, which would hide the argv our pid file matches against.
    "--set-proc-title", "no",
    // Agent keys, reputation lists, blocks and queued commands live here: a crash must not take them along. The
    // default snapshots alone (after 1 h, 5 min or 1 min depending on writes) lost a list imported minutes before
    // a kill -9, and with it every block the list should have caused. The append-only file, synced every second,
    // loses at most that second; the snapshots stay as they are.
    "--appendonly", "yes",
    "--appendfsync", "everysec",
  ];
  if (opts.password) args.push("--requirepass", opts.password);
  return args;
}

export function redisPart(ctx: StackContext): Part {
  const url = ctx.config.redis.url;
  const listen = urlHostPort(url);
  const proc = new ManagedProcess("redis", ctx.paths);
  let binary = which("redis-server");
  const spec: ServerSpec = {
    name: "redis",
    endpoint: redactUrl(url),
    listen,
    proc,
    probe: () => redisPing(url),
    acceptExternal: true,
    timeoutMs: 20_000,
    graceMs: 10_000,
    async install() {
      if (binary) return false;
      await aptInstall(["redis-server"], "redis-server is not installed", ctx.say);
      binary = which("redis-server");
      return true;
    },
    async launch() {
      if (!binary) throw new StackError("redis-server is still not on PATH after installing; install the Debian package `redis-server`");
      const dir = path.join(ctx.paths.data, "redis");
      mkdirSync(dir, { recursive: true });
      const u = new URL(url);
      proc.start({
        command: binary,
        args: redisArgs({
          host: bindAddress(listen.host),
          port: listen.port,
          dir,
          password: u.password ? decodeURIComponent(u.password) : undefined,
        }),
        cwd: dir,
      });
      ctx.say(`redis: starting ${binary} (pid ${proc.record()?.pid}; log ${proc.logPath})`);
    },
  };
  return {
    name: "redis",
    endpoint: spec.endpoint,
    logFile: proc.logPath,
    status: () => serverStatus(spec),
    up: () => serverUp(spec),
    down: () => serverDown(spec),
  };
}
