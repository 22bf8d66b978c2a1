// The most events per second this design can take on a machine, from figures the bench measures: every line
// crosses three Kafka hops (tld.events.raw, tld.events.decoded and, for the share that alerts, tld.alerts read by
// the responder and the dashboard), is parsed, goes through the rules, and each alert is indexed. Each part is
// taken at its cheapest (big batches, one core each, nothing else running), so the sum is a floor on the CPU one
// line costs and the ceiling is one nothing built this way can pass, however well it is paced or tuned.

export interface KafkaRecordCost {
  /** Client CPU to produce one record, µs. */
  produceUs: number;
  /** Client CPU to consume one record, µs. */
  consumeUs: number;
  /** Broker CPU per record produced, µs. */
  brokerProduceUs: number;
  /** Broker CPU per record fetched, µs. */
  brokerConsumeUs: number;
}

export interface CeilingInputs {
  cores: number;
  /** Alerts per log line in the end-to-end run. */
  alertsPerLine: number;
  /** Consumer groups reading tld.alerts (responder, dashboard). */
  alertReaders: number;
  kafka: KafkaRecordCost;
  /** Parse + Avro encode, one line, µs (1e6 / decode-only lines/s). */
  decodeUs: number;
  /** Rules with a list lookup, one line, µs (1e6 / rule-engine lines/s). */
  rulesUs: number;
  /** Indexing one alert into the alert store, µs of wall time for one writer (PostgreSQL's own CPU not counted). */
  indexUs: number;
}

export interface Ceiling {
  /** µs of CPU per log line, by part. */
  parts: Record<"raw_hop" | "decoded_hop" | "alerts_hop" | "decode" | "rules" | "alert_index", number>;
  floorUsPerLine: number;
  eventsPerSecond: number;
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** A hop that `readers` consumer groups read: produced once, fetched and consumed once per reader. */
function hopUs(kafka: KafkaRecordCost, readers: number): number {
  return kafka.produceUs + kafka.brokerProduceUs + readers * (kafka.consumeUs + kafka.brokerConsumeUs);
}

export function designCeiling(inputs: CeilingInputs): Ceiling {
  const parts = {
    raw_hop: round(hopUs(inputs.kafka, 1)),
    decoded_hop: round(hopUs(inputs.kafka, 1)),
    alerts_hop: round(inputs.alertsPerLine * hopUs(inputs.kafka, inputs.alertReaders)),
    decode: round(inputs.decodeUs),
    rules: round(inputs.rulesUs),
    alert_index: round(inputs.alertsPerLine * inputs.indexUs),
  };
  const floorUsPerLine = round(Object.values(parts).reduce((a, b) => a + b, 0));
  return { parts, floorUsPerLine, eventsPerSecond: Math.round((inputs.cores * 1e6) / floorUsPerLine) };
}

/** The same ceiling if some parts cost nothing: what lifting those limits could give at most. */
export function ceilingWithout(ceiling: Ceiling, cores: number, parts: readonly (keyof Ceiling["parts"])[]): number {
  const lifted = parts.reduce((sum, part) => sum + ceiling.parts[part], 0);
  return Math.round((cores * 1e6) / (ceiling.floorUsPerLine - lifted));
}
