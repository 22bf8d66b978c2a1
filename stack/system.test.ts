import assert from "node:assert/strict";
import { test } from "node:test";
import { artifactDirs, javaVersionFromRelease, parseJavaMajor, pickJava } from "./system.js";
import { stackPaths } from "./process.js";

test("Java major versions, old and new schemes", () => {
  assert.equal(parseJavaMajor("17.0.15"), 17);
  assert.equal(parseJavaMajor("25"), 25);
  assert.equal(parseJavaMajor("21.0.2+13-LTS"), 21);
  assert.equal(parseJavaMajor("1.8.0_402"), 8);
  assert.equal(parseJavaMajor("abc"), undefined);
  assert.equal(javaVersionFromRelease('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.3"\n'), "25.0.3");
});

test("pickJava: Kafka prefers <= 21, the registry needs >= 21", () => {
  const jdk17 = { bin: "/jvm/17/bin/java", major: 17 };
  const jdk25 = { bin: "/jvm/25/bin/java", major: 25 };
  assert.equal(pickJava([jdk25, jdk17], 11, 21), jdk17, "in-range wins even when listed later");
  assert.equal(pickJava([jdk25], 11, 21), jdk25, "out of the preferred range beats nothing");
  assert.equal(pickJava([jdk17, jdk25], 21), jdk25);
  assert.equal(pickJava([jdk17], 21), undefined);
  assert.equal(pickJava([], 11), undefined);
});

test("artifact folders are versioned under <stateDir>/cache", () => {
  const dirs = artifactDirs(stackPaths("/s"), { kafka: "3.9.1", apicurio: "3.3.3" });
  assert.equal(dirs.kafkaLibs, "/s/cache/kafka-3.9.1/libs");
  assert.equal(dirs.apicurioHome, "/s/cache/apicurio-3.3.3");
});
