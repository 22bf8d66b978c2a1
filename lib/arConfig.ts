// The `activeResponse:` section of the manager configuration: Wazuh's <command> and <active-response> blocks
// and its <white_list>, as YAML. Part of the one config schema (lib/config.ts); validated here so every bad key
// is named on its own, with a message that says what to write instead.
//
//   activeResponse:
//     commands:            # Wazuh's <command>; firewall-drop and netsh are built in
//       - { name: notify-soc, program: notify-soc, timeoutAllowed: false }
//     responses:           # Wazuh's <active-response>, one entry each
//       - { command: firewall-drop, location: local, rulesId: [100100], timeout: 60, repeatedOffenders: [600, 3600] }
//     allowList: [10.0.0.0/8]
//
// Units: every duration here is in SECONDS, repeatedOffenders included (Wazuh's repeated_offenders are minutes;
// a list that is not longer than timeout is refused, which catches minutes written by habit).
import { z } from "zod";
import { parseNetwork } from "./ip.js";

/** Longest block the manager issues: a year (ttlSeconds is an Avro int; a block longer than this is a mistake). */
export const MAX_BLOCK_SECONDS = 365 * 24 * 3600;

/** Names of commands and programs: what the agent runs is a name it knows, never a path or a shell word. */
const PROGRAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AGENT_ID = /^\d{3,12}$/;
const RULE_ID = /^\d{1,9}$/;
const GROUP_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** Wazuh writes lists as "100100,100101" or "attack|web"; YAML users write lists. Both are accepted. */
const listOf = (item: z.ZodString, separators: RegExp) =>
  z.preprocess((value) => {
    const asText = (v: unknown) => (typeof v === "number" ? String(v) : v);
    if (typeof value === "string") return value.split(separators).map((s) => s.trim()).filter(Boolean);
    if (typeof value === "number") return [String(value)];
    return Array.isArray(value) ? value.map(asText) : value;
  }, z.array(item));

export const arCommandSchema = z
  .object({
    name: z.string().regex(PROGRAM_NAME, "a command name holds letters, digits, . _ - (at most 64)").describe("how responses refer to the command (Wazuh's <name>)"),
    program: z
      .string()
      .regex(PROGRAM_NAME, "a program is a name the agent knows (firewall-drop, netsh, or one of its configured programs), never a path")
      .optional()
      .describe("what the agent runs, carried in each command (Wazuh's <executable>); default: the name"),
    timeoutAllowed: z
      .boolean()
      .default(true)
      .describe("the program can undo what it did, so its responses have a timeout (Wazuh's <timeout_allowed>); false: a one-shot command, no block kept"),
    os: z
      .array(z.string().regex(/^[a-z0-9_-]{1,32}$/, "an OS as agents report it (node platform names, win32 as windows): linux, windows, darwin, ..."))
      .default([])
      .describe("agent operating systems the program runs on; empty: any. An agent gets the first matching response whose command suits its OS"),
  })
  .strict();

/** Built in, like Wazuh's stock commands; a user command of the same name replaces one. */
export const STOCK_AR_COMMANDS: readonly z.input<typeof arCommandSchema>[] = [
  { name: "firewall-drop", program: "firewall-drop", timeoutAllowed: true, os: ["linux", "darwin", "freebsd", "openbsd", "netbsd", "sunos", "aix", "android"] },
  { name: "netsh", program: "netsh", timeoutAllowed: true, os: ["windows"] },
];

const LOCATIONS = ["local", "all", "defined-agent"] as const;

export const arResponseSchema = z
  .object({
    command: z.string().min(1).describe("a command's name (Wazuh's <command>)"),
    location: z
      .enum(LOCATIONS, {
        error: (issue) =>
          issue.input === "server"
            ? "location server is not supported: the manager runs no firewall itself; use defined-agent with the agent id of the manager's host"
            : `location must be one of ${LOCATIONS.join(", ")}`,
      })
      .describe("local: the agent that saw the event; all: every enrolled agent; defined-agent: the agents in agentIds"),
    agentIds: listOf(z.string().regex(AGENT_ID, "an agent id is 3-12 digits, e.g. 001"), /[,\s]+/)
      .default([])
      .describe("with location defined-agent: the agents to run on (Wazuh's <agent_id>)"),
    rulesId: listOf(z.string().regex(RULE_ID, "a rule id is a number, e.g. 100100"), /[,\s]+/)
      .default([])
      .describe("alerts of these rules trigger the response (Wazuh's <rules_id>)"),
    rulesGroup: listOf(z.string().regex(GROUP_NAME, "a group name holds letters, digits, . _ -"), /[,|\s]+/)
      .default([])
      .describe("alerts of a rule in any of these groups trigger it (Wazuh's <rules_group>)"),
    level: z.number().int().min(0).max(16).optional().describe("alerts of this level or higher trigger it (Wazuh's <level>)"),
    timeout: z.number().int().min(1).max(MAX_BLOCK_SECONDS).optional().describe("seconds a block lasts (Wazuh's <timeout>); required when the command allows a timeout"),
    repeatedOffenders: z
      .array(z.number().int().min(1).max(MAX_BLOCK_SECONDS))
      .max(5)
      .default([])
      .describe("SECONDS (not Wazuh's minutes): the 2nd, 3rd, ... block of the same IP on the same agent lasts this long; each longer than the one before"),
    disabled: z.boolean().default(false),
  })
  .strict();

