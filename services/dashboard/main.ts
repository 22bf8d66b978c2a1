// dashboard: tld.alerts → the alert store, API and web UI. Wiring only. Until the alert store lands, the
// stage consumes alerts and serves its health and metrics on the dashboard port.
import { runStage } from "../../lib/stage.js";
import { TOPICS } from "../../lib/topics.js";
import type { Alert } from "../../lib/records.js";

await runStage<Alert>({
  name: "dashboard",
  input: TOPICS.alerts,
  outputs: [],
  makeHandler: () => () => [],
});
