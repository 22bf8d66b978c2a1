// matcher: tld.events.decoded → tld.alerts. Wiring only. Until the rule engine lands (issue: ruleset),
// the stage consumes and acknowledges events and raises no alert.
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { DecodedEvent } from "../../lib/records.js";

await runStage<DecodedEvent>({
  name: "matcher",
  input: TOPICS.decoded,
  outputs: [TOPICS.alerts],
  makeHandler: () => () => [],
});
