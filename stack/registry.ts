// Apicurio Registry (a Quarkus app) as the Confluent-compatible schema registry, from the tarball Maven unpacked.
// Storage is its SQL store on an H2 file under <stateDir>/data/registry, so schema ids outlive a restart (values in
// Kafka name them); `tld up` still re-registers ours through bootstrapPipeline, which is idempotent.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { httpStatus, urlHostPort } from "./net.js";
import { serverDown, serverStatus, serverUp, type Part, type ServerSpec, type StackContext } from "./part.js";
import { ManagedProcess, StackError } from "./process.js";
import { fetchArtifacts, requireJava } from "./system.js";

/** The Quarkus launcher inside an unpacked app (top level today; searched a little deeper in case that changes). */
export function findQuarkusRunJar(dir: string, depth = 2): string | undefined {
  const direct = path.join(dir, "quarkus-run.jar");
  if (existsSync(direct)) return direct;
  if (depth === 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const entry of entries.sort()) {
    const sub = path.join(dir, entry);
    if (entry === "lib" || !statSync(sub).isDirectory()) continue;
    const found = findQuarkusRunJar(sub, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** `<registry url>/subjects`: the ccompat endpoint our clients call, so a 200 means usable, not merely listening. */
export function subjectsUrl(registryUrl: string): string {
  return `${registryUrl.replace(/\/+$/, "")}/subjects`;
}

/**
 * JVM flags measured on 2 cores: C1 only (TieredStopAtLevel=1) and the serial GC start Quarkus fastest and use
 * the least CPU next to Kafka; a registry's throughput needs are tiny.
 */
export function registryJvmArgs(host: string, port: number, dataDir: string): string[] {
  return [
    "-Xmx384m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:+ExitOnOutOfMemoryError",
    `-Dquarkus.http.host=${host}`,
    `-Dquarkus.http.port=${port}`,
    // Quarkus's management interface (health, metrics) defaults to 0.0.0.0:9000: keep it on loopback and on a
    // free port so it neither exposes anything nor collides with whatever else uses 9000.
    "-Dquarkus.management.host=127.0.0.1",
    "-Dquarkus.management.port=0",
    // Schemas must outlive a registry restart: Kafka keeps the data on disk, and every value names its schema
    // id. An H2 file under the state folder keeps ids stable across `tld down` / `tld up`.
    `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(dataDir, "registry")}`,
  ];
}

export function registryPart(ctx: StackContext): Part {
  const url = ctx.config.registry.url;
  const listen = urlHostPort(url);
  const proc = new ManagedProcess("registry", ctx.paths);
  const probe = async () => (await httpStatus(subjectsUrl(url), 2000)) === 200;
  const spec: ServerSpec = {
    name: "registry",
    endpoint: url,
    listen,
    proc,
    probe,
    acceptExternal: false,
    timeoutMs: 120_000,
    graceMs: 15_000,
    async launch() {
      const java = requireJava(
        `Apicurio Registry ${ctx.versions.apicurio}`,
        21,
        Infinity,
        "Debian 12 ships only Java 17: install a Java 21+ runtime (e.g. Eclipse Temurin 21 from Adoptium's apt " +
          "repository, or openjdk-21-jre-headless on Debian 13) and set JAVA_HOME to it, or put it in /usr/lib/jvm.",
      );
      const { apicurioHome } = fetchArtifacts(ctx.paths, ctx.versions, ["apicurio"], ctx.say);
      const jar = findQuarkusRunJar(apicurioHome);
      if (!jar) throw new StackError(`registry: no quarkus-run.jar under ${apicurioHome}; delete that folder and run \`tld up\` again to refetch it`);
      proc.start({
        command: java.bin,
        args: [...registryJvmArgs(listen.host, listen.port, path.join(ctx.paths.data, "registry")), "-jar", jar],
        cwd: path.dirname(jar),
      });
      ctx.say(`registry: starting (java ${java.major}, pid ${proc.record()?.pid}; log ${proc.logPath})`);
    },
  };
  return {
    name: "registry",
    endpoint: url,
    logFile: proc.logPath,
    status: () => serverStatus(spec),
    up: () => serverUp(spec),
    down: () => serverDown(spec),
  };
}
