// The decode step, following Wazuh's order: pre-decode the syslog header; among the decoders without a parent
// (those with a <program_name> first when the line has a program name, then the others, each group in load order)
// the first whose program_name and prematch match is the parent; among its children (load order) the first whose
// prematch matches (or that has none) is chosen, and every later child with the same name (a "sibling") is applied
// too, each adding fields. When no child matches, the parent alone decodes the line.
import { DecoderLoadError, type DecoderDefinition, type DecoderOffset } from "./decoders.js";
import { flattenJson } from "./json.js";
import { preDecode, type PreDecodedEvent } from "../../../lib/wazuh/predecode.js";

export interface DecodeResult {
  readonly preDecoded: PreDecodedEvent;
  /** Reported decoder name (a child reports its parent's name unless it has use_own_name), null when undecoded. */
  readonly decoder: string | null;
  /** The parent decoder's name when a child decoded the line. */
  readonly parent: string | null;
  /** Wazuh's decoder type, which root rules filter on with <category>; "syslog" when the decoder has none. */
  readonly category: string;
  /** Extracted fields, by Wazuh's names (srcip, url, id, …) and any dynamic names the decoders' <order> gives. */
  readonly fields: Record<string, string>;
}

interface DecoderNode {
  readonly definition: DecoderDefinition;
  readonly category: string;
  readonly children: DecoderNode[];
}

const DEFAULT_CATEGORY = "syslog";

export class DecoderEngine {
  private readonly parentsWithProgramName: DecoderNode[] = [];
  private readonly parentsWithoutProgramName: DecoderNode[] = [];
  /** Decoders by reported name, for consumers that need a decoder's category (e.g. the rule engine). */
  private readonly categoryByName = new Map<string, string>();

  constructor(definitions: readonly DecoderDefinition[]) {
    const parentsByName = new Map<string, DecoderNode>();
    for (const definition of definitions) {
      if (definition.parent) continue;
      const node: DecoderNode = { definition, category: definition.type ?? DEFAULT_CATEGORY, children: [] };
      // Children attach to the first parent of that name, as in Wazuh.
      if (!parentsByName.has(definition.name)) parentsByName.set(definition.name, node);
      (definition.programName ? this.parentsWithProgramName : this.parentsWithoutProgramName).push(node);
      if (!this.categoryByName.has(definition.name)) this.categoryByName.set(definition.name, node.category);
    }
    for (const definition of definitions) {
      if (!definition.parent) continue;
      const parent = parentsByName.get(definition.parent);
      if (!parent) {
        throw new DecoderLoadError(definition.file, definition.line, `decoder "${definition.name}": parent "${definition.parent}" not found`);
      }
      const category = definition.type ?? parent.category;
      parent.children.push({ definition, category, children: [] });
      if (definition.useOwnName && !this.categoryByName.has(definition.name)) this.categoryByName.set(definition.name, category);
    }
  }

  /** The category (type) of the decoder reported under `name`, for events decoded elsewhere. */
  categoryOf(decoderName: string | null | undefined): string {
    return (decoderName && this.categoryByName.get(decoderName)) || DEFAULT_CATEGORY;
  }

  /** Decodes one line (syslog header pre-decoding included). Never throws on input. */
  decode(line: string): DecodeResult {
    return this.decodePreDecoded(preDecode(line));
  }

  decodePreDecoded(event: PreDecodedEvent): DecodeResult {
    const log = event.log;
    const programName = event.programName;
    if (programName !== undefined) {
      const result = this.tryParents(this.parentsWithProgramName, event, log, programName);
      if (result) return result;
    }
    return this.tryParents(this.parentsWithoutProgramName, event, log, programName) ?? {
      preDecoded: event,
      decoder: null,
      parent: null,
      category: DEFAULT_CATEGORY,
      fields: {},
    };
  }

