// Preload that CPU-profiles a whole Node process (node:inspector's Profiler) and writes
// $TLD_PROFILE_DIR/<service>-<pid>.cpuprofile when it exits. `node --cpu-prof` cannot go into NODE_OPTIONS, this can:
//   tld down --only services
//   TLD_PROFILE_DIR=/tmp/prof NODE_OPTIONS=--import=$PWD/scripts/cpu-profile.mjs npx tld up --only services
//   ... run the load (e.g. tld replay), then: tld down --only services
//   node scripts/profile-summary.mjs /tmp/prof/matcher-*.cpuprofile
import { Session } from "node:inspector";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.TLD_PROFILE_DIR ?? "profiles";
const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 500 }); // µs
session.post("Profiler.start");
process.on("exit", () => {
  // The inspector answers a session of the same thread synchronously, so this runs before the process ends.
  session.post("Profiler.stop", (err, result) => {
    if (err) return;
    mkdirSync(dir, { recursive: true });
    const name = path.basename(path.dirname(process.argv[1] ?? "node"));
    writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
