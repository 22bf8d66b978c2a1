// Wazuh decoder files: parsing <decoder> elements into compiled decoder definitions.
import { compilePattern, parsePatternType, PatternSyntaxError, type CompiledPattern } from "../../../lib/wazuh/regex.js";
import { parseXmlFragment, substituteVariables, XmlSyntaxError, type XmlElement } from "../../../lib/wazuh/xml.js";

/** Where a child's prematch, a regex or a plugin starts reading the message. */
export type DecoderOffset = "start" | "after_parent" | "after_prematch" | "after_regex";

export interface DecoderPluginSpec {
  readonly name: "JSON_Decoder";
  readonly offset: DecoderOffset;
}

export interface DecoderDefinition {
  /** The name written in <decoder name="…">; siblings (children sharing a name) are applied together. */
  readonly name: string;
  readonly parent?: string;
  /** <use_own_name>true</use_own_name>: report the child's own name instead of its parent's. */
  readonly useOwnName: boolean;
  readonly programName?: CompiledPattern;
  readonly prematch?: CompiledPattern;
  readonly prematchOffset: DecoderOffset;
  readonly regex?: CompiledPattern;
  readonly regexOffset: DecoderOffset;
  /** Field names for the regex captures, in order (Wazuh's `user` is stored as `dstuser`, as Wazuh does). */
  readonly order: readonly string[];
  /** <type>: the event category root rules filter on (Wazuh's decoder type); undefined = inherit / syslog. */
  readonly type?: string;
  readonly plugin?: DecoderPluginSpec;
  readonly file?: string;
  readonly line: number;
}

/** A decoder file that cannot be used, with file and line for the operator. */
export class DecoderLoadError extends Error {
  constructor(
    readonly file: string | undefined,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file ?? "<decoders>"}:${line}: ${reason}`);
    this.name = "DecoderLoadError";
  }
}

// Order names Wazuh stores under another name.
const ORDER_ALIASES: Readonly<Record<string, string>> = { user: "dstuser" };

const KNOWN_IGNORED_OPTIONS = new Set(["fts", "ftscomment", "accumulate", "json_null_field", "json_array_structure", "var"]);

function parseOffset(value: string | undefined, allowed: readonly DecoderOffset[], where: string): DecoderOffset {
  if (value === undefined || value === "") return "start";
  if ((allowed as readonly string[]).includes(value)) return value as DecoderOffset;
  throw new Error(`invalid offset "${value}" for <${where}> (allowed: ${allowed.join(", ")})`);
}

function compileElementPattern(element: XmlElement, defaultType: "osregex" | "osmatch", variables: ReadonlyMap<string, string>): CompiledPattern {
  const type = parsePatternType(element.attributes.type, defaultType);
  return compilePattern(type, substituteVariables(element.text, variables));
}

function parseDecoderElement(element: XmlElement, variables: ReadonlyMap<string, string>, file?: string): DecoderDefinition {
  const name = element.attributes.name?.trim();
  if (!name) throw new DecoderLoadError(file, element.line, "<decoder> without a name attribute");
  let parent: string | undefined;
  let useOwnName = false;
  let programName: CompiledPattern | undefined;
  let prematch: CompiledPattern | undefined;
  let prematchOffset: DecoderOffset = "start";
  let regex: CompiledPattern | undefined;
  let regexOffset: DecoderOffset = "start";
  let order: string[] = [];
  let type: string | undefined;
  let plugin: DecoderPluginSpec | undefined;
  for (const option of element.children) {
    try {
      switch (option.name) {
        case "parent":
          parent = option.text.trim();
          break;
        case "use_own_name":
          useOwnName = option.text.trim().toLowerCase() === "true";
          break;
        case "program_name":
          programName = compileElementPattern(option, "osmatch", variables);
          break;
        case "prematch":
          prematch = compileElementPattern(option, "osregex", variables);
          prematchOffset = parseOffset(option.attributes.offset, ["after_parent"], "prematch");
          break;
        case "regex":
          // Wazuh concatenates repeated <regex> elements; one is by far the common case, so we keep the last
          // and refuse ambiguity instead of guessing.
          if (regex) throw new Error("more than one <regex> in a decoder; use sibling decoders instead");
          regex = compileElementPattern(option, "osregex", variables);
          regexOffset = parseOffset(option.attributes.offset, ["after_parent", "after_prematch", "after_regex"], "regex");
          break;
        case "order":
          order = option.text
            .split(/[,|]/)
            .map((s) => s.trim())
            .filter((s) => s !== "")
            .map((s) => ORDER_ALIASES[s] ?? s);
          break;
        case "type":
          type = option.text.trim();
          break;
        case "plugin_decoder": {
          const pluginName = option.text.trim();
          if (pluginName !== "JSON_Decoder") throw new Error(`unsupported plugin_decoder "${pluginName}" (JSON_Decoder only)`);
          plugin = { name: "JSON_Decoder", offset: parseOffset(option.attributes.offset, ["after_parent", "after_prematch"], "plugin_decoder") };
          break;
        }
        default:
          if (!KNOWN_IGNORED_OPTIONS.has(option.name)) throw new Error(`unknown decoder option <${option.name}>`);
      }
    } catch (error) {
      if (error instanceof DecoderLoadError) throw error;
      const reason = error instanceof PatternSyntaxError || error instanceof Error ? error.message : String(error);
      throw new DecoderLoadError(file, option.line, `decoder "${name}": ${reason}`);
    }
  }
  if (!parent && !prematch && !programName) {
    // Wazuh refuses these too: a parent with neither would claim every line.
    throw new DecoderLoadError(file, element.line, `decoder "${name}" has no parent, <prematch> or <program_name>`);
  }
  if (regex && order.length === 0) {
    throw new DecoderLoadError(file, element.line, `decoder "${name}" has a <regex> but no <order>`);
  }
  return {
    name,
    ...(parent ? { parent } : {}),
    useOwnName,
    ...(programName ? { programName } : {}),
    ...(prematch ? { prematch } : {}),
    prematchOffset,
    ...(regex ? { regex } : {}),
    regexOffset,
    order,
    ...(type ? { type } : {}),
    ...(plugin ? { plugin } : {}),
    ...(file !== undefined ? { file } : {}),
    line: element.line,
  };
}

/** Parses one decoder file's text. Throws DecoderLoadError (file and line) on anything unusable. */
export function parseDecoderXml(source: string, file?: string): DecoderDefinition[] {
  let elements: XmlElement[];
  try {
    elements = parseXmlFragment(source, file);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new DecoderLoadError(file, error.line, error.reason);
    throw error;
  }
  const variables = new Map<string, string>();
  const decoders: DecoderDefinition[] = [];
  for (const element of elements) {
    if (element.name === "var") {
      const varName = element.attributes.name;
      if (!varName) throw new DecoderLoadError(file, element.line, "<var> without a name attribute");
      variables.set(varName, element.text);
    } else if (element.name === "decoder") {
      decoders.push(parseDecoderElement(element, variables, file));
    } else {
      throw new DecoderLoadError(file, element.line, `unexpected top-level element <${element.name}> (expected <decoder>)`);
    }
  }
  return decoders;
}
