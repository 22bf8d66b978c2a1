// Wazuh's JSON_Decoder plugin: a JSON object becomes flat fields, nested keys joined with dots
// ({"data":{"srcip":"1.2.3.4"}} gives data.srcip), scalars as strings, arrays as their JSON text, nulls dropped.
// Text that is not a JSON object adds nothing (the decoder still names the event, as in Wazuh).

const MAX_DEPTH = 32;
// Deeper than this is not taken for a JSON object (Wazuh's cJSON refuses past 1000 levels too). JSON.parse copes
// with any depth, but the JSON.stringify of a subtree below MAX_DEPTH recurses: a 50 KB line of 10,000 "{" threw
// RangeError (maximum call stack size) out of the decoder.
export const MAX_NESTING = 1000;

/** Whether brackets in `text` (outside strings) nest deeper than `limit`; one pass, stops at the first excess. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

function addValue(prefix: string, value: unknown, fields: Record<string, string>, depth: number): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    fields[prefix] = JSON.stringify(value);
  } else if (typeof value === "object") {
    if (depth >= MAX_DEPTH) {
      fields[prefix] = JSON.stringify(value);
      return;
    }
    for (const [key, nested] of Object.entries(value as Record<string, unknown>)) {
      addValue(prefix === "" ? key : `${prefix}.${key}`, nested, fields, depth + 1);
    }
  } else {
    fields[prefix] = String(value);
  }
}

/** Adds the fields of the JSON object in `text` to `fields`; returns false when `text` is not a JSON object. */
export function flattenJson(text: string, fields: Record<string, string>): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || nestsDeeperThan(trimmed, MAX_NESTING)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return false;
  addValue("", parsed, fields, 0);
  return true;
}
