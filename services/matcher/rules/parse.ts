// Wazuh rule files: <group name="a,b,"> elements wrapping <rule id level> elements (and <var> definitions),
// parsed into rule definitions with every pattern compiled. Errors carry file and line.
import { compilePattern, parsePatternType, parseXmlFragment, substituteVariables, XmlSyntaxError, type CompiledPattern, type PatternType, type XmlElement } from "../../../lib/wazuh/index.js";
import { parseNetwork, type Network } from "./ip.js";

export interface ExpressionCondition {
  readonly pattern: CompiledPattern;
  /** negate="yes": the condition holds when the pattern does NOT match (the field must still be present). */
  readonly negate: boolean;
}

export interface FieldCondition extends ExpressionCondition {
  readonly field: string;
}

export interface AddressCondition {
  /** Any entry holding makes the condition hold; an entry written "!net" holds when the address is outside. */
  readonly entries: readonly { readonly network: Network; readonly negate: boolean }[];
  readonly negate: boolean;
}

export type ListLookupType =
  | "match_key"
  | "not_match_key"
  | "match_key_value"
  | "address_match_key"
  | "not_address_match_key"
  | "address_match_key_value";

export interface ListCondition {
  readonly field: string;
  readonly lookup: ListLookupType;
  /** The list as the rule names it, e.g. "etc/lists/blacklist-alienvault". */
  readonly listPath: string;
  /** check_value for the *_value lookups (OS_Regex unless type= says otherwise). */
  readonly checkValue?: CompiledPattern;
}

/** Conditions on event fields that Wazuh reads through its static names (OS_Match unless type= says otherwise). */
export const STATIC_FIELD_OPTIONS = [
  "program_name",
  "id",
  "system_name",
  "protocol",
  "action",
  "url",
  "location",
  "srcport",
  "dstport",
  "user",
  "data",
  "extra_data",
  "hostname",
  "status",
] as const;
export type StaticFieldOption = (typeof STATIC_FIELD_OPTIONS)[number];

export interface RuleDefinition {
  readonly id: string;
  readonly level: number;
  readonly groups: readonly string[];
  readonly description: string;
  readonly options: readonly string[];
  readonly noAlert: boolean;
  readonly overwrite: boolean;
  readonly ifSids: readonly string[];
  readonly ifGroups: readonly string[];
  readonly ifLevel?: number;
  readonly ifMatchedSid?: string;
  readonly ifMatchedGroups: readonly string[];
  readonly frequency?: number;
  readonly timeframeSeconds?: number;
  readonly ignoreSeconds?: number;
  readonly maxsize?: number;
  readonly decodedAs?: string;
  readonly category?: string;
  readonly match?: ExpressionCondition;
  readonly regex?: ExpressionCondition;
  readonly staticFields: readonly { readonly option: StaticFieldOption; readonly condition: ExpressionCondition }[];
  readonly fields: readonly FieldCondition[];
  readonly srcip?: AddressCondition;
  readonly dstip?: AddressCondition;
  readonly lists: readonly ListCondition[];
  /** Field names whose value must be the same in every counted event (same_source_ip, same_field, …). */
  readonly sameFields: readonly string[];
  /** Field whose values must differ across counted events (different_url, different_field, …). */
  readonly differentField?: string;
  readonly file?: string;
  readonly line: number;
}

