// The test stack from images, for machines with a Docker engine. Not exercised on machines without one
// (such as this project's CI machine, which uses the local stack instead); kept to the same versions as
// docker-compose.yml and stack/maven/pom.xml.
import { GenericContainer, Network, Wait, type StartedTestContainer } from "testcontainers";
import type { PreparedStack } from "./stack.js";

export async function startContainers(): Promise<PreparedStack> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const kafka = await new GenericContainer("apache/kafka:3.9.1")
    .withNetwork(network)
    .withNetworkAliases("kafka")
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
      KAFKA_ADVERTISED_LISTENERS: "PLAINTEXT://localhost:9092",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  started.push(kafka);
  const registry = await new GenericContainer("apicurio/apicurio-registry:3.3.3").withExposedPorts(8080).withWaitStrategy(Wait.forHttp("/apis/ccompat/v7/subjects", 8080)).start();
  started.push(registry);
  const redis = await new GenericContainer("redis:7").withExposedPorts(6379).start();
  started.push(redis);
  const postgres = await new GenericContainer("postgres:15").withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "trust", POSTGRES_DB: "tld" }).withExposedPorts(5432).withWaitStrategy(Wait.forListeningPorts()).start();
  started.push(postgres);
  return {
    source: "testcontainers",
    env: {
      TLD_KAFKA_BROKERS: `localhost:${kafka.getMappedPort(9092)}`,
      TLD_REGISTRY_URL: `http://localhost:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      TLD_REDIS_URL: `redis://localhost:${redis.getMappedPort(6379)}`,
      TLD_POSTGRES_URL: `postgres://postgres@localhost:${postgres.getMappedPort(5432)}/tld`,
    },
    stop: async () => {
      for (const c of started.reverse()) await c.stop();
      await network.stop();
    },
  };
}
