// decoder: tld.events.raw → tld.events.decoded. Wiring only; the logic is in decode.ts.
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { decodedKey, decodeEvent } from "./decode.js";

await runStage<RawEvent>({
  name: "decoder",
  input: TOPICS.raw,
  outputs: [TOPICS.decoded],
  makeHandler: (_ctx, serdes) => {
    const out = serdes.get(TOPICS.decoded) as TopicSerde<DecodedEvent>;
    return (raw) => {
      const decoded = decodeEvent(raw);
      return [{ topic: TOPICS.decoded, key: decodedKey(decoded), value: out.encode(decoded) }];
    };
  },
});