export class RuleLoadError extends Error {
  constructor(
    readonly file: string | undefined,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file ?? "<rules>"}:${line}: ${reason}`);
    this.name = "RuleLoadError";
  }
}

// same_* / different_* element names and the event field each compares (Wazuh 4 names and the legacy ones).
const CONTEXT_FIELDS: Readonly<Record<string, string>> = {
  source_ip: "srcip",
  srcip: "srcip",
  dstip: "dstip",
  src_port: "srcport",
  srcport: "srcport",
  dst_port: "dstport",
  dstport: "dstport",
  protocol: "protocol",
  action: "action",
  id: "id",
  url: "url",
  srcuser: "srcuser",
  user: "user",
  location: "location",
  data: "data",
  extra_data: "extra_data",
  status: "status",
  system_name: "system_name",
  srcgeoip: "srcgeoip",
  dstgeoip: "dstgeoip",
};

const LIST_LOOKUPS: readonly ListLookupType[] = [
  "match_key",
  "not_match_key",
  "match_key_value",
  "address_match_key",
  "not_address_match_key",
  "address_match_key_value",
];

/** Wazuh's analysisd default for a correlation rule that gives no timeframe. */
export const DEFAULT_TIMEFRAME_SECONDS = 360;

const RULE_ATTRIBUTES = new Set(["id", "level", "frequency", "timeframe", "ignore", "maxsize", "noalert", "overwrite", "accuracy"]);
/** Options we accept and do not evaluate because they carry no matching semantics. */
const DESCRIPTIVE_OPTIONS = new Set(["info", "mitre", "var"]);
/** Options with matching semantics we do not implement: refused, so a rule never matches more than written. */
const UNSUPPORTED_OPTIONS = new Set(["time", "weekday", "check_diff", "compiled_rule", "srcgeoip", "dstgeoip", "not_same_source_ip", "not_same_user", "not_same_agent", "not_same_id", "not_same_field", "same_agent", "global_frequency", "same_dodiff", "if_fts", "check_if_ignored"]);

function splitList(text: string, separators: RegExp): string[] {
  return text
    .split(separators)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseInteger(value: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`${what} must be a number, got "${value}"`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new Error(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function normalizeRuleId(value: string): string {
  return String(parseInteger(value, "rule id", 1, 999_999_999));
}

function isYes(value: string | undefined): boolean {
  return value !== undefined && /^(yes|true|1)$/i.test(value.trim());
}

interface RuleParseContext {
  readonly groups: readonly string[];
  readonly variables: ReadonlyMap<string, string>;
  readonly file?: string;
}

function compileCondition(element: XmlElement, defaultType: PatternType, variables: ReadonlyMap<string, string>): ExpressionCondition {
  const type = parsePatternType(element.attributes.type, defaultType);
  return { pattern: compilePattern(type, substituteVariables(element.text, variables)), negate: isYes(element.attributes.negate) };
}

/** Wazuh concatenates the text of a repeated option; we do the same so that existing files mean the same. */
function appendText(previous: XmlElement | undefined, element: XmlElement): XmlElement {
  return previous ? { ...element, text: previous.text + element.text } : element;
}

function parseAddressCondition(element: XmlElement, previous: AddressCondition | undefined): AddressCondition {
  const entries = [...(previous?.entries ?? [])];
  for (const token of splitList(element.text, /[,\s]+/)) {
    const negate = token.startsWith("!");
    const network = parseNetwork(negate ? token.slice(1) : token);
    if (!network) throw new Error(`<${element.name}> "${token}" is not an IP address or network`);
    entries.push({ network, negate });
  }
  if (entries.length === 0) throw new Error(`<${element.name}> is empty`);
  return { entries, negate: isYes(element.attributes.negate) || (previous?.negate ?? false) };
}

function parseRule(element: XmlElement, context: RuleParseContext): RuleDefinition {
  const { file, variables } = context;
  const fail = (line: number, reason: string): never => {
    throw new RuleLoadError(file, line, reason);
  };
  const attrs = element.attributes;
  for (const name of Object.keys(attrs)) if (!RULE_ATTRIBUTES.has(name)) fail(element.line, `unknown <rule> attribute "${name}"`);
  let id = "";
  let level = 0;
  let frequency: number | undefined;
  let timeframeSeconds: number | undefined;
  let ignoreSeconds: number | undefined;
  let maxsize: number | undefined;
  try {
    if (attrs.id === undefined) throw new Error("<rule> without an id attribute");
    id = normalizeRuleId(attrs.id);
    if (attrs.level === undefined) throw new Error(`rule ${id} has no level attribute`);
    level = parseInteger(attrs.level, "level", 0, 16);
    if (attrs.frequency !== undefined) frequency = parseInteger(attrs.frequency, "frequency", 1, 9999);
    if (attrs.timeframe !== undefined) timeframeSeconds = parseInteger(attrs.timeframe, "timeframe", 1, 99_999);
    if (attrs.ignore !== undefined) ignoreSeconds = parseInteger(attrs.ignore, "ignore", 1, 999_999);
    if (attrs.maxsize !== undefined) maxsize = parseInteger(attrs.maxsize, "maxsize", 1, 999_999);
  } catch (error) {
    fail(element.line, (error as Error).message);
  }

  const groups = [...context.groups];
  const options: string[] = [];
  let description = "";
  const ifSids: string[] = [];
  const ifGroups: string[] = [];
  let ifLevel: number | undefined;
  let ifMatchedSid: string | undefined;
  const ifMatchedGroups: string[] = [];
  let decodedAs: string | undefined;
  let category: string | undefined;
  const repeated = new Map<string, XmlElement>(); // match / regex / static options, concatenated as in Wazuh
  const fields: FieldCondition[] = [];
  let srcip: AddressCondition | undefined;
  let dstip: AddressCondition | undefined;
  const lists: ListCondition[] = [];
  const sameFields: string[] = [];
  let differentField: string | undefined;

  for (const option of element.children) {
    try {
      const text = substituteVariables(option.text, variables).trim();
      const name = option.name;
      if (name === "match" || name === "regex" || (STATIC_FIELD_OPTIONS as readonly string[]).includes(name)) {
        repeated.set(name, appendText(repeated.get(name), option));
      } else if (name === "description") {
        description = text;
      } else if (name === "group") {
        groups.push(...splitList(text, /,/));
      } else if (name === "options") {
        options.push(...splitList(text, /,/));
      } else if (name === "if_sid") {
        ifSids.push(...splitList(text, /[,\s]+/).map(normalizeRuleId));
      } else if (name === "if_group") {
        ifGroups.push(...splitList(text, /[|,]/));
      } else if (name === "if_level") {
        ifLevel = parseInteger(text, "if_level", 0, 16);
      } else if (name === "if_matched_sid") {
        ifMatchedSid = normalizeRuleId(text);
      } else if (name === "if_matched_group") {
        ifMatchedGroups.push(...splitList(text, /[|,]/));
      } else if (name === "decoded_as") {
        decodedAs = text;
      } else if (name === "category") {
        category = text;
      } else if (name === "field") {
        const fieldName = option.attributes.name?.trim();
        if (!fieldName) throw new Error("<field> without a name attribute");
        fields.push({ field: fieldName, ...compileCondition(option, "osregex", variables) });
      } else if (name === "srcip") {
        srcip = parseAddressCondition({ ...option, text }, srcip);
      } else if (name === "dstip") {
        dstip = parseAddressCondition({ ...option, text }, dstip);
      } else if (name === "list") {
        const field = option.attributes.field?.trim();
        if (!field) throw new Error("<list> without a field attribute");
        const lookup = (option.attributes.lookup?.trim() || "match_key") as ListLookupType;
        if (!LIST_LOOKUPS.includes(lookup)) throw new Error(`<list> lookup "${lookup}" is not one of ${LIST_LOOKUPS.join(", ")}`);
        if (text === "") throw new Error("<list> without a list path");
        const checkValueText = option.attributes.check_value;
        if (lookup.endsWith("_value") && checkValueText === undefined) throw new Error(`<list> lookup "${lookup}" needs a check_value attribute`);
        const checkValue =
          checkValueText !== undefined ? compilePattern(parsePatternType(option.attributes.type, "osregex"), checkValueText) : undefined;
        lists.push({ field, lookup, listPath: text, ...(checkValue ? { checkValue } : {}) });
      } else if (name.startsWith("same_") || name.startsWith("different_")) {
        const different = name.startsWith("different_");
        const suffix = name.slice(different ? "different_".length : "same_".length);
        const fieldName = suffix === "field" ? text : CONTEXT_FIELDS[suffix];
        if (!fieldName) throw new Error(`unknown option <${name}>`);
        if (different) {
          if (differentField !== undefined) throw new Error("only one different_* option per rule is supported");
          differentField = fieldName;
        } else {
          sameFields.push(fieldName);
        }
      } else if (UNSUPPORTED_OPTIONS.has(name)) {
        throw new Error(`option <${name}> is not supported by ThreatLockDown (refused rather than ignored)`);
      } else if (!DESCRIPTIVE_OPTIONS.has(name)) {
        throw new Error(`unknown rule option <${name}>`);
      }
    } catch (error) {
      if (error instanceof RuleLoadError) throw error;
      fail(option.line, `rule ${id}: ${(error as Error).message}`);
    }
  }

  let match: ExpressionCondition | undefined;
  let regex: ExpressionCondition | undefined;
  const staticFields: { option: StaticFieldOption; condition: ExpressionCondition }[] = [];
  for (const [name, option] of repeated) {
    try {
      if (name === "match") match = compileCondition(option, "osmatch", variables);
      else if (name === "regex") regex = compileCondition(option, "osregex", variables);
      else staticFields.push({ option: name as StaticFieldOption, condition: compileCondition(option, "osmatch", variables) });
    } catch (error) {
      fail(option.line, `rule ${id}: ${(error as Error).message}`);
    }
  }
  // Wazuh's evaluation order of the static options.
  staticFields.sort((a, b) => STATIC_FIELD_OPTIONS.indexOf(a.option) - STATIC_FIELD_OPTIONS.indexOf(b.option));

  const hasContext = ifMatchedSid !== undefined || ifMatchedGroups.length > 0;
  if (hasContext && frequency === undefined) {
    // Wazuh's default: one earlier event is enough.
    frequency = 2;
  }
  if (frequency !== undefined && timeframeSeconds === undefined) {
    timeframeSeconds = DEFAULT_TIMEFRAME_SECONDS;
  }
  // As in Wazuh: if_matched_sid / if_matched_group without if_sid / if_group make the rule a child of them.
  if (ifSids.length === 0 && ifGroups.length === 0) {
    if (ifMatchedSid !== undefined) ifSids.push(ifMatchedSid);
    else if (ifMatchedGroups.length > 0) ifGroups.push(...ifMatchedGroups);
  }

  return {
    id,
    level,
    groups: [...new Set(groups)],
    description,
    options,
    noAlert: attrs.noalert !== undefined && attrs.noalert !== "0" && attrs.noalert.toLowerCase() !== "no",
    overwrite: isYes(attrs.overwrite),
    ifSids,
    ifGroups,
    ...(ifLevel !== undefined ? { ifLevel } : {}),
    ...(ifMatchedSid !== undefined ? { ifMatchedSid } : {}),
    ifMatchedGroups,
    ...(frequency !== undefined ? { frequency } : {}),
    ...(timeframeSeconds !== undefined ? { timeframeSeconds } : {}),
    ...(ignoreSeconds !== undefined ? { ignoreSeconds } : {}),
    ...(maxsize !== undefined ? { maxsize } : {}),
    ...(decodedAs !== undefined ? { decodedAs } : {}),
    ...(category !== undefined ? { category } : {}),
    ...(match ? { match } : {}),
    ...(regex ? { regex } : {}),
    staticFields,
    fields,
    ...(srcip ? { srcip } : {}),
    ...(dstip ? { dstip } : {}),
    lists,
    sameFields,
    ...(differentField !== undefined ? { differentField } : {}),
    ...(file !== undefined ? { file } : {}),
    line: element.line,
  };
}

/** Parses one rule file's text. Throws RuleLoadError (file and line) on anything unusable. */
export function parseRuleXml(source: string, file?: string): RuleDefinition[] {
  let elements: XmlElement[];
  try {
    elements = parseXmlFragment(source, file);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new RuleLoadError(file, error.line, error.reason);
    throw error;
  }
  const variables = new Map<string, string>();
  const rules: RuleDefinition[] = [];
  const visit = (element: XmlElement, groups: readonly string[]): void => {
    if (element.name === "var") {
      const name = element.attributes.name;
      if (!name) throw new RuleLoadError(file, element.line, "<var> without a name attribute");
      variables.set(name, element.text);
    } else if (element.name === "group") {
      const names = splitList(element.attributes.name ?? "", /,/);
      for (const child of element.children) visit(child, [...groups, ...names]);
    } else if (element.name === "rule") {
      rules.push(parseRule(element, { groups, variables, ...(file !== undefined ? { file } : {}) }));
    } else {
      throw new RuleLoadError(file, element.line, `unexpected element <${element.name}> (expected <group>, <rule> or <var>)`);
    }
  };
  for (const element of elements) visit(element, []);
  return rules;
}
