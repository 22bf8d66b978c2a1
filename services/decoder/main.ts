// decoder: tld.events.raw → tld.events.decoded. Wiring only; the logic is in decode.ts.
import { loadConfig } from "../../lib/config.js";
import { rulesetPaths } from "../../lib/manager.js";
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { DecodedEvent, RawEvent } from "../../lib/records.js";
import type { TopicSerde } from "../../lib/serde.js";
import { decodedKey, decodeEvent, loadDecoderEngine } from "./decode.js";

// Decoders are loaded before the service starts: a broken decoder file stops it here with file and line, rather
// than leaving a running service that decodes nothing.
const paths = rulesetPaths(loadConfig());
let engine: ReturnType<typeof loadDecoderEngine>;
try {
  engine = loadDecoderEngine(paths);
} catch (err) {
  process.stderr.write(`decoder: cannot load the decoders: ${(err as Error).message}\n`);
  process.exit(1);
}

const ctx = await runStage<RawEvent>({
  name: "decoder",
  input: TOPICS.raw,
  outputs: [TOPICS.decoded],
  makeHandler: (_ctx, serdes) => {
    const out = serdes.get(TOPICS.decoded) as TopicSerde<DecodedEvent>;
    return (raw) => {
      const decoded = decodeEvent(engine, raw);
      return [{ topic: TOPICS.decoded, key: decodedKey(decoded), value: out.encode(decoded) }];
    };
  },
});
for (const warning of paths.warnings) ctx.log.info(warning);
ctx.log.info({ decoderDirs: paths.decoderDirs }, "decoders loaded");
