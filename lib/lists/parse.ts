// List file formats, parsed line by line so a 1M-line file streams through without being held whole:
// - cdb (Wazuh's CDB text): `key:value` per line or `key` alone; `"quoted key":value` for keys holding ':'
//   (IPv6); keys ending in a dot (`10.1.`) are Wazuh's prefix keys;
// - ipset (FireHOL / AlienVault): one IP or CIDR per line, `#` comments (also after the entry), blank lines;
// - plain: one key per line, `#` comments.
// A malformed line is reported with its number and skipped; every other line is kept.
import { parseNetwork, type Network } from "../ip.js";

export type ListFormat = "cdb" | "ipset" | "plain";
export const LIST_FORMATS: readonly ListFormat[] = ["ipset", "cdb", "plain"];

export interface ListEntry {
  readonly key: string;
  readonly value: string;
}

export interface ListParseError {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedList {
  readonly entries: ListEntry[];
  /** Malformed lines, skipped; everything else was kept. */
  readonly errors: ListParseError[];
}

/** An entry with its network when the key is an address, a network or a prefix key (null otherwise). */
export interface ParsedEntry extends ListEntry {
  readonly network: Network | null;
}

/** One line: an entry, a reason it is malformed, or null for a blank or comment line. */
export type ParsedLine = ParsedEntry | { readonly error: string } | null;

const IPSET_TOKEN_END = /[\s#]/;

export function parseListLine(raw: string, format: ListFormat): ParsedLine {
  const line = raw.trim();
  if (line === "" || line.charCodeAt(0) === 35 /* # */) return null;
  if (format === "ipset") {
    const cut = line.search(IPSET_TOKEN_END);
    const token = cut === -1 ? line : line.slice(0, cut);
    // Prefix keys ("10.1.") are CDB syntax; in an ipset file a trailing dot is a typo, not a /16.
    const network = token.endsWith(".") ? null : parseNetwork(token);
    return network ? { key: token, value: "", network } : { error: "not an IP address or CIDR" };
  }
  if (format === "plain") return { key: line, value: "", network: parseNetwork(line) };
  let key: string;
  let value: string;
  if (line.charCodeAt(0) === 34 /* " */) {
    const close = line.indexOf('"', 1);
    if (close === -1) return { error: "unterminated quoted key" };
    key = line.slice(1, close);
    const after = line.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return { error: "expected ':' after the quoted key" };
    value = after.slice(1);
  } else {
    const colon = line.indexOf(":");
    if (colon !== -1 && line.indexOf(":", colon + 1) !== -1 && parseNetwork(line) !== null) {
      key = line; // an unquoted IPv6 address or network, with no value
      value = "";
    } else {
      key = colon === -1 ? line : line.slice(0, colon);
      value = colon === -1 ? "" : line.slice(colon + 1);
    }
  }
  if (key === "") return { error: "empty key" };
  return { key, value, network: parseNetwork(key) };
}

/** Parses a whole list text (small lists, tests, `tld logtest --home`); see parseListLine. */
export function parseListText(text: string, format: ListFormat): ParsedList {
  const entries: ListEntry[] = [];
  const errors: ListParseError[] = [];
  const splitter = new LineSplitter();
  const onLine = (raw: string, line: number) => {
    const parsed = parseListLine(raw, format);
    if (parsed === null) return;
    if ("error" in parsed) errors.push({ line, text: raw, reason: parsed.error });
    else entries.push({ key: parsed.key, value: parsed.value });
  };
  splitter.push(text, onLine);
  splitter.end(onLine);
  return { entries, errors };
}

/** Splits streamed text into lines (LF or CRLF), numbered from 1, however the chunks fall. */
export class LineSplitter {
  private rest = "";
  private lineNumber = 0;

  push(chunk: string, onLine: (line: string, lineNumber: number) => void): void {
    const text = this.rest === "" ? chunk : this.rest + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 /* \r */ ? nl - 1 : nl;
      onLine(text.slice(start, end), ++this.lineNumber);
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** The last line when the text does not end with a newline. */
  end(onLine: (line: string, lineNumber: number) => void): void {
    if (this.rest !== "") onLine(this.rest.endsWith("\r") ? this.rest.slice(0, -1) : this.rest, ++this.lineNumber);
    this.rest = "";
  }

  get lines(): number {
    return this.lineNumber;
  }
}

/**
 * The format of a list file, from its name and first bytes, when the user did not say: `.ipset`/`.netset`
 * (FireHOL) → ipset; otherwise `key:value` lines → cdb; only IPs and CIDRs → ipset; anything else → plain.
 * Throws for binary content (a compiled .cdb): the text list it was made from is what imports.
 */
export function guessListFormat(fileName: string, head: string): ListFormat {
  if (head.includes("\0")) {
    throw new Error("the file is binary (a compiled CDB?); import the text list it was built from");
  }
  if (/\.(ipset|netset)$/i.test(fileName)) return "ipset";
  const lines = head.split(/\r?\n/);
  if (lines.length > 1) lines.pop(); // the last line of a head may be cut short
  let sawEntry = false;
  let allNetworks = true;
  for (const raw of lines.slice(0, 1000)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    sawEntry = true;
    const ipset = parseListLine(line, "ipset");
    if (ipset !== null && !("error" in ipset)) continue;
    allNetworks = false;
    if (line.startsWith('"') || line.includes(":")) return "cdb";
  }
  return sawEntry && allNetworks ? "ipset" : sawEntry ? "plain" : "ipset";
}
