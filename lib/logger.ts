// pino JSON logs for every process, tagged with the service name; secrets are redacted by path.
import pino, { type Logger } from "pino";

export type { Logger };

const REDACT = [
  "key", "agentKey", "password", "token", "authorization",
  "*.key", "*.agentKey", "*.password", "*.token", "*.authorization",
  "headers.authorization", "req.headers.authorization",
  "adminPassword", "apiToken", "*.adminPassword", "*.apiToken", "headers.cookie", "req.headers.cookie",
];

export function createLogger(service: string, level = process.env.TLD_LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: "[redacted]" },
  });
}
