// A small network of our own, made with network namespaces, for the use case and its tests: an attacker host and
// a victim host joined by a veth link, and a management link from the victim to this (root) namespace, where the
// manager runs. The agent runs inside the victim, so the block it installs is in the victim's own kernel
// ruleset, as on a real server; the attacker's traffic reaches the victim only over the attack link.
//
//   attacker (<name>-atk)  <-- attack link 10.X.Y.0/24 -->  victim (<name>-vic)  <-- mgmt link 10.X.Y+1.0/30 -->  root
//
// Every command is `ip ...` with an argument array; nothing goes through a shell. destroy() removes the namespaces,
// which removes their veth ends and, with them, the peers in the root namespace.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomInt } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LabHost {
  /** Network namespace name. */
  readonly netns: string;
  /** This host's address on the attack link. */
  readonly address: string;
}

export interface Lab {
  readonly attacker: LabHost;
  readonly victim: LabHost;
  /** The root namespace's end of the management link: where the victim reaches the manager. */
  readonly managerAddress: string;
  /** The victim's end of the management link. */
  readonly victimMgmtAddress: string;
  /** Extra attacker source addresses (all on the attacker's link, for several attackers at once). */
  readonly extraAttackerAddresses: readonly string[];
  /** Runs a program inside a namespace and returns its output; rejects on a non-zero exit. */
  exec(host: LabHost, program: string, args: readonly string[], options?: { timeoutMs?: number; input?: string }): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running program inside a namespace. */
  spawn(host: LabHost, program: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  destroy(): Promise<void>;
}

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

async function ip(args: string[]): Promise<void> {
  try {
    await run("ip", args, { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new LabError(`ip ${args.join(" ")}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Why namespaces cannot be made here (not root, no `ip`, a sandbox that forbids them), or null when they can. */
export async function labUnavailable(): Promise<string | null> {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root (run as root, e.g. with sudo)";
  const probe = `tldprobe${process.pid}`;
  try {
    await ip(["netns", "add", probe]);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`;
  }
  await ip(["netns", "del", probe]).catch(() => undefined);
  return null;
}

export interface LabOptions {
  /** Short name, used in namespace and interface names (at most 8 letters/digits). */
  name?: string;
  /** How many extra attacker addresses to put on the attacker's link (besides its main address). */
  extraAttackers?: number;
}

export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const name = options.name ?? `tld${randomInt(1000, 9999)}`;
  if (!/^[a-z0-9]{1,8}$/.test(name)) throw new LabError(`lab name must be 1-8 lowercase letters or digits, got "${name}"`);
  // A /24 of 10.0.0.0/8 picked at random (and the /30 after it), so two labs at once do not collide.
  const a = randomInt(100, 250);
  const b = randomInt(0, 127) * 2;
  const attackNet = `10.${a}.${b}`;
  const mgmtNet = `10.${a}.${b + 1}`;
  const attacker: LabHost = { netns: `${name}-atk`, address: `${attackNet}.1` };
  const victim: LabHost = { netns: `${name}-vic`, address: `${attackNet}.2` };
  const extra = Array.from({ length: options.extraAttackers ?? 0 }, (_, i) => `${attackNet}.${10 + i}`);
  if (extra.length > 200) throw new LabError("at most 200 extra attackers");
  const managerAddress = `${mgmtNet}.1`;
  const victimMgmtAddress = `${mgmtNet}.2`;
  const made: string[] = [];
  const destroy = async () => {
    for (const netns of made.reverse()) await ip(["netns", "del", netns]).catch(() => undefined);
    await ip(["link", "del", `${name}m0`]).catch(() => undefined); // gone with its peer already, normally
  };
  try {
    for (const host of [attacker, victim]) {
      await ip(["netns", "add", host.netns]);
      made.push(host.netns);
      await ip(["-n", host.netns, "link", "set", "lo", "up"]);
    }
    // Attack link.
    await ip(["link", "add", `${name}a0`, "netns", attacker.netns, "type", "veth", "peer", "name", `${name}v0`, "netns", victim.netns]);
    await ip(["-n", attacker.netns, "addr", "add", `${attacker.address}/24`, "dev", `${name}a0`]);
    for (const address of extra) await ip(["-n", attacker.netns, "addr", "add", `${address}/24`, "dev", `${name}a0`]);
    await ip(["-n", victim.netns, "addr", "add", `${victim.address}/24`, "dev", `${name}v0`]);
    await ip(["-n", attacker.netns, "link", "set", `${name}a0`, "up"]);
    await ip(["-n", victim.netns, "link", "set", `${name}v0`, "up"]);
    // Management link: the victim's end in its namespace, ours here.
    await ip(["link", "add", `${name}m0`, "type", "veth", "peer", "name", `${name}m1`, "netns", victim.netns]);
    await ip(["addr", "add", `${managerAddress}/30`, "dev", `${name}m0`]);
    await ip(["link", "set", `${name}m0`, "up"]);
    await ip(["-n", victim.netns, "addr", "add", `${victimMgmtAddress}/30`, "dev", `${name}m1`]);
    await ip(["-n", victim.netns, "link", "set", `${name}m1`, "up"]);
  } catch (err) {
    await destroy();
    throw err;
  }
  const netnsArgs = (host: LabHost, program: string, args: readonly string[]) => ["netns", "exec", host.netns, program, ...args];
  return {
    attacker,
    victim,
    managerAddress,
    victimMgmtAddress,
    extraAttackerAddresses: extra,
    async exec(host, program, args, execOptions = {}) {
      const child = execFile("ip", netnsArgs(host, program, args), { timeout: execOptions.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 });
      if (execOptions.input !== undefined) child.stdin?.end(execOptions.input);
      return new Promise((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code, signal) => {
          if (code === 0) resolve({ stdout, stderr });
          else reject(new LabError(`${program} ${args.join(" ")} in ${host.netns}: ${signal ? `killed by ${signal}` : `exit ${code}`}: ${stderr.trim()}`));
        });
      });
    },
    spawn(host, program, args, spawnOptions = {}) {
      return spawn("ip", netnsArgs(host, program, args), spawnOptions);
    },
    destroy,
  };
}