export const activeResponseSchema = z
  .object({
    disabled: z.boolean().default(false).describe("no response at all (Wazuh's <disabled>); manual blocks still work"),
    commands: z.array(arCommandSchema).default([]).describe("commands beside the built-in firewall-drop and netsh (Wazuh's <command>)"),
    responses: z.array(arResponseSchema).default([]).describe("alert -> command bindings (Wazuh's <active-response>); none by default: nothing is blocked until configured"),
    allowList: z
      .array(z.string().refine((s) => parseNetwork(s) !== null, "not an IP address or CIDR network"))
      .default([])
      .describe("addresses and CIDR networks never blocked (Wazuh's <white_list>); loopback and the manager's own addresses always are (TLD_AR_ALLOW_LIST)"),
    managerAddresses: z
      .array(z.string().refine((s) => parseNetwork(s) !== null, "not an IP address or CIDR network"))
      .default([])
      .describe("the manager's own addresses its interfaces do not show (a public address behind NAT); never blocked (TLD_AR_MANAGER_ADDRESSES)"),
    offenderMemorySeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_BLOCK_SECONDS)
      .default(24 * 3600)
      .describe("how long an IP's earlier blocks on an agent count towards repeatedOffenders"),
    statelessDeliverySeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(600)
      .describe("a one-shot command (timeoutAllowed: false) still reaches an agent that reconnects within this long"),
  })
  .strict()
  .superRefine((section, ctx) => {
    const commands = new Map<string, z.infer<typeof arCommandSchema>>();
    for (const stock of STOCK_AR_COMMANDS) commands.set(stock.name, arCommandSchema.parse(stock));
    const seen = new Set<string>();
    section.commands.forEach((command, i) => {
      if (seen.has(command.name)) ctx.addIssue({ code: "custom", path: ["commands", i, "name"], message: `command ${command.name} is defined twice` });
      seen.add(command.name);
      commands.set(command.name, command);
    });
    section.responses.forEach((response, i) => {
      const at = (key: string) => ["responses", i, key];
      const command = commands.get(response.command);
      if (!command) {
        ctx.addIssue({ code: "custom", path: at("command"), message: `no command named ${response.command}; known: ${[...commands.keys()].join(", ")}` });
      } else if (command.timeoutAllowed && response.timeout === undefined) {
        ctx.addIssue({ code: "custom", path: at("timeout"), message: `command ${command.name} blocks until a timeout: give the block's length in seconds, e.g. timeout: 60` });
      } else if (!command.timeoutAllowed && (response.timeout !== undefined || response.repeatedOffenders.length > 0)) {
        ctx.addIssue({ code: "custom", path: at(response.timeout !== undefined ? "timeout" : "repeatedOffenders"), message: `command ${command.name} has timeoutAllowed: false (one-shot), so it takes no timeout` });
      }
      if (response.location === "defined-agent" && response.agentIds.length === 0) {
        ctx.addIssue({ code: "custom", path: at("agentIds"), message: "location defined-agent needs the agents' ids, e.g. agentIds: [\"001\"]" });
      }
      if (response.location !== "defined-agent" && response.agentIds.length > 0) {
        ctx.addIssue({ code: "custom", path: at("agentIds"), message: `agentIds only apply to location defined-agent (this response is ${response.location})` });
      }
      if (response.rulesId.length === 0 && response.rulesGroup.length === 0 && response.level === undefined) {
        ctx.addIssue({ code: "custom", path: at("rulesId"), message: "a response needs a trigger: rulesId, rulesGroup or level (any of them fires it)" });
      }
      let previous = response.timeout ?? 0;
      for (const seconds of response.repeatedOffenders) {
        if (seconds <= previous) {
          ctx.addIssue({
            code: "custom",
            path: at("repeatedOffenders"),
            message: `each repeated-offender timeout must be longer than the one before and than timeout (${response.timeout ?? "-"} s); they are seconds, not Wazuh's minutes`,
          });
          break;
        }
        previous = seconds;
      }
    });
  })
  .transform((section) => {
    // Consumers see the effective command set: the stock ones, replaced by user commands of the same name.
    const commands = new Map<string, ArCommand>();
    for (const command of [...STOCK_AR_COMMANDS.map((c) => arCommandSchema.parse(c)), ...section.commands]) {
      commands.set(command.name, { ...command, program: command.program ?? command.name });
    }
    return { ...section, commands: [...commands.values()] };
  });

export type ArCommand = Omit<z.infer<typeof arCommandSchema>, "program"> & { program: string };
export type ArResponse = z.infer<typeof arResponseSchema>;
export type ActiveResponseConfig = z.infer<typeof activeResponseSchema>;
