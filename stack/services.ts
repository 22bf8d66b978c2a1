// The five ThreatLockDown services, each `node dist/services/<name>/main.js` with the caller's environment (so
// TLD_* settings given to `tld up` reach every service), healthy when GET /readyz answers 200.
import { existsSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT, SERVICE_NODE_FLAGS } from "../lib/config.js";
import { lowerPriority } from "../lib/priority.js";
import { connectHost, formatHostPort, httpStatus, type HostPort } from "./net.js";
import { serverDown, serverStatus, serverUp, type Part, type ServerSpec, type ServiceName, type StackContext } from "./part.js";
import { ManagedProcess, StackError } from "./process.js";

export function serviceEntry(name: ServiceName, root = PACKAGE_ROOT): string {
  return path.join(root, "dist", "services", name, "main.js");
}

export function serviceListen(ctx: Pick<StackContext, "config">, name: ServiceName): HostPort {
  const { host, port } = ctx.config[name];
  return { host, port };
}

export function readyzUrl(listen: HostPort): string {
  return `http://${formatHostPort({ host: connectHost(listen.host), port: listen.port })}/readyz`;
}

export function servicePart(ctx: StackContext, name: ServiceName): Part {
  const listen = serviceListen(ctx, name);
  const proc = new ManagedProcess(name, ctx.paths);
  const entry = serviceEntry(name);
  const spec: ServerSpec = {
    name,
    endpoint: `http://${formatHostPort(listen)}`,
    listen,
    proc,
    probe: async () => (await httpStatus(readyzUrl(listen), 1500)) === 200,
    acceptExternal: false,
    timeoutMs: 60_000,
    graceMs: 15_000, // time to finish the batch in flight and commit its offsets
    async launch() {
      if (!existsSync(entry)) {
        throw new StackError(
          `service ${name} is not built: ${entry} is missing. Build with \`npm run build\`; ` +
            "to start only the infrastructure, use `tld up --only kafka,registry,redis,postgres`.",
        );
      }
      const { pid } = proc.start({ command: process.execPath, args: [...SERVICE_NODE_FLAGS, entry], cwd: PACKAGE_ROOT, env: process.env });
      // The alert store is not on the path to a block: when the cores are short, the stages that are get them first
      // and the dashboard catches up after (it only lags; nothing is lost).
      if (name === "dashboard") lowerPriority(pid);
      ctx.say(`${name}: starting (pid ${proc.record()?.pid}; log ${proc.logPath})`);
    },
  };
  return {
    name,
    endpoint: spec.endpoint,
    logFile: proc.logPath,
    status: () => serverStatus(spec),
    up: () => serverUp(spec),
    down: () => serverDown(spec),
  };
}

