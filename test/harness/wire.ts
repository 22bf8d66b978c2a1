// Reading values off a topic as the pipeline's consumers do: in the wire format, skipping what is not a value of
// the topic's schema (the consumers dead-letter it). The shared topics do hold such poison: test/dlq.test.ts and
// test/hostile/poison.test.ts put it there on purpose, while other tests read the same topics.
import type avro from "avsc";
import { MAGIC_BYTE } from "../../lib/serde.js";
import type { KcatRecord } from "./tools.js";

export function wireValues<T>(type: avro.Type, records: readonly KcatRecord[]): { record: KcatRecord; value: T }[] {
  const out: { record: KcatRecord; value: T }[] = [];
  for (const record of records) {
    if (record.value.length < 5 || record.value[0] !== MAGIC_BYTE) continue;
    try {
      out.push({ record, value: type.fromBuffer(record.value.subarray(5)) as T });
    } catch {
      // not one of ours: poison
    }
  }
  return out;
}
