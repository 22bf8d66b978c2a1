// The use case end to end through the live pipeline: a listed address is added to the reputation list in Redis
// (`tld lists add`), an access log is shipped with `tld replay`, and tld.alerts carries rule 100100 (level 10,
// group attack) for the listed address and no 100100 for an unlisted one (whose 404 still raises 31101, which
// proves its lines were evaluated). The rule is the repository's etc/rules/local_rules.xml, as shipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { avroType } from "../lib/schemas.js";
import type { Alert } from "../lib/records.js";
import { accessLine, readTopicWithKcat, runTag, tempFile, tld, waitFor } from "./harness/tools.js";
import { wireValues } from "./harness/wire.js";

test("use case: a listed IP's request gives rule 100100 on tld.alerts; an unlisted IP's does not", async () => {
  const tag = runTag();
  const listed = `192.0.2.${tag}`;
  const unlisted = `198.51.100.${tag}`;
  const agent = `it-usecase-${tag}-${Date.now()}`;
  await tld("lists", "add", "blacklist-alienvault", listed);
  try {
    const lines = [accessLine(listed, 1), accessLine(unlisted, 2), accessLine(unlisted, 3, 404), accessLine(listed, 4, 404)];
    await tld("replay", tempFile("access.log", lines.join("\n") + "\n"), "--format", "apache", "--agent", agent, "--json");

    const alertType = avroType("Alert");
    const mine = await waitFor("alerts for both addresses", () => {
      const alerts = wireValues<Alert>(alertType, readTopicWithKcat("tld.alerts"))
        .map(({ record, value }) => ({ key: record.key, alert: value }))
        .filter(({ alert }) => alert.agent.name === agent);
      const seen = (ip: string) => alerts.some(({ alert }) => alert.fields.srcip === ip);
      return alerts.length >= 3 && seen(listed) && seen(unlisted) ? alerts : undefined;
    });
    const forListed = mine.filter(({ alert }) => alert.fields.srcip === listed).map(({ alert }) => alert);
    const forUnlisted = mine.filter(({ alert }) => alert.fields.srcip === unlisted).map(({ alert }) => alert);
    assert.equal(forListed.length, 2, "both of the listed address's requests (200 and 404) alert");
    for (const alert of forListed) {
      assert.equal(alert.rule.id, "100100");
      assert.equal(alert.rule.level, 10);
      assert.ok(alert.rule.groups.includes("attack"));
      assert.equal(alert.rule.description, "IP address found in AlienVault reputation database.");
      assert.equal(alert.decoder, "web-accesslog");
      assert.equal(alert.id, `${alert.eventId}:100100`);
    }
    assert.deepEqual(forUnlisted.map((a) => a.rule.id), ["31101"], "the unlisted address: only its 404, never 100100");
    for (const { key, alert } of mine) assert.equal(key, alert.agent.id, "alerts are keyed by agent id");
  } finally {
    await tld("lists", "remove", "blacklist-alienvault", listed).catch(() => undefined);
  }
});

test("re-importing the list changes live matching without a restart (the delay is printed)", async () => {
  const tag = runTag();
  const attacker = `203.0.113.${tag}`;
  const agent = `it-reimport-${tag}-${Date.now()}`;
  const alertType = avroType("Alert");
  const alertsFor = () =>
    wireValues<Alert>(alertType, readTopicWithKcat("tld.alerts"))
      .map(({ value }) => value)
      .filter((alert) => alert.agent.name === agent);
  const sentAt = new Map<number, number>();
  const send = (i: number) => sentAt.set(i, Date.now()) && tld("replay", tempFile("access.log", accessLine(attacker, i, 404) + "\n"), "--format", "apache", "--agent", agent, "--json");

  // Before: the attacker's 404 is evaluated (31101) and is not 100100.
  await send(0);
  await waitFor("the unlisted 404's alert", () => (alertsFor().some((a) => a.rule.id === "31101") ? true : undefined));
  assert.equal(alertsFor().filter((a) => a.rule.id === "100100").length, 0);

  // Re-import the list (a feed refresh) with the attacker in it; keep sending until the matcher sees it.
  await tld("lists", "import", tempFile("alienvault_reputation.ipset", `# refreshed feed\n198.18.0.0/22\n${attacker}\n`), "--name", "blacklist-alienvault", "--json");
  const importedAt = Date.now();
  try {
    let i = 1;
    await send(i++); // straight after the import: is it live already?
    const firstListedLine = await waitFor("100100 for the re-imported address", async () => {
      const hit = alertsFor().find((a) => a.rule.id === "100100");
      if (hit) return hit;
      await send(i++);
      return undefined;
    }, 60_000, 100);
    const line = Number(/GET \/page\/(\d+) /.exec(firstListedLine.fullLog)?.[1]);
    console.log(`# re-import → live matching: the first 100100 came from line ${line}, sent ${(sentAt.get(line) ?? NaN) - importedAt} ms after the import returned (no restart)`);
    assert.ok(line >= 1);
  } finally {
    await tld("lists", "remove", "blacklist-alienvault", attacker, "198.18.0.0/22").catch(() => undefined);
  }
});
