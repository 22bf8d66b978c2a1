// Kafka and Apicurio versions have one home: the properties of stack/maven/pom.xml, which Maven uses to fetch
// them. The TypeScript side reads them from there so a version bump is a one-line change in one file.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../lib/config.js";

export const POM_PATH = path.join(PACKAGE_ROOT, "stack", "maven", "pom.xml");

export interface StackVersions {
  kafka: string;
  apicurio: string;
}

/** Reads `<name>value</name>` from a pom's text; a tiny regex is enough for the flat <properties> block we own. */
export function pomProperty(pomText: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`<${escaped}>\\s*([^<\\s]+)\\s*</${escaped}>`).exec(pomText);
  if (!match) throw new Error(`property <${name}> not found in ${POM_PATH}`);
  return match[1];
}

export function parseVersions(pomText: string): StackVersions {
  return { kafka: pomProperty(pomText, "kafka.version"), apicurio: pomProperty(pomText, "apicurio.version") };
}

let cached: StackVersions | undefined;
export function stackVersions(): StackVersions {
  cached ??= parseVersions(readFileSync(POM_PATH, "utf8"));
  return cached;
}
