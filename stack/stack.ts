// The local stack as one thing: which parts exist, in which order they start and stop, and the reports
// `tld up`, `tld down` and `tld status` print.
import { existsSync } from "node:fs";
import { bootstrapPipeline } from "../lib/bootstrap.js";
import type { TldConfig } from "../lib/config.js";
import { kafkaPart } from "./kafka.js";
import { INFRA_PARTS, PART_NAMES, SERVICE_PARTS, type Part, type PartName, type PartStatus, type StackContext, type UpResult } from "./part.js";
import { postgresPart } from "./postgres.js";
import { stackPaths, StackError, withStackLock } from "./process.js";
import { redisPart } from "./redis.js";
import { registryPart } from "./registry.js";
import { serviceEntry, servicePart } from "./services.js";
import { fetchArtifacts, type JvmArtifact } from "./system.js";
import { stackVersions } from "./versions.js";

export function createContext(config: TldConfig, say: (line: string) => void): StackContext {
  return { config, paths: stackPaths(config.stateDir), versions: stackVersions(), say };
}

export function createParts(ctx: StackContext): Part[] {
  return PART_NAMES.map((name): Part => {
    switch (name) {
      case "redis":
        return redisPart(ctx);
      case "postgres":
        return postgresPart(ctx);
      case "kafka":
        return kafkaPart(ctx);
      case "registry":
        return registryPart(ctx);
      default:
        return servicePart(ctx, name);
    }
  });
}

const GROUPS: Record<string, readonly PartName[]> = { infra: INFRA_PARTS, services: SERVICE_PARTS, all: PART_NAMES };

/** `--only kafka,registry` (also the groups infra, services, all) → part names in stack order. */
export function parseOnly(value: string | undefined): PartName[] {
  if (value === undefined || value.trim() === "") return [...PART_NAMES];
  const wanted = new Set<PartName>();
  for (const raw of value.split(",")) {
    const word = raw.trim().toLowerCase();
    if (!word) continue;
    const group = GROUPS[word];
    if (group) group.forEach((n) => wanted.add(n));
    else if ((PART_NAMES as readonly string[]).includes(word)) wanted.add(word as PartName);
    else throw new StackError(`unknown part "${word}" in --only; parts: ${PART_NAMES.join(", ")} (groups: ${Object.keys(GROUPS).join(", ")})`);
  }
  return PART_NAMES.filter((n) => wanted.has(n));
}

export interface UpReport {
  alreadyRunning: boolean;
  results: UpResult[];
  bootstrapped: boolean;
  totalMs: number;
}

/**
 * Starts the selected parts, each only if not already healthy: Redis, PostgreSQL, then Kafka and the registry
 * side by side (the two slow JVMs), then bootstrapPipeline (topics + schemas), then the services in pipeline order.
 */
