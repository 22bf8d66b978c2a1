// The namespace lab behind `tld demo`: the attacker reaches the victim over the attack link only, the victim
// reaches the manager over the management link, and destroy() leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureApacheInstalled, startApache } from "../demo/apache.js";
import { createLab, labUnavailable, type Lab, type LabHost } from "../demo/lab.js";

const unavailable = await labUnavailable();

/** Connects from inside a namespace with node itself (no curl/nc needed); resolves with what the server said. */
function connectFrom(lab: Lab, host: LabHost, address: string, port: number, localAddress?: string): Promise<string> {
  const script = `const s=require("net").connect({host:${JSON.stringify(address)},port:${port}${localAddress ? `,localAddress:${JSON.stringify(localAddress)}` : ""},timeout:2000});let d="";s.on("data",c=>d+=c);s.on("end",()=>{console.log(d);});s.on("timeout",()=>{console.log("TIMEOUT");process.exit(0)});s.on("error",e=>{console.log("ERROR "+e.code);process.exit(0)});`;
  return lab.exec(host, process.execPath, ["-e", script]).then((r) => r.stdout.trim());
}

test("lab: attacker -> victim over the attack link, victim -> manager over the management link, nothing left after", { skip: unavailable ?? false }, async () => {
  const lab = await createLab({ extraAttackers: 3 });
  try {
    const server = lab.spawn(lab.victim, process.execPath, ["-e", `require("net").createServer(s=>s.end("victim:"+s.remoteAddress)).listen(8080,${JSON.stringify(lab.victim.address)},()=>console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise((resolve) => server.stdout!.once("data", resolve));
    try {
      assert.equal(await connectFrom(lab, lab.attacker, lab.victim.address, 8080), `victim:${lab.attacker.address}`);
      const extra = lab.extraAttackerAddresses[2];
      assert.equal(await connectFrom(lab, lab.attacker, lab.victim.address, 8080, extra), `victim:${extra}`, "extra attacker addresses are real sources");
    } finally {
      server.kill();
    }

    const manager = createServer((s) => s.end(`manager:${s.remoteAddress}`));
    await new Promise<void>((resolve) => manager.listen(0, lab.managerAddress, resolve));
    try {
      const port = (manager.address() as { port: number }).port;
      assert.equal(await connectFrom(lab, lab.victim, lab.managerAddress, port), `manager:${lab.victimMgmtAddress}`);
      assert.match(await connectFrom(lab, lab.attacker, lab.managerAddress, port), /^(ERROR|TIMEOUT)/, "the attacker has no route to the manager");
    } finally {
      manager.close();
    }
  } finally {
    await lab.destroy();
  }
  const left = execFileSync("ip", ["netns", "list"]).toString();
  assert.ok(!left.includes(lab.victim.netns) && !left.includes(lab.attacker.netns), left);
});

test("Apache in the victim namespace serves the attacker and writes a combined access-log line for it", { skip: unavailable ?? false }, async () => {
  await ensureApacheInstalled((line) => console.log(`# ${line}`));
  const lab = await createLab();
  let apache: Awaited<ReturnType<typeof startApache>> | undefined;
  try {
    apache = await startApache(lab, lab.victim, mkdtempSync(path.join(tmpdir(), "tld-apache-")));
    const script = `fetch(${JSON.stringify(apache.url)},{headers:{"user-agent":"curl/7.81.0"}}).then(async r=>console.log(r.status,(await r.text()).includes("It works")))`;
    assert.equal((await lab.exec(lab.attacker, process.execPath, ["-e", script])).stdout.trim(), "200 true");
    const line = readFileSync(apache.accessLog, "utf8").trim();
    assert.match(line, new RegExp(`^${lab.attacker.address.replace(/\./g, "\\.")} - - \\[[^\\]]+\\] "GET / HTTP/1.1" 200 \\d+ "-" "curl/7.81.0"$`));
  } finally {
    await apache?.stop();
    await lab.destroy();
  }
});
