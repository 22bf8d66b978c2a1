// TypeScript shapes of the Avro records in schemas/ (kept beside the .avsc files by a unit test).
export interface AgentRef {
  id: string;
  name: string;
  ip: string | null;
  os: string | null;
}

export interface RawEvent {
  id: string;
  agent: AgentRef;
  location: string;
  logFormat: string;
  message: string;
  collectedAt: number;
  receivedAt: number;
}

export interface DecodedEvent extends RawEvent {
  decodedAt: number;
  decoder: string | null;
  parentDecoder: string | null;
  srcip: string | null;
  fields: Record<string, string>;
  /** The decoder's type (Wazuh's <type>), what root rules' <category> compares; null = syslog. */
  category: string | null;
}

export interface RuleRef {
  id: string;
  level: number;
  description: string;
  groups: string[];
  firedtimes: number;
}

export interface Alert {
  id: string;
  timestamp: number;
  rule: RuleRef;
  agent: AgentRef;
  decoder: string | null;
  fields: Record<string, string>;
  fullLog: string;
  location: string;
  eventId: string;
}

export interface ActiveResponseCommand {
  id: string;
  agentId: string;
  action: "add" | "delete";
  program: string;
  ip: string;
  ttlSeconds: number;
  expiresAt: number;
  alertId: string | null;
  ruleId: string | null;
  createdAt: number;
}

export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  key: Buffer | null;
  value: Buffer | null;
  error: string;
  stage: string;
  failedAt: number;
}
