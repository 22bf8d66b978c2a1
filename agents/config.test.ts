import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { AgentConfigError, parseAgentConfig } from "./config.js";

const base = { manager: "https://manager.example:1514", name: "ubuntu", state_dir: "state", localfile: [{ location: "/var/log/apache2/access.log", log_format: "apache" }] };

test("a minimal config gets Wazuh-like defaults and a state_dir beside the config file", () => {
  const c = parseAgentConfig(base, "/etc/tld-agent/agent.yml", path.posix);
  assert.equal(c.state_dir, "/etc/tld-agent/state");
  assert.equal(c.only_future_events, true);
  assert.equal(c.batch_max_lines, 5000);
  assert.equal(c.batch_max_delay_ms, 100);
  assert.equal(c.buffer_max_mb, 100);
  assert.deepEqual(c.groups, []);
});

test("every bad key is reported at once, by its path", () => {
  const bad = { ...base, manager: "ftp://x", name: "has space", colour: "blue", localfile: [{ location: "/x", log_format: "iis" }] };
  assert.throws(
    () => parseAgentConfig(bad, "/a.yml", path.posix),
    (e: unknown) => {
      assert.ok(e instanceof AgentConfigError);
      const problems = e.problems.join("\n");
      assert.match(problems, /^manager: /m);
      assert.match(problems, /^name: /m);
      assert.match(problems, /colour/);
      assert.match(problems, /^localfile\.0\.log_format: /m);
      return true;
    },
  );
});

test("Windows: C:\\ locations are absolute, relative ones are refused, state_dir resolves beside the config", () => {
  const win = { ...base, state_dir: "state", localfile: [{ location: "C:\\Apache24\\logs\\access.log", log_format: "apache" }, { location: "C:\\Apache24\\logs\\*.log", log_format: "apache" }] };
  const c = parseAgentConfig(win, "C:\\ProgramData\\tld-agent\\agent.yml", path.win32);
  assert.equal(c.state_dir, "C:\\ProgramData\\tld-agent\\state");
  assert.equal(c.localfile[0].location, "C:\\Apache24\\logs\\access.log");
  const relative = { ...base, localfile: [{ location: "logs\\access.log", log_format: "apache" }] };
  assert.throws(() => parseAgentConfig(relative, "C:\\agent.yml", path.win32), /localfile\.0\.location: must be an absolute path/);
  // A POSIX path is not absolute on Windows either way round.
  assert.throws(() => parseAgentConfig({ ...base, localfile: [{ location: "C:\\x.log", log_format: "apache" }] }, "/a.yml", path.posix), /absolute/);
});

test("active_response: on with the auto enforcer by default; an unknown enforcer or key is named", () => {
  assert.deepEqual(parseAgentConfig(base, "/etc/tld-agent/agent.yml", path.posix).active_response, { disabled: false, enforcer: "auto" });
  const chosen = parseAgentConfig({ ...base, active_response: { enforcer: "ipset" } }, "/a.yml", path.posix);
  assert.deepEqual(chosen.active_response, { disabled: false, enforcer: "ipset" });
  assert.throws(
    () => parseAgentConfig({ ...base, active_response: { enforcer: "pf", timeout: 5 } }, "/a.yml", path.posix),
    (err: AgentConfigError) => err.problems.some((p) => p.startsWith("active_response.enforcer:")) && err.problems.some((p) => p.includes("active_response.timeout")),
  );
});
