// Pure helpers of the individual parts (Redis, PostgreSQL, registry, services) and of the orchestration.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { PART_NAMES } from "./part.js";
import { pgTarget, postgresArgs, quoteIdent, withDatabase } from "./postgres.js";
import { redisArgs } from "./redis.js";
import { findQuarkusRunJar, registryJvmArgs, subjectsUrl } from "./registry.js";
import { readyzUrl, serviceEntry } from "./services.js";
import { parseOnly } from "./stack.js";
import { parseVersions, pomProperty, stackVersions } from "./versions.js";

test("--only: names and groups, in stack order; unknown names are refused", () => {
  assert.deepEqual(parseOnly(undefined), [...PART_NAMES]);
  assert.deepEqual(parseOnly("registry,kafka"), ["kafka", "registry"]);
  assert.deepEqual(parseOnly("infra"), ["redis", "postgres", "kafka", "registry"]);
  assert.deepEqual(parseOnly("services, redis"), ["redis", "collector", "decoder", "matcher", "responder", "dashboard"]);
  assert.throws(() => parseOnly("kafka,zookeeper"), /unknown part "zookeeper"/);
});

test("postgres URL → user and database (libpq defaults), and the maintenance URL", () => {
  assert.deepEqual(pgTarget("postgres://postgres@127.0.0.1:5432/tld"), { user: "postgres", database: "tld" });
  assert.deepEqual(pgTarget("postgres://127.0.0.1:5432"), { user: "postgres", database: "postgres" });
  assert.deepEqual(pgTarget("postgres://alice:pw@h/"), { user: "alice", database: "alice" });
  assert.equal(withDatabase("postgres://u:p@127.0.0.1:5432/tld?sslmode=disable", "postgres"), "postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable");
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
});

test("private PostgreSQL: loopback TCP only, no unix socket", () => {
  const args = postgresArgs({ dataDir: "/s/data/postgres", host: "127.0.0.1", port: 5440 });
  assert.deepEqual(args.slice(0, 4), ["-D", "/s/data/postgres", "-p", "5440"]);
  assert.ok(args.includes("listen_addresses=127.0.0.1"));
  assert.ok(args.includes("unix_socket_directories="));
});

test("private Redis: bound, in our dir, foreground, argv kept for pid matching", () => {
  const args = redisArgs({ host: "127.0.0.1", port: 6390, dir: "/s/data/redis" });
  const flag = (name: string) => args[args.indexOf(name) + 1];
  assert.equal(flag("--port"), "6390");
  assert.equal(flag("--bind"), "127.0.0.1");
  assert.equal(flag("--dir"), "/s/data/redis");
  assert.equal(flag("--daemonize"), "no");
  assert.equal(flag("--set-proc-title"), "no");
  assert.equal(flag("--appendonly"), "yes", "a crash keeps what was written up to a second before it");
  assert.equal(flag("--appendfsync"), "everysec");
  assert.equal(args.includes("--requirepass"), false);
  assert.equal(redisArgs({ host: "127.0.0.1", port: 1, dir: "/d", password: "pw" }).at(-1), "pw");
});

test("registry: health URL, JVM flags, and the launcher jar inside the unpacked app", () => {
  assert.equal(subjectsUrl("http://127.0.0.1:8081/apis/ccompat/v7/"), "http://127.0.0.1:8081/apis/ccompat/v7/subjects");
  const args = registryJvmArgs("127.0.0.1", 8081, "/state/data/registry");
  assert.ok(args.includes("-Dquarkus.http.port=8081"));
  assert.ok(args.includes("-Dquarkus.http.host=127.0.0.1"));
  assert.ok(args.includes("-Dquarkus.management.host=127.0.0.1"));
  assert.ok(args.includes("-Dapicurio.datasource.url=jdbc:h2:file:/state/data/registry/registry"), "schemas persist on disk");
  const dir = mkdtempSync(path.join(tmpdir(), "tld-apicurio-"));
  try {
    assert.equal(findQuarkusRunJar(dir), undefined);
    mkdirSync(path.join(dir, "apicurio-registry-3.3.3", "quarkus-app"), { recursive: true });
    const jar = path.join(dir, "apicurio-registry-3.3.3", "quarkus-app", "quarkus-run.jar");
    writeFileSync(jar, "");
    assert.equal(findQuarkusRunJar(dir), jar);
    writeFileSync(path.join(dir, "quarkus-run.jar"), "");
    assert.equal(findQuarkusRunJar(dir), path.join(dir, "quarkus-run.jar"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("services: entry point and readiness URL", () => {
  assert.equal(serviceEntry("matcher", "/repo"), "/repo/dist/services/matcher/main.js");
  assert.equal(readyzUrl({ host: "0.0.0.0", port: 1514 }), "http://127.0.0.1:1514/readyz");
});

test("versions come from the pom's properties", () => {
  const pom = "<properties>\n  <kafka.version>3.9.1</kafka.version>\n  <apicurio.version> 3.3.3 </apicurio.version>\n</properties>";
  assert.deepEqual(parseVersions(pom), { kafka: "3.9.1", apicurio: "3.3.3" });
  assert.throws(() => pomProperty(pom, "scala.version"), /not found/);
  const real = stackVersions();
  assert.match(real.kafka, /^3\.9\.\d+$/, "kafkajs needs Kafka 3.x (see the pom's comment)");
  assert.match(real.apicurio, /^\d+\.\d+\.\d+$/);
});
