import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ConfigError, loadConfig, PACKAGE_ROOT } from "./config.js";

const fixture = (name: string) => path.join(PACKAGE_ROOT, "test", "fixtures", "config", name);
const problemsOf = (file: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    loadConfig({ env, file });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test("the default blocks nothing: no response until one is configured; firewall-drop and netsh are built in", () => {
  const { activeResponse } = loadConfig({ env: {}, file: fixture("valid.yaml") });
  assert.deepEqual(activeResponse.responses, []);
  assert.deepEqual(activeResponse.commands.map((c) => [c.name, c.program, c.timeoutAllowed]), [["firewall-drop", "firewall-drop", true], ["netsh", "netsh", true]]);
  assert.deepEqual(activeResponse.commands[1].os, ["windows"]);
  assert.ok(!activeResponse.commands[0].os.includes("windows"));
});

test("the shipped example (the use case) loads: firewall-drop and netsh on rule 100100, local, 60 s", () => {
  const { activeResponse } = loadConfig({ env: {}, file: path.join(PACKAGE_ROOT, "etc", "examples", "active-response.yaml") });
  assert.deepEqual(
    activeResponse.responses.map((r) => [r.command, r.location, r.rulesId, r.timeout]),
    [["firewall-drop", "local", ["100100"], 60], ["netsh", "local", ["100100"], 60]],
  );
  assert.deepEqual(activeResponse.responses[0].repeatedOffenders, [600, 3600]);
});

test("Wazuh's spellings are understood: rules_id as '100100,100101', rules_group as 'a|b', agent ids as a list", () => {
  const { activeResponse } = loadConfig({
    env: {},
    file: fixture("valid.yaml"),
    overrides: {
      "activeResponse.responses": [
        { command: "firewall-drop", location: "defined-agent", agentIds: "001, 002", rulesId: "100100,100101", rulesGroup: "attack|web", timeout: 60 },
      ],
    },
  });
  assert.deepEqual(activeResponse.responses[0].rulesId, ["100100", "100101"]);
  assert.deepEqual(activeResponse.responses[0].rulesGroup, ["attack", "web"]);
  assert.deepEqual(activeResponse.responses[0].agentIds, ["001", "002"]);
});

test("TLD_AR_ALLOW_LIST sets the allow-list (comma separated) and a wrong entry is named by its place", () => {
  const ok = loadConfig({ env: { TLD_AR_ALLOW_LIST: "10.0.0.0/8, 2001:db8::/32" }, file: fixture("valid.yaml") });
  assert.deepEqual(ok.activeResponse.allowList, ["10.0.0.0/8", "2001:db8::/32"]);
  assert.deepEqual(problemsOf(fixture("valid.yaml"), { TLD_AR_ALLOW_LIST: "10.0.0.0/8,office" }), ["activeResponse.allowList.1: not an IP address or CIDR network"]);
});

// Each broken fixture is named after what it breaks, and yields exactly one problem naming the bad key.
const broken: Record<string, [key: string, message: RegExp]> = {
  "ar_unknown_command.yaml": ["activeResponse.responses.0.command", /no command named firewall-dorp; known: firewall-drop, netsh/],
  "ar_location_server.yaml": ["activeResponse.responses.0.location", /server is not supported/],
  "ar_defined_agent_without_agent_ids.yaml": ["activeResponse.responses.0.agentIds", /defined-agent needs the agents' ids/],
  "ar_repeated_offenders_in_minutes.yaml": ["activeResponse.responses.0.repeatedOffenders", /longer than .* timeout \(60 s\); they are seconds, not Wazuh's minutes/],
  "ar_timeout_missing.yaml": ["activeResponse.responses.0.timeout", /give the block's length in seconds/],
  "ar_no_trigger.yaml": ["activeResponse.responses.0.rulesId", /needs a trigger: rulesId, rulesGroup or level/],
  "ar_allow_list_not_a_network.yaml": ["activeResponse.allowList.1", /not an IP address or CIDR network/],
  "ar_rule_id_not_a_number.yaml": ["activeResponse.responses.0.rulesId.1", /a rule id is a number/],
  "ar_one_shot_with_timeout.yaml": ["activeResponse.responses.0.timeout", /timeoutAllowed: false \(one-shot\), so it takes no timeout/],
  "ar_program_is_a_path.yaml": ["activeResponse.commands.0.program", /never a path/],
};

for (const [file, [key, message]] of Object.entries(broken)) {
  test(`config fixture ${file}: one problem, at ${key}`, () => {
    const problems = problemsOf(fixture(file));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.ok(problems[0].startsWith(`${key}: `), problems[0]);
    assert.match(problems[0], message);
  });
}
