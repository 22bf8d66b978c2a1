// HTTPS with a pinned CA: a second collector serving TLS with a certificate from a CA made here with openssl;
// an agent that pins that CA enrolls and ships, one pinning another CA (or none) is refused at the handshake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { collectorRequest } from "../lib/collectorClient.js";
import { PACKAGE_ROOT } from "../lib/config.js";
import { arrivals, emit, missing, runAgent, testEnrollmentPassword, type TestAgent } from "./harness/agent.js";
import { runTag, tld, waitFor } from "./harness/tools.js";

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, and a server certificate for 127.0.0.1 signed by it. */
function makeCa(dir: string, name: string): { ca: string; cert: string; key: string } {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-ca.key`, "-out", `${name}-ca.pem`, "-days", "2", "-subj", `/CN=${name} test CA`);
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-server.key`, "-out", `${name}-server.csr`, "-subj", "/CN=127.0.0.1");
  writeFileSync(path.join(dir, `${name}.ext`), "subjectAltName=IP:127.0.0.1\n");
  openssl(dir, "x509", "-req", "-in", `${name}-server.csr`, "-CA", `${name}-ca.pem`, "-CAkey", `${name}-ca.key`, "-CAcreateserial", "-out", `${name}-server.pem`, "-days", "2", "-extfile", `${name}.ext`);
  return { ca: path.join(dir, `${name}-ca.pem`), cert: path.join(dir, `${name}-server.pem`), key: path.join(dir, `${name}-server.key`) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

test("HTTPS with a pinned CA: enroll and ship; another CA or none is refused", { timeout: 120_000, skip: hasOpenssl ? false : "openssl CLI not installed" }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-tls-"));
  const good = makeCa(dir, "good");
  const rogue = makeCa(dir, "rogue");
  const port = await freePort();
  const collector = spawn(process.execPath, [path.join(PACKAGE_ROOT, "dist/services/collector/main.js")], {
    env: { ...process.env, TLD_COLLECTOR_PORT: String(port), TLD_COLLECTOR_TLS_CERT: good.cert, TLD_COLLECTOR_TLS_KEY: good.key, TLD_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const manager = `https://127.0.0.1:${port}`;
  try {
    const ca = readFileSync(good.ca);
    await waitFor("the TLS collector", async () => ((await collectorRequest({ baseUrl: manager, ca }, "GET", "/readyz")).status === 200 ? true : undefined), 60_000, 250);

    const tag = `tls${runTag()}x${Date.now() % 1_000_000}`;
    const pw = path.join(dir, "pw");
    writeFileSync(pw, testEnrollmentPassword() + "\n");
    const agentFor = (name: string, caFile: string | null): TestAgent => {
      const adir = mkdtempSync(path.join(tmpdir(), "tld-tls-agent-"));
      const logFile = path.join(adir, "access.log");
      writeFileSync(logFile, "");
      const configFile = path.join(adir, "agent.yml");
      writeFileSync(configFile, `manager: ${manager}\nname: ${name}\nstate_dir: ${adir}/state\n${caFile ? `ca_file: ${caFile}\n` : ""}localfile:\n  - location: ${logFile}\n    log_format: apache\n`);
      return { dir: adir, configFile, logFile, id: "", name, stateDir: path.join(adir, "state") };
    };

    const rogueAgent = agentFor(`it-${tag}-rogue`, rogue.ca);
    await assert.rejects(tld("agent", "enroll", "--config", rogueAgent.configFile, "--password-file", pw), /certificate|self.signed|unable to verify/i);
    const unpinned = agentFor(`it-${tag}-unpinned`, null);
    await assert.rejects(tld("agent", "enroll", "--config", unpinned.configFile, "--password-file", pw), /certificate|self.signed|unable to verify/i);

    const agent = agentFor(`it-${tag}`, good.ca);
    agent.id = (JSON.parse((await tld("agent", "enroll", "--config", agent.configFile, "--password-file", pw, "--json")).stdout) as { id: string }).id;
    const proc = await runAgent(agent);
    try {
      emit(agent.logFile, tag, 1, 200);
      const a = await waitFor("200 lines over HTTPS", () => {
        const got = arrivals(agent.id, tag);
        return missing(got.byLine, 1, 200).length === 0 ? got : undefined;
      }, 60_000, 1_000);
      console.log(`# https test: 200 written over TLS with a pinned CA, ${a.byLine.size} arrived`);
      assert.equal(a.byLine.size, 200);
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
      await tld("agents", "rm", agent.id).catch(() => undefined);
    }
  } finally {
    collector.kill("SIGTERM");
    await new Promise((r) => collector.once("exit", r));
  }
});
