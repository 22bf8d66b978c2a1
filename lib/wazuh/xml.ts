// A small XML reader for Wazuh ruleset files. Those files are not well-formed XML documents: they hold several
// top-level elements, and patterns may carry `\<` (OS_Regex's escaped "<") or a bare "<" that is not a tag. So this
// reader accepts a sequence of top-level elements, treats a "<" that cannot start a tag as text, decodes the five
// standard entities and character references, skips comments, processing instructions and DOCTYPE, keeps CDATA
// verbatim, and reports every structural error with its line number.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text directly inside the element (entities decoded, not trimmed). */
  readonly text: string;
  /** 1-based line of the element's start tag. */
  readonly line: number;
}

export class XmlSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly file?: string,
  ) {
    super(`${file ?? "<xml>"}:${line}: ${reason}`);
    this.name = "XmlSyntaxError";
  }
}

interface MutableElement {
  name: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
  line: number;
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;

function decodeEntities(text: string, line: number, file?: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);|&/g, (whole, entity: string | undefined) => {
    if (entity === undefined) return whole; // a bare "&": Wazuh patterns use it literally
    switch (entity) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    throw new XmlSyntaxError(line, `unknown entity &${entity};`, file);
  });
}

/** Parses a Wazuh-style XML file body into its top-level elements. */
export function parseXmlFragment(source: string, file?: string): XmlElement[] {
  const roots: MutableElement[] = [];
  const stack: MutableElement[] = [];
  let line = 1;
  let i = 0;
  const n = source.length;

  const advanceTo = (target: number): void => {
    for (let k = i; k < target; k++) if (source.charCodeAt(k) === 10) line++;
    i = target;
  };
  const appendText = (text: string, textLine: number): void => {
    const top = stack[stack.length - 1];
    if (top) {
      top.text += decodeEntities(text, textLine, file);
    } else if (text.trim() !== "") {
      throw new XmlSyntaxError(textLine, `text outside any element: ${JSON.stringify(text.trim().slice(0, 40))}`, file);
    }
  };

  while (i < n) {
    const lt = source.indexOf("<", i);
    if (lt === -1) {
      appendText(source.slice(i), line);
      advanceTo(n);
      break;
    }
    if (lt > i) {
      const textLine = line;
      const text = source.slice(i, lt);
      advanceTo(lt);
      appendText(text, textLine);
    }
    // i === lt
    if (source.startsWith("<!--", i)) {
      const end = source.indexOf("-->", i + 4);
      if (end === -1) throw new XmlSyntaxError(line, "unterminated comment", file);
      advanceTo(end + 3);
      continue;
    }
    if (source.startsWith("<![CDATA[", i)) {
      const end = source.indexOf("]]>", i + 9);
      if (end === -1) throw new XmlSyntaxError(line, "unterminated CDATA section", file);
      const top = stack[stack.length - 1];
      if (!top) throw new XmlSyntaxError(line, "CDATA outside any element", file);
      top.text += source.slice(i + 9, end);
      advanceTo(end + 3);
      continue;
    }
    if (source.startsWith("<?", i)) {
      const end = source.indexOf("?>", i + 2);
      if (end === -1) throw new XmlSyntaxError(line, "unterminated processing instruction", file);
      advanceTo(end + 2);
      continue;
    }
    if (source.startsWith("<!", i)) {
      const end = source.indexOf(">", i + 2);
      if (end === -1) throw new XmlSyntaxError(line, "unterminated declaration", file);
      advanceTo(end + 1);
      continue;
    }
    // An escaped `\<` inside a pattern is text.
    const escaped = i > 0 && source[i - 1] === "\\";
    if (source[i + 1] === "/" && !escaped) {
      const end = source.indexOf(">", i + 2);
      if (end === -1) throw new XmlSyntaxError(line, "unterminated closing tag", file);
      const name = source.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top) throw new XmlSyntaxError(line, `closing tag </${name}> without an opening tag`, file);
      if (top.name !== name) {
        throw new XmlSyntaxError(line, `closing tag </${name}> does not match <${top.name}> (line ${top.line})`, file);
      }
      advanceTo(end + 1);
      continue;
    }
    if (escaped || !NAME_START.test(source[i + 1] ?? "")) {
      // Not a tag: a literal "<" in a pattern.
      appendText("<", line);
      advanceTo(i + 1);
      continue;
    }
    // Start tag.
    const tagLine = line;
    let j = i + 1;
    while (j < n && NAME_CHAR.test(source[j])) j++;
    const name = source.slice(i + 1, j);
    const attributes: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      while (j < n && /\s/.test(source[j])) j++;
      if (j >= n) throw new XmlSyntaxError(tagLine, `unterminated start tag <${name}>`, file);
      if (source[j] === ">") {
        j++;
        break;
      }
      if (source[j] === "/" && source[j + 1] === ">") {
        selfClosing = true;
        j += 2;
        break;
      }
      const attrStart = j;
      while (j < n && NAME_CHAR.test(source[j])) j++;
      const attrName = source.slice(attrStart, j);
      if (attrName === "") throw new XmlSyntaxError(tagLine, `unexpected ${JSON.stringify(source[j])} in <${name}>`, file);
      while (j < n && /\s/.test(source[j])) j++;
      if (source[j] !== "=") {
        attributes[attrName] = ""; // attribute without a value (`<rule noalert ...>` style)
        continue;
      }
      j++;
      while (j < n && /\s/.test(source[j])) j++;
      const quote = source[j];
      if (quote !== '"' && quote !== "'") {
        // Unquoted value: up to whitespace or tag end.
        const valueStart = j;
        while (j < n && !/[\s>]/.test(source[j]) && !(source[j] === "/" && source[j + 1] === ">")) j++;
        attributes[attrName] = decodeEntities(source.slice(valueStart, j), tagLine, file);
        continue;
      }
      const valueEnd = source.indexOf(quote, j + 1);
      if (valueEnd === -1) throw new XmlSyntaxError(tagLine, `unterminated attribute ${attrName} in <${name}>`, file);
      attributes[attrName] = decodeEntities(source.slice(j + 1, valueEnd), tagLine, file);
      j = valueEnd + 1;
    }
    const element: MutableElement = { name, attributes, children: [], text: "", line: tagLine };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else roots.push(element);
    if (!selfClosing) stack.push(element);
    advanceTo(j);
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    throw new XmlSyntaxError(open.line, `element <${open.name}> is never closed`, file);
  }
  return roots;
}

/**
 * Applies Wazuh `<var name="X">value</var>` definitions: `$X` in later text is replaced by the value. Only names
 * that were defined are replaced, so a `$` end anchor or an escaped `\$` is left alone.
 */
export function substituteVariables(text: string, variables: ReadonlyMap<string, string>): string {
  if (variables.size === 0 || !text.includes("$")) return text;
  return text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => variables.get(name) ?? whole);
}