  private tryParents(parents: readonly DecoderNode[], event: PreDecodedEvent, log: string, programName: string | undefined): DecodeResult | null {
    for (const parent of parents) {
      const def = parent.definition;
      if (def.programName && (programName === undefined || !def.programName.test(programName))) continue;
      let parentEnd = 0;
      if (def.prematch) {
        const m = def.prematch.exec(log);
        if (!m) continue;
        parentEnd = m.end;
      }
      return this.decodeWithParent(parent, event, log, programName, parentEnd);
    }
    return null;
  }

  private decodeWithParent(parent: DecoderNode, event: PreDecodedEvent, log: string, programName: string | undefined, parentEnd: number): DecodeResult {
    const fields: Record<string, string> = {};
    const children = parent.children;
    let chosenIndex = -1;
    let chosenPrematchEnd = parentEnd;
    for (let i = 0; i < children.length; i++) {
      const end = this.childPrematchEnd(children[i].definition, log, programName, parentEnd);
      if (end >= 0) {
        chosenIndex = i;
        chosenPrematchEnd = end;
        break;
      }
    }
    if (chosenIndex === -1) {
      this.extract(parent.definition, log, parentEnd, parentEnd, -1, fields);
      return { preDecoded: event, decoder: parent.definition.name, parent: null, category: parent.category, fields };
    }
    const chosen = children[chosenIndex];
    let previousRegexEnd = this.extract(chosen.definition, log, parentEnd, chosenPrematchEnd, -1, fields);
    for (let i = chosenIndex + 1; i < children.length; i++) {
      const sibling = children[i].definition;
      if (sibling.name !== chosen.definition.name) continue;
      const end = this.childPrematchEnd(sibling, log, programName, parentEnd);
      if (end < 0) continue;
      const regexEnd = this.extract(sibling, log, parentEnd, end, previousRegexEnd, fields);
      if (regexEnd >= 0) previousRegexEnd = regexEnd;
    }
    const reportedName = chosen.definition.useOwnName ? chosen.definition.name : parent.definition.name;
    return { preDecoded: event, decoder: reportedName, parent: parent.definition.name, category: chosen.category, fields };
  }

  /** Where a child's prematch ended (parentEnd when it has none), or -1 when the child does not apply. */
  private childPrematchEnd(child: DecoderDefinition, log: string, programName: string | undefined, parentEnd: number): number {
    if (child.programName && (programName === undefined || !child.programName.test(programName))) return -1;
    if (!child.prematch) return parentEnd;
    const base = child.prematchOffset === "after_parent" ? parentEnd : 0;
    const m = child.prematch.exec(base === 0 ? log : log.slice(base));
    return m ? base + m.end : -1;
  }

  /** Runs a decoder's regex or plugin, adding fields; returns where the regex match ended, -1 when none ran. */
  private extract(
    def: DecoderDefinition,
    log: string,
    parentEnd: number,
    prematchEnd: number,
    previousRegexEnd: number,
    fields: Record<string, string>,
  ): number {
    if (def.plugin) {
      const start = offsetPosition(def.plugin.offset, parentEnd, prematchEnd, previousRegexEnd);
      if (start >= 0) flattenJson(log.slice(start), fields);
      return -1;
    }
    if (!def.regex) return -1;
    const start = offsetPosition(def.regexOffset, parentEnd, prematchEnd, previousRegexEnd);
    if (start < 0) return -1;
    const m = def.regex.exec(start === 0 ? log : log.slice(start));
    if (!m) return -1;
    const order = def.order;
    const captures = m.captures;
    const n = Math.min(order.length, captures.length);
    for (let i = 0; i < n; i++) {
      const value = captures[i];
      if (value !== undefined) fields[order[i]] = value;
    }
    return start + m.end;
  }
}

function offsetPosition(offset: DecoderOffset, parentEnd: number, prematchEnd: number, previousRegexEnd: number): number {
  switch (offset) {
    case "start":
      return 0;
    case "after_parent":
      return parentEnd;
    case "after_prematch":
      return prematchEnd;
    case "after_regex":
      return previousRegexEnd; // -1 when no earlier sibling regex matched: the regex is skipped, as in Wazuh
  }
}
