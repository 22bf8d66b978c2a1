import { test } from "node:test";
import assert from "node:assert/strict";
import { crowdsecSample, fail2banSummary, ourFigure, peerRows, steadiness, type PeerFigures } from "./peers.js";

// Shaped like crowdsec 1.4.6's /metrics during a replay (counters per source, per parser node, per bucket).
const EXPOSITION = `# HELP cs_filesource_hits_total Total lines that were read.
# TYPE cs_filesource_hits_total counter
cs_filesource_hits_total{source="/tmp/a.log"} 3401
cs_info{version="v1.4.6-6~deb12u1+b1-linux-debian"} 0
cs_node_hits_ko_total{name="child-crowdsecurity/http-logs",source="/tmp/a.log",type="file"} 3086
cs_node_hits_ok_total{name="child-crowdsecurity/apache2-logs",source="/tmp/a.log",type="file"} 3400
cs_node_hits_ok_total{name="crowdsecurity/apache2-logs",source="/tmp/a.log",type="file"} 3399
cs_node_hits_ok_total{name="crowdsecurity/http-logs",source="/tmp/a.log",type="file"} 3400
cs_parser_hits_ok_total{source="/tmp/a.log",type="file"} 3398
cs_parser_hits_ko_total{source="/tmp/a.log",type="file"} 2
cs_bucket_poured_total{name="crowdsecurity/http-probing",source="/tmp/a.log",type="file"} 700
cs_bucket_poured_total{name="crowdsecurity/http-crawl-non_statics",source="/tmp/a.log",type="file"} 2500
cs_parsing_time_seconds_sum{source="/tmp/a.log",type="file"} 2.33
`;

test("crowdsecSample sums read, parsed and poured counters and counts only the apache2-logs node itself", () => {
  assert.deepEqual(crowdsecSample(EXPOSITION), { read: 3401, parsedOk: 3398, parsedKo: 2, apacheOk: 3399, poured: 3200, parseSeconds: 2.33 });
});

test("crowdsecSample of an exposition without CrowdSec counters is all zeros (a no-op run shows as such)", () => {
  assert.deepEqual(crowdsecSample("# nothing\ngo_goroutines 12\n"), { read: 0, parsedOk: 0, parsedKo: 0, apacheOk: 0, poured: 0, parseSeconds: 0 });
});

test("fail2banSummary reads the line counts and fail2ban-regex's own time", () => {
  const out = "Results\n=======\n\nFailregex: 0 total\n\nLines: 10000 lines, 0 ignored, 3 matched, 9997 missed\n[processed in 0.16 sec]\n";
  assert.deepEqual(fail2banSummary(out), { read: 10000, matched: 3, processedSeconds: 0.16 });
  assert.throws(() => fail2banSummary("ERROR: No failure-regex is present"), /no "Lines:" summary/);
});

function peers(over: Partial<PeerFigures> = {}): PeerFigures {
  return {
    fail2ban_lines_per_s: 50_000,
    crowdsec_lines_per_s: 500,
    fail2ban_filter: "/etc/fail2ban/filter.d/apache-badbots.conf",
    fail2ban_version: "1.0.2-2",
    crowdsec_version: "1.4.6-6~deb12u1+b1",
    notes: [],
    log_lines: 1000,
    fail2ban_seconds: 0.02,
    crowdsec_seconds: 2,
    crowdsec_lines: 1000,
    crowdsec_complete: true,
    load_average_1m: 1,
    ...over,
  };
}

test("ourFigure prefers e2e_events_per_s and falls back to replay → decoded", () => {
  assert.deepEqual(ourFigure({ e2e_events_per_s: 60_000, replay_to_decoded_lines_per_s: 40_000 }), { key: "e2e_events_per_s", perSecond: 60_000 });
  assert.deepEqual(ourFigure({ replay_to_decoded_lines_per_s: 40_000 }), { key: "replay_to_decoded_lines_per_s", perSecond: 40_000 });
  assert.equal(ourFigure({ decode_only_lines_per_s: 1 }), null);
});

test("peerRows gives each peer's rate and the ratio of ours to it, saying which figure of ours it used", () => {
  const rows = peerRows(peers(), { key: "replay_to_decoded_lines_per_s", perSecond: 100_000 });
  const ratio = rows.filter((r) => r[0].includes("ratio"));
  assert.deepEqual(ratio.map((r) => r[1]), ["2.00", "200.00"]);
  assert.match(ratio[0][2], /e2e_events_per_s not in this run yet/);
  assert.match(rows[0][1], /50,000 lines\/s/);
});

test("peerRows shows a peer that could not run as not measured, with the reason, and no ratio", () => {
  const rows = peerRows(peers({ crowdsec_lines_per_s: null, notes: ["crowdsec not measured: its local API did not come up"] }), { key: "e2e_events_per_s", perSecond: 1 });
  const crowdsec = rows.find((r) => r[0].startsWith("crowdsec"));
  assert.deepEqual(crowdsec, ["crowdsec replay, apache2 collections", "not measured", "its local API did not come up"]);
  assert.equal(rows.filter((r) => r[0].includes("ratio")).length, 1);
});

test("peerRows marks a CrowdSec run the budget cut short", () => {
  const rows = peerRows(peers({ crowdsec_complete: false, crowdsec_lines: 400, log_lines: 1000 }), null);
  assert.match(rows.find((r) => r[0].startsWith("crowdsec"))![2], /400 of 1,000 lines/);
});

test("steadiness compares the rate over the first half of the run with the second", () => {
  // started at 0 ms; 1000 lines by 5 s, 1500 by 10 s: 200 lines/s, then 100 lines/s
  const progress = [1000, 2500, 5000, 7500, 10_000].map((at, i) => ({ at, taken: [100, 400, 1000, 1250, 1500][i] }));
  assert.equal(steadiness(progress, 0), "crowdsec: 200 lines/s over the first half of the run (start-up included), 100 lines/s over the second");
  assert.match(steadiness(progress.slice(0, 2), 0), /too few/);
});
