// Endpoints as the stack needs them: where a part listens (host, port) parsed from the same config strings the
// services use, and cheap probes (TCP connect, HTTP GET) used for health and for "is this port already taken".
import { spawnSync } from "node:child_process";
import net from "node:net";
import os from "node:os";

export interface HostPort {
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = {
  "http:": 80,
  "https:": 443,
  "redis:": 6379,
  "rediss:": 6379,
  "postgres:": 5432,
  "postgresql:": 5432,
};

/** Host and port of a URL, with the scheme's default port when none is written. */
export function urlHostPort(url: string): HostPort {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
  if (port === undefined) throw new Error(`no port in ${url} and no default for ${u.protocol}`);
  // URL keeps IPv6 literals bracketed; sockets want them bare.
  return { host: u.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1", port };
}

/** "host:port" (Kafka's broker notation; "[::1]:9092" for IPv6). */
export function parseHostPort(value: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  if (!m) throw new Error(`expected host:port, got "${value}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`port out of range in "${value}"`);
  return { host: m[1], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function isLoopbackOrWildcard(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "0.0.0.0" || host === "::" || /^127\./.test(host);
}

/** The addresses of this machine's network interfaces, now. */
export function interfaceAddresses(): Set<string> {
  return new Set(Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
}

/**
 * Whether an address is this machine, i.e. something `tld up` may start a server for: loopback, a wildcard, or
 * an address of one of its interfaces (a collector on the LAN address agents reach it by).
 */
export function isLocalHost(host: string, addresses: ReadonlySet<string> = interfaceAddresses()): boolean {
  return isLoopbackOrWildcard(host) || addresses.has(host);
}

/** Where to connect to reach a server bound to `host` (a wildcard bind is reachable on loopback). */
export function connectHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
}

/** A URL with its password replaced, for printing. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** True when something accepts a TCP connection at host:port within the timeout. */
export function tcpOpen({ host, port }: HostPort, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: connectHost(host), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Status code of a GET, or 0 when nothing answered. */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Best effort: which process listens on a TCP port, to name it in a "port in use" error.
 * Uses `ss` (iproute2, present on Debian); returns undefined when it cannot tell.
 */
export function listenerOf(port: number): { pid?: number; name?: string } | undefined {
  const res = spawnSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8", timeout: 3000 });
  if (res.status !== 0 || !res.stdout.trim()) return undefined;
  return parseSsUsers(res.stdout);
}

/** Parses the `users:(("java",pid=123,fd=45))` column of `ss -p`. */
export function parseSsUsers(ssLine: string): { pid?: number; name?: string } {
  const m = /users:\(\("([^"]*)",pid=(\d+)/.exec(ssLine);
  return m ? { name: m[1], pid: Number(m[2]) } : {};
}

/**
 * The address a private server binds to: the configured loopback or interface address, else 127.0.0.1 (never a
 * wildcard: listening beyond this machine takes naming the address).
 */
export function bindAddress(host: string, addresses: ReadonlySet<string> = interfaceAddresses()): string {
  return /^127\./.test(host) || host === "::1" || (!isLoopbackOrWildcard(host) && addresses.has(host)) ? host : "127.0.0.1";
}
