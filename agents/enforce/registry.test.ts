import assert from "node:assert/strict";
import test from "node:test";
import { RecordingRunner } from "./recordingRunner.js";
import { chooseEnforcer, ENFORCERS } from "./registry.js";
import { ENFORCER_NAMES } from "./enforcer.js";

test("every enforcer name is registered", () => {
  assert.deepEqual(Object.keys(ENFORCERS).sort(), [...ENFORCER_NAMES].sort());
  for (const name of ENFORCER_NAMES) assert.equal(ENFORCERS[name](new RecordingRunner().run).name, name);
});

test("auto: netsh on Windows, nftables when nft answers, else iptables; a configured name is taken as is", async () => {
  assert.equal((await chooseEnforcer("auto", new RecordingRunner().run, "win32")).name, "netsh");
  const nft = new RecordingRunner();
  assert.equal((await chooseEnforcer("auto", nft.run, "linux")).name, "nftables");
  assert.deepEqual(nft.lines(), ["nft list tables"]);
  assert.equal((await chooseEnforcer("auto", new RecordingRunner(() => "missing").run, "linux")).name, "iptables");
  assert.equal((await chooseEnforcer("auto", new RecordingRunner(() => ({ code: 1, stderr: "Operation not supported" })).run, "linux")).name, "iptables");
  assert.equal((await chooseEnforcer("ipset", new RecordingRunner(() => "missing").run, "linux")).name, "ipset");
});
