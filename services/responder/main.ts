// responder: tld.alerts → tld.ar.commands. Wiring only. Until active response lands, the stage consumes
// alerts and issues no command.
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { Alert } from "../../lib/records.js";

await runStage<Alert>({
  name: "responder",
  input: TOPICS.alerts,
  outputs: [TOPICS.commands],
  makeHandler: () => () => [],
});
