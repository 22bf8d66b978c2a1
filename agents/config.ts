// The agent's YAML configuration, with the names Wazuh users know (manager, localfile, location, log_format,
// only_future_events, notify_time). Validated whole: every bad key is reported at once, by its path.
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { ENFORCER_CHOICES } from "./enforce/registry.js";

export const AGENT_LOG_FORMATS = ["apache", "nginx", "syslog", "json"] as const;

/** The path flavour of the machine the agent runs on; tests pass path.win32 to check Windows rules here. */
export type PathApi = typeof path.posix;

const localfileSchema = z
  .object({
    location: z.string().min(1).describe("a file path or a glob (C:\\Apache24\\logs\\*.log on Windows)"),
    log_format: z.enum(AGENT_LOG_FORMATS),
    only_future_events: z.boolean().optional().describe("on a file's first sight read only lines written from now on (default: the top-level setting)"),
  })
  .strict();

/** Wazuh's agent-side <active-response> block: whether the agent takes commands, and which firewall it drives. */
const activeResponseSchema = z
  .object({
    disabled: z.boolean().default(false).describe("true: the agent receives no block commands (no push channel)"),
    enforcer: z
      .enum(ENFORCER_CHOICES)
      .default("auto")
      .describe("auto = netsh on Windows, nftables where `nft` works, else iptables; or nftables, iptables, ipset, netsh"),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    manager: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), "manager must be an http:// or https:// URL")
      .describe("the collector's base URL, e.g. https://manager.example:1514"),
    name: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "name may hold 1-128 letters, digits, . _ -"),
    state_dir: z.string().min(1).describe("where the key, offsets and the disk buffer live"),
    groups: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "group names may hold letters, digits, . _ -")).default([]),
    ca_file: z.string().min(1).optional().describe("PEM CA the manager's certificate must chain to (HTTPS)"),
    only_future_events: z.boolean().default(true),
    notify_time: z.number().int().min(1).max(3600).default(10).describe("seconds between keepalives"),
    batch_max_lines: z.number().int().min(1).max(10_000).default(5000).describe("a backlog goes out in batches this big: one batch is in flight at a time, so size sets catch-up speed"),
    batch_max_bytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(1024 * 1024).describe("stays under the collector's 5 MB body limit"),
    batch_max_delay_ms: z.number().int().min(1).max(10_000).default(100),
    max_line_bytes: z.number().int().min(64).max(64 * 1024).default(64 * 1024).describe("longer lines are cut (the collector's limit)"),
    buffer_max_mb: z.number().min(1).max(100_000).default(100).describe("disk buffer while the manager is unreachable"),
    poll_interval_ms: z.number().int().min(10).max(60_000).default(250).describe("polling fallback beside file-system events"),
    localfile: z.array(localfileSchema).min(1, "at least one localfile entry is needed"),
    active_response: activeResponseSchema.default({ disabled: false, enforcer: "auto" }),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type LocalfileConfig = AgentConfig["localfile"][number];

export class AgentConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`invalid agent configuration ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "AgentConfigError";
  }
}

/** Validates a parsed YAML document; relative state_dir and ca_file are taken from the config file's folder. */
export function parseAgentConfig(raw: unknown, file: string, pathApi: PathApi = path): AgentConfig {
  const result = agentConfigSchema.safeParse(raw ?? {});
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = [...issue.path, ...("keys" in issue ? issue.keys : [])].join(".") || "(top level)";
      problems.push(`${key}: ${issue.message}`);
    }
    throw new AgentConfigError(file, problems);
  }
  const config = result.data;
  config.localfile.forEach((entry, i) => {
    if (!pathApi.isAbsolute(entry.location)) problems.push(`localfile.${i}.location: must be an absolute path, got "${entry.location}"`);
  });
  if (problems.length > 0) throw new AgentConfigError(file, problems);
  const base = pathApi.dirname(pathApi.resolve(file));
  config.state_dir = pathApi.resolve(base, config.state_dir);
  if (config.ca_file) config.ca_file = pathApi.resolve(base, config.ca_file);
  config.localfile = config.localfile.map((entry) => ({ ...entry, location: pathApi.normalize(entry.location) }));
  return config;
}

export function loadAgentConfig(file: string): AgentConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AgentConfigError(file, [(err as NodeJS.ErrnoException).code === "ENOENT" ? "file does not exist" : (err as Error).message]);
  }
  if (raw !== null && raw !== undefined && (typeof raw !== "object" || Array.isArray(raw))) throw new AgentConfigError(file, ["top level must be a mapping"]);
  return parseAgentConfig(raw, file);
}
