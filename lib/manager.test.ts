import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "./config.js";
import { rulesetPaths, RulesetPathError, STOCK_DECODER_DIR, STOCK_RULE_DIR } from "./manager.js";

function home(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tld-home-"));
  mkdirSync(path.join(dir, "etc", "rules"), { recursive: true });
  mkdirSync(path.join(dir, "etc", "lists", "amazon"), { recursive: true });
  writeFileSync(path.join(dir, "etc", "lists", "blacklist-alienvault"), "203.0.113.66:\n");
  writeFileSync(path.join(dir, "etc", "lists", "amazon", "aws-eventnames"), "Run:\n");
  writeFileSync(path.join(dir, "etc", "lists", ".hidden"), "x:\n");
  writeFileSync(path.join(dir, "etc", "lists", "old.cdb"), "\0binary");
  return dir;
}

const configOf = (dir: string, ruleset: Record<string, unknown> = {}) =>
  loadConfig({ env: { TLD_HOME: dir }, overrides: Object.fromEntries(Object.entries(ruleset).map(([k, v]) => [`ruleset.${k}`, v])) });

test("defaults: stock ruleset from the package, then the home's etc/; lists by their path in the home", () => {
  const dir = home();
  const paths = rulesetPaths(configOf(dir));
  assert.deepEqual(paths.decoderDirs, [STOCK_DECODER_DIR], "etc/decoders is missing: skipped");
  assert.deepEqual(paths.ruleDirs, [STOCK_RULE_DIR, path.join(dir, "etc", "rules")]);
  assert.deepEqual(paths.lists.map((l) => l.listPath), ["etc/lists/amazon/aws-eventnames", "etc/lists/blacklist-alienvault"]);
  assert.deepEqual(paths.warnings, [], "a fresh home's missing default dirs are normal");
});

test("the ruleset section: no stock ruleset, excludes, explicit lists; a configured dir that is missing is a warning", () => {
  const dir = home();
  const paths = rulesetPaths(configOf(dir, { defaultRuleset: false, ruleDirs: ["etc/rules", "etc/more-rules"], ruleExclude: ["0010-x.xml"], lists: ["etc/lists/blacklist-alienvault"] }));
  assert.deepEqual(paths.ruleDirs, [path.join(dir, "etc", "rules")]);
  assert.deepEqual(paths.decoderDirs, []);
  assert.deepEqual(paths.ruleExclude, ["0010-x.xml"]);
  assert.deepEqual(paths.lists, [{ listPath: "etc/lists/blacklist-alienvault", file: path.join(dir, "etc", "lists", "blacklist-alienvault") }]);
  assert.match(paths.warnings.join("\n"), /etc\/more-rules does not exist/);
});

test("extra directories (logtest --rule-dir) come last, once each; a missing one is an error", () => {
  const dir = home();
  const extra = path.join(dir, "etc", "rules");
  assert.deepEqual(rulesetPaths(configOf(dir), { ruleDirs: [extra] }).ruleDirs, [STOCK_RULE_DIR, extra]);
  assert.throws(() => rulesetPaths(configOf(dir), { decoderDirs: [path.join(dir, "nope")] }), RulesetPathError);
});

test("the ruleset section is validated like the rest of the config", () => {
  assert.throws(() => configOf(home(), { decoderDir: ["x"] }), /decoderDir/);
  assert.equal(loadConfig({ env: { TLD_MATCHER_ALERT_LEVEL: "7" } }).matcher.alertLevel, 7);
  assert.equal(loadConfig({ env: {} }).matcher.alertLevel, 3);
});
