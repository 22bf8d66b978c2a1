// Apache httpd from Debian's apache2 package, run in the victim namespace with a config of our own (its own
// folder for logs, pid and documents), so the system's Apache, if any, is neither used nor touched. It writes the
// combined access log the use case's agent tails, exactly as a stock Apache does.
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureDebianPackages } from "../lib/debian.js";
import type { Lab, LabHost } from "./lab.js";

const APACHE = "/usr/sbin/apache2";
const MODULES = "/usr/lib/apache2/modules";

export interface ApacheServer {
  readonly url: string;
  readonly accessLog: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Installs Debian's apache2 when missing (as root), without letting the package start the system's Apache. */
export async function ensureApacheInstalled(log: (line: string) => void): Promise<void> {
  if (existsSync(APACHE)) return;
  await ensureDebianPackages(["apache2"], "the demo's web server", log, { noServiceStart: true });
}

export function apacheConfig(dir: string, address: string): string {
  return `# ThreatLockDown demo: the victim's web server (generated; nothing of the system's Apache config is used)
ServerRoot "${dir}"
ServerName victim
PidFile "${dir}/httpd.pid"
DefaultRuntimeDir "${dir}"
Mutex file:${dir} default
Listen ${address}:80
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule dir_module ${MODULES}/mod_dir.so
LoadModule mime_module ${MODULES}/mod_mime.so
TypesConfig /etc/mime.types
User www-data
Group www-data
DocumentRoot "${dir}/htdocs"
<Directory "${dir}/htdocs">
  Require all granted
</Directory>
DirectoryIndex index.html
ErrorLog "${dir}/error.log"
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog "${dir}/access.log" combined
`;
}

/** Starts Apache in the host's namespace, listening on its address, and resolves once it answers. */
export async function startApache(lab: Lab, host: LabHost, dir: string): Promise<ApacheServer> {
  mkdirSync(path.join(dir, "htdocs"), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755); // Apache's workers run as www-data and must reach htdocs
  writeFileSync(path.join(dir, "htdocs", "index.html"), "<html><body><h1>It works!</h1><p>ThreatLockDown demo victim.</p></body></html>\n", { mode: 0o644 });
  const accessLog = path.join(dir, "access.log");
  writeFileSync(accessLog, "", { flag: "a" });
  const conf = path.join(dir, "httpd.conf");
  writeFileSync(conf, apacheConfig(dir, host.address));
  const child = lab.spawn(host, APACHE, ["-f", conf, "-DFOREGROUND"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `http://${host.address}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Apache exited (${child.exitCode}): ${stderr.trim()}`);
    // Probe from inside the namespace; a TCP connect is enough (no request, so no access-log line).
    const up = await lab
      .exec(host, process.execPath, ["-e", `require("net").connect(80,${JSON.stringify(host.address)}).on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))`], { timeoutMs: 3_000 })
      .then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`Apache did not answer on ${url} within 15 s: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    accessLog,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM"); // graceful stop of the foreground parent and its children
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
