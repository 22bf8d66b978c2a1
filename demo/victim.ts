// The manager's side of the lab, for `tld demo`, the active-response tests and the bench: an extra collector
// instance listening on the lab's management address (it shares the stack's Kafka and Redis, as a second
// instance in production would), the agent run INSIDE the victim namespace
// (`ip netns exec <victim> node bin/tld.js agent run`), and a look at the victim's kernel ruleset.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { hostname } from "node:os";
import { AGENT_NODE_FLAGS, loadConfig, PACKAGE_ROOT, TLD_BIN } from "../lib/config.js";
import { consumerGroupId, deleteConsumerGroups } from "../lib/kafka.js";
import { createLogger } from "../lib/logger.js";
import { commandFeedGroup } from "../services/collector/commandFeed.js";
import type { Lab } from "./lab.js";

export interface ServiceInstance {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** A port nobody listens on at `host` right now. */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts dist/services/<name>/main.js with extra environment; resolves once /readyz answers 200. */
export async function startServiceInstance(name: string, env: Record<string, string>, readyUrl: string, timeoutMs = 60_000): Promise<ServiceInstance> {
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, "dist", "services", name, "main.js")], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} instance exited:\n${out}`);
    const ok = await fetch(readyUrl).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} instance not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out, stop };
}

/** A second collector, on the lab's management address: the victim's agent reaches it over its own link. */
export async function startLabCollector(lab: Lab): Promise<ServiceInstance & { baseUrl: string }> {
  const port = await freePort(lab.managerAddress);
  const baseUrl = `http://${lab.managerAddress}:${port}`;
  const instance = await startServiceInstance("collector", { TLD_COLLECTOR_HOST: lab.managerAddress, TLD_COLLECTOR_PORT: String(port) }, `${baseUrl}/readyz`);
  const stop = async () => {
    await instance.stop();
    // Its command feed's consumer group is named after this run's port: every demo would leave one behind.
    const config = loadConfig();
    await deleteConsumerGroups(config, createLogger("tld-demo", "error"), [consumerGroupId(config, commandFeedGroup(hostname(), port))]);
  };
  return { ...instance, stop, baseUrl };
}

export interface RunningVictimAgent {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
  /** Resolves once the agent logged a line matching `pattern` (after `from`, an offset in its output). */
  logged(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `ip netns exec <victim> node bin/tld.js agent run`; resolves once its command channel is open. */
export async function runAgentInVictim(lab: Lab, agent: { configFile: string }): Promise<RunningVictimAgent> {
  const child = lab.spawn(lab.victim, process.execPath, [...AGENT_NODE_FLAGS, TLD_BIN, "agent", "run", "--config", agent.configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const logged = async (pattern: RegExp, timeoutMs = 15_000, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = out.slice(from).split("\n").find((l) => pattern.test(l));
      if (line) return line;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`agent exited (${child.exitCode ?? child.signalCode}) before logging ${pattern}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`agent did not log ${pattern} within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const running: RunningVictimAgent = {
    child,
    output: () => out,
    exited,
    logged,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await logged(/"command channel open"/, 20_000);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

/** The addresses in the victim's `inet tld` sets, from `nft -j list ruleset`. */
export async function nftBlocked(lab: Lab): Promise<string[]> {
  const ruleset = JSON.parse((await lab.exec(lab.victim, "nft", ["-j", "list", "ruleset"])).stdout) as { nftables: { set?: { table: string; elem?: ({ elem: { val: string } } | string)[] } }[] };
  return ruleset.nftables.flatMap((o) => (o.set && o.set.table === "tld" ? (o.set.elem ?? []).map((e) => (typeof e === "string" ? e : e.elem.val)) : []));
}

