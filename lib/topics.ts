// The pipeline's topics and the schema each carries (schemas/<name>.avsc); subjects are `<topic>-value`.
export const TOPICS = {
  raw: "tld.events.raw",
  decoded: "tld.events.decoded",
  alerts: "tld.alerts",
  commands: "tld.ar.commands",
  dlq: "tld.dlq",
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Which record schema (file stem under schemas/) each topic's values use. */
export const TOPIC_SCHEMAS: Record<TopicName, string> = {
  [TOPICS.raw]: "RawEvent",
  [TOPICS.decoded]: "DecodedEvent",
  [TOPICS.alerts]: "Alert",
  [TOPICS.commands]: "ActiveResponseCommand",
  [TOPICS.dlq]: "DeadLetter",
};

export const subjectOf = (topic: string): string => `${topic}-value`;
