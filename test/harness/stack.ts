// Where integration tests find the real Kafka, registry, Redis and PostgreSQL, in this order:
//   1. TLD_* environment variables (TLD_KAFKA_BROKERS, TLD_REGISTRY_URL, ...) when set: used as they are;
//   2. testcontainers, when a Docker engine answers (see containers.ts);
//   3. the local stack, started with `tld up` (Kafka and Apicurio from Maven Central, no Docker).
// scripts/run-tests.js calls prepareStack() once before the test files run and exports what it found.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TLD_BIN } from "../../lib/config.js";
import { ensureDebianPackages } from "../../lib/debian.js";

const run = promisify(execFile);

export interface PreparedStack {
  source: "environment" | "testcontainers" | "local";
  env: Record<string, string>;
  /** Stops what prepareStack started (nothing for an environment-provided stack). */
  stop(): Promise<void>;
}

export { TLD_BIN };

export async function dockerAnswers(): Promise<boolean> {
  try {
    await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Integration tests read topics with kcat, a real outside Kafka client from Debian; installed when root. */
export async function ensureKcat(log: (line: string) => void): Promise<void> {
  await ensureDebianPackages(["kcat"], "the integration tests (they read topics with kcat)", log);
}

export async function prepareStack(log: (line: string) => void): Promise<PreparedStack> {
  await ensureKcat(log);
  if (process.env.TLD_KAFKA_BROKERS) {
    log(`integration tests use the services named by TLD_* (Kafka ${process.env.TLD_KAFKA_BROKERS})`);
    return { source: "environment", env: {}, stop: async () => {} };
  }
  if (await dockerAnswers()) {
    log("a Docker engine answers: starting the test stack with testcontainers");
    const { startContainers } = await import("./containers.js");
    const containers = await startContainers();
    // The services themselves run from this checkout, pointed at the containers.
    const env = { ...process.env, ...containers.env };
    await run(process.execPath, [TLD_BIN, "up", "--only", "services"], { env, maxBuffer: 16 * 1024 * 1024 });
    return {
      ...containers,
      stop: async () => {
        await run(process.execPath, [TLD_BIN, "down", "--only", "services"], { env });
        await containers.stop();
      },
    };
  }
  log("no TLD_* services and no Docker engine: using the local stack (`tld up`)");
  // `tld status` exits 1 when a part is down but still prints the JSON.
  const status = await run(process.execPath, [TLD_BIN, "status", "--json"]).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? "",
  );
  const parts = (status ? (JSON.parse(status) as { parts: { name: string; healthy: boolean }[] }).parts : []) ?? [];
  const down = parts.filter((p) => !p.healthy).map((p) => p.name);
  if (parts.length > 0 && down.length === 0) {
    log("local stack already running: using it and leaving it running");
    return { source: "local", env: {}, stop: async () => {} };
  }
  const up = await run(process.execPath, [TLD_BIN, "up"], { maxBuffer: 16 * 1024 * 1024 });
  log(up.stdout.trim());
  // Stop afterwards only what was not running before: a part someone else started stays up.
  const startedHere = parts.length > 0 ? down : ["all"];
  return {
    source: "local",
    env: {},
    stop: async () => {
      await run(process.execPath, [TLD_BIN, "down", "--only", startedHere.join(",")]);
    },
  };
}
