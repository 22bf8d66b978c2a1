// docker-compose.yml must describe the same stack `tld up` runs: same parts, same default ports, same Kafka and
// Apicurio versions as stack/maven/pom.xml, and only environment variables the configuration knows.
// Static checks on the YAML: no Docker needed.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { configSchema, ENV_KEYS, PACKAGE_ROOT } from "../lib/config.js";
import { parseHostPort, urlHostPort } from "../stack/net.js";
import { stackVersions } from "../stack/versions.js";

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  healthcheck?: { test?: string | string[] };
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface Compose {
  services: Record<string, ComposeService>;
}

// `merge: true`: the file shares settings through YAML merge keys (<<: *anchor), as Compose does.
const compose = YAML.parse(readFileSync(path.join(PACKAGE_ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as Compose;
const defaults = configSchema.parse({});
const versions = stackVersions();

const serviceNames = readdirSync(path.join(PACKAGE_ROOT, "services"))
  .filter((d) => statSync(path.join(PACKAGE_ROOT, "services", d)).isDirectory())
  .sort();

function env(service: ComposeService): Record<string, string> {
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v ?? "")]));
}

/** "127.0.0.1:9092:9092" / "9092:9092" / "9092" / long form → { published, target }. */
function ports(service: ComposeService): { published: number; target: number }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === "object") return { published: Number(p.published ?? p.target), target: p.target };
    const parts = p.split(":");
    const target = Number(parts.at(-1));
    return { published: parts.length >= 2 ? Number(parts.at(-2)) : target, target };
  });
}

function service(name: string): ComposeService {
  const s = compose.services[name];
  assert.ok(s, `docker-compose.yml has no service "${name}"`);
  return s;
}

test("every service in services/ runs in compose from the project image", () => {
  assert.ok(serviceNames.length >= 5, `expected the five services, found ${serviceNames.join(", ")}`);
  for (const name of serviceNames) {
    const s = service(name);
    const command = Array.isArray(s.command) ? s.command.join(" ") : s.command;
    assert.equal(command, `node dist/services/${name}/main.js`, name);
    assert.equal(s.image, "threatlockdown:local", `${name} uses the image built by the Dockerfile`);
  }
});

test("the infrastructure images are the versions the local stack fetches (stack/maven/pom.xml)", () => {
  assert.equal(service("kafka").image, `apache/kafka:${versions.kafka}`);
  assert.equal(service("registry").image, `apicurio/apicurio-registry:${versions.apicurio}`);
  assert.match(service("redis").image ?? "", /^redis:7/);
  assert.match(service("postgres").image ?? "", /^postgres:15/);
});

test("published ports are lib/config.ts's defaults", () => {
  const expected: Record<string, number> = {
    kafka: parseHostPort(defaults.kafka.brokers[0]).port,
    registry: urlHostPort(defaults.registry.url).port,
    redis: urlHostPort(defaults.redis.url).port,
    postgres: urlHostPort(defaults.postgres.url).port,
    collector: defaults.collector.port,
    dashboard: defaults.dashboard.port,
  };
  for (const [name, port] of Object.entries(expected)) {
    assert.ok(
      ports(service(name)).some((p) => p.published === port && p.target === port),
      `${name} should publish ${port}:${port}, has ${JSON.stringify(service(name).ports)}`,
    );
  }
});

test("every service listens (and is health-checked) on its default port", () => {
  for (const name of serviceNames) {
    const port = (defaults as unknown as Record<string, { port: number }>)[name]?.port;
    assert.ok(port, `lib/config.ts has no port for ${name}`);
    const key = `TLD_${name.toUpperCase()}_PORT`;
    const e = env(service(name));
    if (e[key] !== undefined) assert.equal(Number(e[key]), port, `${name}: ${key}`);
    const check = [service(name).healthcheck?.test ?? []].flat().join(" ");
    assert.match(check, new RegExp(`:${port}/readyz`), `${name} healthcheck probes /readyz on ${port}`);
  }
});

test("TLD_* variables are ones lib/config.ts knows, and they point at compose services", () => {
  const known = new Set(Object.keys(ENV_KEYS));
  for (const [name, s] of Object.entries(compose.services)) {
    for (const key of Object.keys(env(s)).filter((k) => k.startsWith("TLD_"))) {
      assert.ok(known.has(key), `${name}: ${key} is not in ENV_KEYS (lib/config.ts), so it would be ignored`);
    }
  }
  for (const name of serviceNames) {
    const e = env(service(name));
    const broker = parseHostPort(e.TLD_KAFKA_BROKERS.split(",")[0]);
    assert.ok(compose.services[broker.host], `${name}: TLD_KAFKA_BROKERS host ${broker.host} is a compose service`);
    for (const [key, target] of [
      ["TLD_REGISTRY_URL", "registry"],
      ["TLD_REDIS_URL", "redis"],
      ["TLD_POSTGRES_URL", "postgres"],
    ] as const) {
      assert.ok(e[key], `${name}: ${key} is set`);
      assert.equal(urlHostPort(e[key]).host, target, `${name}: ${key} points at the ${target} service`);
    }
    assert.equal(urlHostPort(e.TLD_REGISTRY_URL).port, urlHostPort(defaults.registry.url).port);
    assert.equal(new URL(e.TLD_REGISTRY_URL).pathname, new URL(defaults.registry.url).pathname, "same ccompat API path");
  }
});

test("Kafka in compose is configured like the local KRaft node", () => {
  const e = env(service("kafka"));
  assert.equal(e.KAFKA_PROCESS_ROLES, "broker,controller");
  assert.equal(e.KAFKA_AUTO_CREATE_TOPICS_ENABLE, "false");
  assert.equal(e.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, "0");
  assert.equal(Number(e.KAFKA_NUM_PARTITIONS), defaults.kafka.partitions);
  assert.equal(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, "1");
  assert.match(e.CLUSTER_ID, /^[A-Za-z0-9_-]{22}$/, "a Kafka cluster id is 16 bytes in base64url");
  // The in-network listener the services use is advertised under the service name.
  const broker = env(service("collector")).TLD_KAFKA_BROKERS;
  assert.ok(e.KAFKA_ADVERTISED_LISTENERS.split(",").some((l) => l.endsWith(`//${broker}`)), `advertises ${broker}`);
});

test("services start only after topics and schemas exist", () => {
  const boot = service("bootstrap");
  assert.deepEqual(boot.command, ["node", "bin/tld.js", "bootstrap"], "the bootstrap service runs `tld bootstrap`");
  for (const name of serviceNames) {
    const deps = service(name).depends_on;
    assert.ok(deps && !Array.isArray(deps), `${name} has depends_on conditions`);
    assert.equal(deps.bootstrap?.condition, "service_completed_successfully", name);
  }
});
