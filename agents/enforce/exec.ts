// How enforcers run firewall tools: a program and an argument array (optionally a script on stdin), never a
// shell, so nothing in an argument can be read as a command. The tool is looked up on PATH and, because a
// service's PATH often lacks them, in the sbin folders where Debian and others install firewall tools.
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the program's stdin (nft -f -). */
  input?: string;
  timeoutMs?: number;
}

/** Runs one program; resolves with its exit code and output, rejects only when it could not run at all. */
export type RunProgram = (tool: string, args: readonly string[], options?: RunOptions) => Promise<ProgramResult>;

/** The tool is not installed (or not executable): the firewall cannot be driven at all. */
export class ToolMissing extends Error {
  constructor(readonly tool: string) {
    super(`${tool} not found`);
    this.name = "ToolMissing";
  }
}

const SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"];
const MAX_OUTPUT = 4 * 1024 * 1024; // `nft -j list ruleset` of a big ruleset stays far below this
const found = new Map<string, string>();

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of a tool, or null. On Windows the bare name is left to the system's own search. */
export function locateTool(tool: string, envPath = process.env.PATH ?? "", platform = process.platform): string | null {
  if (platform === "win32") return tool;
  const cached = found.get(tool);
  if (cached) return cached;
  for (const dir of [...envPath.split(path.delimiter).filter(Boolean), ...SBIN]) {
    const candidate = path.join(dir, tool);
    if (isExecutable(candidate)) {
      found.set(tool, candidate);
      return candidate;
    }
  }
  return null;
}

export const runProgram: RunProgram = (tool, args, options = {}) =>
  new Promise((resolve, reject) => {
    const file = locateTool(tool);
    if (!file) return reject(new ToolMissing(tool));
    const child = spawn(file, args, { shell: false, windowsHide: true, stdio: ["pipe", "pipe", "pipe"], timeout: options.timeoutMs ?? 15_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.on("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" || err.code === "EACCES" ? new ToolMissing(tool) : err));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}killed by ${signal}`.trim() : stderr }));
    child.stdin.on("error", () => {}); // a tool that exits before reading its stdin: its exit code tells
    child.stdin.end(options.input ?? "");
  });