export async function stackUp(ctx: StackContext, only: PartName[]): Promise<UpReport> {
  const t0 = Date.now();
  return withStackLock(ctx.paths, async () => {
    const parts = createParts(ctx);
    const byName = new Map(parts.map((p) => [p.name, p]));
    const selected = parts.filter((p) => only.includes(p.name));
    const before = await Promise.all(selected.map((p) => p.status()));
    const needs = (name: PartName) => only.includes(name) && !before.find((s) => s.name === name)?.healthy;

    // A service that is not built is found now, not after the infrastructure took its 10 seconds to start.
    const unbuilt = SERVICE_PARTS.filter((n) => needs(n) && !existsSync(serviceEntry(n)));
    if (unbuilt.length) {
      throw new StackError(
        `not built: ${unbuilt.map((n) => serviceEntry(n)).join(", ")}. Build with \`npm run build\`; ` +
          "to start only the infrastructure, use `tld up --only infra`.",
      );
    }

    // Fetch the JVM parts first (and once): a missing Maven or network is reported before anything starts.
    const jvm: JvmArtifact[] = [];
    if (needs("kafka") && before.find((s) => s.name === "kafka")?.state !== "managed") jvm.push("kafka");
    if (needs("registry") && before.find((s) => s.name === "registry")?.state !== "managed") jvm.push("apicurio");
    if (jvm.length) fetchArtifacts(ctx.paths, ctx.versions, jvm, ctx.say);

    const results: UpResult[] = [];
    for (const name of ["redis", "postgres"] as const) {
      // One at a time: either may run apt-get, which holds a lock.
      if (only.includes(name)) results.push(await byName.get(name)!.up());
    }
    const jvmParts = (["kafka", "registry"] as const).filter((n) => only.includes(n)).map((n) => byName.get(n)!);
    const settled = await Promise.allSettled(jvmParts.map((p) => p.up()));
    for (const s of settled) if (s.status === "fulfilled") results.push(s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;

    // Every part's up() runs even when all looked healthy: it is also what refuses a healthy server on our port
    // that we did not start. Bootstrap only when something was started or a service is about to be.
    const servicesPending = SERVICE_PARTS.some((n) => needs(n));
    const [kafka, registry] = await Promise.all([byName.get("kafka")!.status(), byName.get("registry")!.status()]);
    const nothingToDo = !results.some((r) => r.started) && !servicesPending; // e.g. a second `tld up`
    let bootstrapped = false;
    if (!nothingToDo && kafka.healthy && registry.healthy) {
      // Topics and schemas must exist before any service produces or consumes: only possible with both up.
      try {
        await bootstrapPipeline(ctx.config, {
          info: (obj, msg) => ctx.say(`bootstrap: ${msg ?? ""} ${JSON.stringify(obj)}`.trimEnd()),
        });
      } catch (err) {
        throw new StackError(
          `creating topics and registering schemas failed: ${(err as Error).message}\n` +
            `(Kafka at ${kafka.endpoint} is ${kafka.state}, the registry at ${registry.endpoint} is ${registry.state}; their logs are in ${ctx.paths.logs})`,
        );
      }
      bootstrapped = true;
    } else if (!nothingToDo && SERVICE_PARTS.some((n) => only.includes(n))) {
      throw new StackError("the services need Kafka and the registry: start them too (drop --only, or add kafka,registry)");
    } else if (!nothingToDo) {
      ctx.say("bootstrap skipped: Kafka and the registry are not both running (topics and schemas are created when they are)");
    }

    for (const name of SERVICE_PARTS) {
      if (only.includes(name)) results.push(await byName.get(name)!.up());
    }
    const order = new Map(PART_NAMES.map((n, i) => [n, i]));
    results.sort((a, b) => order.get(a.status.name)! - order.get(b.status.name)!);
    return { alreadyRunning: !results.some((r) => r.started), results, bootstrapped, totalMs: Date.now() - t0 };
  });
}

export interface DownReport {
  stopped: PartName[];
  /** Answering but not ours (the machine's Redis/PostgreSQL, or anything else): left running. */
  leftAlone: PartStatus[];
}

/** Stops what `tld up` started, services first (reverse start order); never anything external. */
export async function stackDown(ctx: StackContext, only: PartName[]): Promise<DownReport> {
  return withStackLock(ctx.paths, async () => {
    const parts = createParts(ctx).filter((p) => only.includes(p.name)).reverse();
    const stopped: PartName[] = [];
    const leftAlone: PartStatus[] = [];
    for (const part of parts) {
      if (await part.down()) {
        stopped.push(part.name);
        ctx.say(`${part.name}: stopped`);
      } else {
        const status = await part.status();
        if (status.state === "external") leftAlone.push(status);
      }
    }
    return { stopped, leftAlone };
  });
}

export interface StatusReport {
  parts: PartStatus[];
  healthy: boolean;
}

export async function stackStatus(ctx: StackContext, only: PartName[]): Promise<StatusReport> {
  const parts = await Promise.all(createParts(ctx).filter((p) => only.includes(p.name)).map((p) => p.status()));
  return { parts, healthy: parts.every((p) => p.healthy) };
}
