// The Avro schemas in schemas/*.avsc: read once, parsed with avsc, shared by every stage.
import { readFileSync } from "node:fs";
import path from "node:path";
import avro from "avsc";
import { PACKAGE_ROOT } from "./config.js";

export const SCHEMA_DIR = path.join(PACKAGE_ROOT, "schemas");

const cache = new Map<string, string>();

/** The schema text of schemas/<name>.avsc, exactly as registered. */
export function schemaText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = JSON.stringify(JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.avsc`), "utf8")));
    cache.set(name, text);
  }
  return text;
}

export function avroType(name: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(schemaText(name)) as avro.Schema);
}
