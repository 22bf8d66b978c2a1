// A single-node Kafka in KRaft mode (broker and controller in one JVM), from the jars Maven put in the cache.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { formatHostPort, parseHostPort, tcpOpen, type HostPort } from "./net.js";
import { serverDown, serverStatus, serverUp, type Part, type ServerSpec, type StackContext } from "./part.js";
import { ManagedProcess, StackError } from "./process.js";
import { artifactDirs, fetchArtifacts, requireJava } from "./system.js";

export interface KafkaLayout {
  listen: HostPort;
  controllerPort: number;
  logDir: string;
  partitions: number;
}

/**
 * server.properties for one KRaft node. A static voter set (controller.quorum.voters) rather than 3.9's dynamic
 * quorum: a single node never changes membership, and static is what every 3.x tool and doc assumes.
 */
export function serverProperties(layout: KafkaLayout): string {
  const host = layout.listen.host;
  const lines: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${formatHostPort({ host, port: layout.controllerPort })}`,
    listeners: `PLAINTEXT://${formatHostPort(layout.listen)},CONTROLLER://${formatHostPort({ host, port: layout.controllerPort })}`,
    "advertised.listeners": `PLAINTEXT://${formatHostPort(layout.listen)}`,
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "log.dirs": layout.logDir,
    "num.partitions": layout.partitions,
    // One node: internal topics cannot have more replicas than brokers.
    "offsets.topic.replication.factor": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "min.insync.replicas": 1,
    "default.replication.factor": 1,
    // Topics are created by bootstrapPipeline with the intended partitions and config; a typo must not make one.
    "auto.create.topics.enable": false,
    // No reason to wait for more members in a single-node dev stack: consumers start consuming at once.
    "group.initial.rebalance.delay.ms": 0,
    // Fewer threads than the defaults: this node shares two cores with the registry and five services.
    "num.network.threads": 2,
    "num.io.threads": 4,
    "log.retention.hours": 168,
    "log.segment.bytes": 268435456,
  };
  return (
    "# Written by `tld up` (stack/kafka.ts) at every start; edit that file, not this one.\n" +
    Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") +
    "\n"
  );
}

/** log4j 1.x (reload4j) config: the broker's log rolls in <logs>/kafka.log; chatty loggers turned down. */
export function log4jProperties(logFile: string): string {
  return [
    "# Written by `tld up` (stack/kafka.ts).",
    "log4j.rootLogger=INFO, file",
    "log4j.appender.file=org.apache.log4j.RollingFileAppender",
    `log4j.appender.file.File=${logFile}`,
    "log4j.appender.file.MaxFileSize=20MB",
    "log4j.appender.file.MaxBackupIndex=5",
    "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
    "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
    "log4j.logger.kafka=INFO",
    "log4j.logger.org.apache.kafka=INFO",
    "log4j.logger.kafka.request.logger=WARN",
    "log4j.logger.state.change.logger=WARN",
    "log4j.logger.kafka.log.LogCleaner=WARN",
    "log4j.logger.kafka.controller=INFO",
    "",
  ].join("\n");
}

/** A random cluster id in Kafka's format (16 random bytes, base64url, no padding: what `random-uuid` prints). */
export function newClusterId(): string {
  return randomBytes(16).toString("base64url");
}

/** Health: the port accepts, then a real Kafka request (describeCluster) answers with a controller. */
export async function kafkaHealthy(broker: HostPort): Promise<boolean> {
  if (!(await tcpOpen(broker, 1000))) return false;
  const kafka = new Kafka({
    clientId: "tld-stack-probe",
    brokers: [formatHostPort(broker)],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function kafkaPart(ctx: StackContext): Part {
  const listen = parseHostPort(ctx.config.kafka.brokers[0]);
  // log4j writes the broker's log to logs/kafka.log (rolling); the JVM's own stdout/stderr (startup errors, crashes)
  // go to logs/kafka.out.
  const proc = new ManagedProcess("kafka", ctx.paths, "kafka.out");
  const serverLog = path.join(ctx.paths.logs, "kafka.log");
  const stdoutLog = proc.logPath;
  const home = path.join(ctx.paths.data, "kafka");
  const layout: KafkaLayout = {
    listen,
    controllerPort: listen.port + 1,
    logDir: path.join(home, "logs"),
    partitions: ctx.config.kafka.partitions,
  };
  const spec: ServerSpec = {
    name: "kafka",
    endpoint: formatHostPort(listen),
    listen,
    extraPorts: [layout.controllerPort],
    proc,
    logFile: serverLog,
    probe: () => kafkaHealthy(listen),
    acceptExternal: false,
    timeoutMs: 120_000,
    graceMs: 30_000, // a controlled shutdown flushes and closes every partition
    async launch() {
      const java = requireJava("Kafka " + ctx.versions.kafka, 11, 21, "Install it with `apt-get install openjdk-17-jre-headless`.");
      const { kafkaLibs } = fetchArtifacts(ctx.paths, ctx.versions, ["kafka"], ctx.say);
      mkdirSync(layout.logDir, { recursive: true });
      mkdirSync(ctx.paths.logs, { recursive: true });
      const props = path.join(home, "server.properties");
      const log4j = path.join(home, "log4j.properties");
      writeFileSync(props, serverProperties(layout));
      writeFileSync(log4j, log4jProperties(serverLog));
      const cp = path.join(kafkaLibs, "*"); // expanded by the JVM, not a shell
      const log4jOpt = `-Dlog4j.configuration=file:${log4j}`;
      if (!existsSync(path.join(layout.logDir, "meta.properties"))) {
        // Formatting writes the cluster id and the KRaft bootstrap metadata; done once, it is what makes this a cluster.
        const res = spawnSync(
          java.bin,
          [log4jOpt, "-cp", cp, "kafka.tools.StorageTool", "format", "-t", newClusterId(), "-c", props],
          { encoding: "utf8" },
        );
        if (res.status !== 0) {
          throw new StackError(`kafka: formatting ${layout.logDir} failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
        }
      }
      proc.start({
        command: java.bin,
        args: [
          "-Xms256m",
          "-Xmx512m",
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:+ExitOnOutOfMemoryError",
          "-Djava.awt.headless=true",
          log4jOpt,
          `-Dkafka.logs.dir=${ctx.paths.logs}`,
          "-cp",
          cp,
          "kafka.Kafka",
          props,
        ],
        cwd: home,
      });
      ctx.say(`kafka: starting (java ${java.major}, pid ${proc.record()?.pid}; log ${serverLog}, output ${stdoutLog})`);
    },
  };
  return {
    name: "kafka",
    endpoint: spec.endpoint,
    logFile: serverLog,
    status: () => serverStatus(spec),
    up: () => serverUp(spec),
    down: () => serverDown(spec),
  };
}

/** Where the Kafka jars are (for tools/tests that want kafka-topics and friends). */
export function kafkaLibsDir(ctx: StackContext): string {
  return artifactDirs(ctx.paths, ctx.versions).kafkaLibs;
}
