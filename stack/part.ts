// What every part of the local stack looks like to `tld up/down/status`, and the shared lifecycle of a server
// that we may start ourselves or find already running.
import type { TldConfig } from "../lib/config.js";
import { formatHostPort, isLocalHost, listenerOf, tcpOpen, type HostPort } from "./net.js";
import { ManagedProcess, StackError, type StackPaths } from "./process.js";
import type { StackVersions } from "./versions.js";

export const INFRA_PARTS = ["redis", "postgres", "kafka", "registry"] as const;
/** Pipeline order: each stage starts after the one feeding it. */
export const SERVICE_PARTS = ["collector", "decoder", "matcher", "responder", "dashboard"] as const;
export const PART_NAMES = [...INFRA_PARTS, ...SERVICE_PARTS] as const;
export type InfraName = (typeof INFRA_PARTS)[number];
export type ServiceName = (typeof SERVICE_PARTS)[number];
export type PartName = (typeof PART_NAMES)[number];

export interface StackContext {
  config: TldConfig;
  paths: StackPaths;
  versions: StackVersions;
  /** Progress for people (one line each). */
  say: (line: string) => void;
}

/** managed: we started it (and `tld down` stops it); external: it answers but is not ours; stopped: nothing answers. */
export type PartState = "managed" | "external" | "stopped";

export interface PartStatus {
  name: PartName;
  endpoint: string;
  state: PartState;
  managed: boolean;
  healthy: boolean;
  pid: number | null;
  /** Why it is unhealthy or external, when there is something to say. */
  detail?: string;
}

export interface UpResult {
  status: PartStatus;
  /** True when this `up` started it (false: it was already running, ours or external). */
  started: boolean;
  ms: number;
}

export interface Part {
  readonly name: PartName;
  readonly endpoint: string;
  /** The log a person should read about this part. */
  readonly logFile: string;
  status(): Promise<PartStatus>;
  up(): Promise<UpResult>;
  /** Stops it if we started it; returns whether something was stopped. */
  down(): Promise<boolean>;
}

export interface ServerSpec {
  name: PartName;
  endpoint: string;
  listen: HostPort;
  /** Other ports the process will bind (Kafka's controller): checked for squatters before starting. */
  extraPorts?: number[];
  proc: ManagedProcess;
  logFile?: string;
  probe(): Promise<boolean>;
  /**
   * Whether a healthy server we did not start is fine to use (Redis, PostgreSQL: yes). When false, such a
   * server on a local address is a conflict; on a remote address it is simply the configured external one.
   */
  acceptExternal: boolean;
  /** Prepares and spawns the process (proc.start); only called when nothing answers and nothing squats the port. */
  launch(): Promise<void>;
  /** After a local install (apt-get), a packaged service may already be running: the caller re-probes. */
  install?(): Promise<boolean>;
  timeoutMs: number;
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
}

export function statusOf(spec: ServerSpec, state: PartState, healthy: boolean, pid: number | null, detail?: string): PartStatus {
  return { name: spec.name, endpoint: spec.endpoint, state, managed: state === "managed", healthy, pid, ...(detail ? { detail } : {}) };
}

export async function serverStatus(spec: ServerSpec): Promise<PartStatus> {
  const rec = spec.proc.running();
  const healthy = await spec.probe().catch(() => false);
  if (rec) return statusOf(spec, "managed", healthy, rec.pid, healthy ? undefined : `not answering; log: ${spec.logFile ?? spec.proc.logPath}`);
  if (healthy) return statusOf(spec, "external", true, null);
  return statusOf(spec, "stopped", false, null);
}

async function portSquatter(port: number, host: string): Promise<string | undefined> {
  if (!(await tcpOpen({ host, port }, 500))) return undefined;
  const who = listenerOf(port);
  return who?.pid ? `${who.name ?? "a process"} (pid ${who.pid})` : "another process";
}

/** Starts a server unless it is already healthy; the shared "is it ours / is the port taken / wait" logic. */
export async function serverUp(spec: ServerSpec): Promise<UpResult> {
  const t0 = Date.now();
  const done = (status: PartStatus, started: boolean): UpResult => ({ status, started, ms: Date.now() - t0 });
  const logFile = spec.logFile ?? spec.proc.logPath;
  const running = spec.proc.running();
  if (running) {
    // Ours: maybe still starting from an earlier `up` that gave up waiting.
    await spec.proc.waitHealthy(() => spec.probe(), { timeoutMs: spec.timeoutMs, logFile });
    return done(statusOf(spec, "managed", true, running.pid), false);
  }
  spec.proc.clearStale();
  if (await spec.probe().catch(() => false)) {
    if (spec.acceptExternal || !isLocalHost(spec.listen.host)) return done(statusOf(spec, "external", true, null), false);
    const who = (await portSquatter(spec.listen.port, spec.listen.host)) ?? "another process";
    throw new StackError(
      `${spec.name}: ${formatHostPort(spec.listen)} already answers, but not from a process \`tld up\` started ` +
        `(${who}). Stop it, or point the configuration at it if it is meant to be used.`,
    );
  }
  if (!isLocalHost(spec.listen.host)) {
    throw new StackError(
      `${spec.name}: ${spec.endpoint} is configured on another machine and does not answer; \`tld up\` only starts ` +
        `${spec.name} on this machine (a loopback address).`,
    );
  }
  for (const port of [spec.listen.port, ...(spec.extraPorts ?? [])]) {
    const who = await portSquatter(port, spec.listen.host);
    if (who) {
      throw new StackError(
        `${spec.name}: port ${port} is in use by ${who}, which \`tld up\` did not start and which does not answer as ${spec.name}. ` +
          `Stop it or change the ${spec.name} port in the configuration.`,
      );
    }
  }
  if (spec.install && (await spec.install())) {
    // Installing the Debian package may have started its own server on the same port: use it then.
    if (await spec.probe().catch(() => false)) return done(statusOf(spec, "external", true, null, "started by its Debian package"), false);
  }
  await spec.launch();
  await spec.proc.waitHealthy(() => spec.probe(), { timeoutMs: spec.timeoutMs, logFile });
  return done(statusOf(spec, "managed", true, spec.proc.running()?.pid ?? null), true);
}

export function serverDown(spec: Pick<ServerSpec, "proc" | "stopSignal" | "graceMs">): Promise<boolean> {
  return spec.proc.stop({ signal: spec.stopSignal, graceMs: spec.graceMs });
}
