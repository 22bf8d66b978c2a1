// For unit tests: a RunProgram that records every call (tool, arguments, stdin) and answers from a script, so an
// enforcer's exact command lines can be checked without a firewall (and Windows' netsh without Windows).
import { ToolMissing, type ProgramResult, type RunOptions, type RunProgram } from "./exec.js";

export interface RecordedCall {
  tool: string;
  args: string[];
  input?: string;
}

export type Answer = Partial<ProgramResult> | "missing";

export class RecordingRunner {
  readonly calls: RecordedCall[] = [];

  /** answer(call) decides each result; the default is success with no output. */
  constructor(private readonly answer: (call: RecordedCall) => Answer | undefined = () => undefined) {}

  readonly run: RunProgram = async (tool: string, args: readonly string[], options: RunOptions = {}) => {
    const call: RecordedCall = { tool, args: [...args], ...(options.input !== undefined ? { input: options.input } : {}) };
    this.calls.push(call);
    const answer = this.answer(call);
    if (answer === "missing") throw new ToolMissing(tool);
    return { code: 0, stdout: "", stderr: "", ...answer };
  };

  /** Each call as one line ("iptables -w 5 -C INPUT ..."), easy to compare. */
  lines(): string[] {
    return this.calls.map((c) => [c.tool, ...c.args].join(" "));
  }
}
