// Helpers for the manager side of active response, in tests and the bench: publish alerts on tld.alerts as the
// matcher does, read tld.ar.commands with kcat, hold an agent's real SSE command channel, and run the shared
// stack's responder with a test configuration for a while (restored afterwards, whatever happened).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createParser } from "eventsource-parser";
import YAML from "yaml";
import { createKafka, Publisher } from "../../lib/kafka.js";
import { createLogger } from "../../lib/logger.js";
import type { ActiveResponseCommand, Alert } from "../../lib/records.js";
import { avroType } from "../../lib/schemas.js";
import { createRegistryClient, TopicSerde } from "../../lib/serde.js";
import { TOPICS } from "../../lib/topics.js";
import { TLD_BIN } from "./stack.js";
import { config, readTopicWithKcat, tempFile } from "./tools.js";
import { wireValues } from "./wire.js";

const run = promisify(execFile);

export interface AlertPublisher {
  publish(...alerts: Alert[]): Promise<void>;
  close(): Promise<void>;
}

export async function alertPublisher(): Promise<AlertPublisher> {
  const c = config();
  const serde = await new TopicSerde<Alert>(createRegistryClient(c.registry.url), TOPICS.alerts).init();
  const publisher = new Publisher(createKafka(c, createLogger("test", "error"), "tld-test-alerts"));
  await publisher.connect();
  return {
    publish: (...alerts) => publisher.publish(alerts.map((a) => ({ topic: TOPICS.alerts, key: a.agent.id, value: serde.encode(a) }))),
    close: () => publisher.disconnect(),
  };
}

/** An alert as the matcher would raise it for rule `ruleId` on an access-log line from `srcip`. */
export function testAlert(id: string, agent: { id: string; name: string; os?: string | null }, srcip: string | null, ruleId: string, level = 10): Alert {
  return {
    id,
    timestamp: Date.now(),
    rule: { id: ruleId, level, description: "IP address found in AlienVault reputation database.", groups: ["attack", "web"], firedtimes: 1 },
    agent: { id: agent.id, name: agent.name, ip: "127.0.0.1", os: agent.os ?? "linux" },
    decoder: "web-accesslog",
    fields: srcip === null ? {} : { srcip },
    fullLog: `${srcip} - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "tld-test"`,
    location: "/var/log/apache2/access.log",
    eventId: id.split(":")[0],
  };
}

/** Every command on tld.ar.commands since `sinceMs` (kcat, as an outside consumer), with its Kafka key. */
export function commandsOnKafka(sinceMs?: number): { key: string; command: ActiveResponseCommand }[] {
  const type = avroType("ActiveResponseCommand");
  return wireValues<ActiveResponseCommand>(type, readTopicWithKcat(TOPICS.commands, sinceMs)).map(({ record, value }) => ({ key: record.key, command: { ...value } }));
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  receivedAt: number;
}

export type SseCommand = Omit<ActiveResponseCommand, "agentId">;

/** An agent's command channel, held open like the agent holds it; every message is kept with its arrival time. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  private readonly controller = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(m: SseMessage) => void>();

  private received(message: SseMessage): void {
    this.messages.push(message);
    for (const listener of this.listeners) listener(message);
  }

  static async open(baseUrl: string, key: string | null, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(`${baseUrl}/v1/agents/commands`, {
      headers: { accept: "text/event-stream", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      signal: client.controller.signal,
    });
    client.status = res.status;
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return client;
    }
    const parser = createParser({ onEvent: (e) => client.received({ id: e.id, event: e.event, data: e.data, receivedAt: Date.now() }) });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    client.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          parser.feed(value);
        }
      } catch {
        // aborted by close(), or the server went away
      }
    })();
    return client;
  }

  get commands(): (SseCommand & { receivedAt: number })[] {
    return this.messages.filter((m) => m.event === "command").map((m) => ({ ...(JSON.parse(m.data) as SseCommand), receivedAt: m.receivedAt }));
  }

  /** The first command (already here, or arriving within timeoutMs) that satisfies `predicate`. */
  waitFor(what: string, predicate: (c: SseCommand) => boolean, timeoutMs = 30_000): Promise<SseCommand & { receivedAt: number }> {
    const found = this.commands.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (m: SseMessage) => {
        if (m.event !== "command") return;
        const command = JSON.parse(m.data) as SseCommand;
        if (!predicate(command)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve({ ...command, receivedAt: m.receivedAt });
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no command ${what} on the SSE channel within ${timeoutMs} ms; got ${JSON.stringify(this.commands)}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

async function tldWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<void> {
  // Another engineer's `tld up` may hold the stack lock for a moment: wait for it rather than fail.
  for (let attempt = 0; ; attempt++) {
    try {
      await run(process.execPath, [TLD_BIN, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return;
    } catch (err) {
      const text = `${(err as { stderr?: string }).stderr ?? ""}${(err as Error).message}`;
      if (attempt < 60 && /another `tld up`\/`tld down` is running/.test(text)) {
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      throw err;
    }
  }
}

/**
 * Restarts the stack's responder with `activeResponse` set to `section` (the rest of the configuration as it
 * is), through TLD_CONFIG pointing at a temporary file. restore() restarts it with the configuration it had.
 */
export async function useResponderConfig(section: unknown): Promise<{ file: string; restore(): Promise<void> }> {
  const c = config();
  const current = process.env.TLD_CONFIG ?? path.join(c.home, "etc", "tld.yaml");
  const base = existsSync(current) ? ((YAML.parse(readFileSync(current, "utf8")) as Record<string, unknown> | null) ?? {}) : {};
  const file = tempFile("tld.yaml", YAML.stringify({ ...base, activeResponse: section }));
  const restart = async (env: NodeJS.ProcessEnv) => {
    await tldWithEnv(env, "down", "--only", "responder");
    await tldWithEnv(env, "up", "--only", "responder");
  };
  await restart({ ...process.env, TLD_CONFIG: file });
  return {
    file,
    restore: async () => {
      const env = { ...process.env };
      if (process.env.TLD_CONFIG === undefined) delete env.TLD_CONFIG;
      await restart(env);
    },
  };
}
