// Wazuh/OSSEC pattern languages translated to JavaScript RegExp, compiled once at load time.
//
// - OS_Regex ("osregex", the default of <regex> and <prematch>): a small regex dialect. Only backslash classes
//   (\w \d \s \p \W \D \S \. \t) and the escapes \( \) \\ \$ \| \< exist; + and * are quantifiers only right
//   after a backslash token (after a plain character they are literal characters); ( ) capture, one level only;
//   | separates alternatives (never inside parentheses); ^ and $ anchor an alternative only at its very start /
//   end. Matching ignores case. Quantifiers behave lazily (the matcher moves on as soon as the next token
//   matches, backtracking when that fails) except on the last token of an alternative, where they run to the end
//   of what the class accepts: we translate to lazy JS quantifiers, greedy on the last token.
// - OS_Match ("osmatch", the default of <match>, <program_name>, <url>, ...): plain strings, case-insensitive,
//   | separates alternatives, a leading ^ / trailing $ anchors; no escapes at all.
// - PCRE2 ("pcre2"): passed to JS with the PCRE-only syntax JS lacks rewritten (see translatePcre2).
//
// OS_Regex tries its alternatives one after another, so the first alternative that matches anywhere wins (not the
// leftmost match of any alternative, as in a JS alternation). That matters for captures and for the match end that
// decoders use as an offset, so exec() runs the alternatives in order; test() uses one combined RegExp.

export type PatternType = "osregex" | "osmatch" | "pcre2";

export interface PatternMatch {
  /** Index just past the end of the match in the string given to exec (decoders continue from there). */
  readonly end: number;
  /** Captured substrings in order; undefined for a group that did not take part (PCRE2 only). */
  readonly captures: readonly (string | undefined)[];
}

export interface CompiledPattern {
  readonly type: PatternType;
  /** The pattern as written. */
  readonly source: string;
  /** The JS regular expression it became (for diagnostics). */
  readonly jsSource: string;
  test(subject: string): boolean;
  exec(subject: string): PatternMatch | null;
}

export class PatternSyntaxError extends Error {
  constructor(
    readonly type: PatternType,
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid ${type} pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = "PatternSyntaxError";
  }
}

// Character sets of the OS_Regex classes, as JS character-class bodies.
const WORD = String.raw`A-Za-z0-9\-@_`;
const PUNCT = String.raw`()*+,\-.:;<=>?\[\]!"'#$%&|{}`;
const OS_REGEX_CLASSES: Readonly<Record<string, string>> = {
  w: `[${WORD}]`,
  W: `[^${WORD}]`,
  d: "[0-9]",
  D: "[^0-9]",
  s: "[ ]",
  S: "[^ ]",
  p: `[${PUNCT}]`,
  t: String.raw`\t`,
  ".": String.raw`[\s\S]`,
  "(": String.raw`\(`,
  ")": String.raw`\)`,
  "\\": String.raw`\\`,
  $: String.raw`\$`,
  "|": String.raw`\|`,
  "<": "<",
};

function escapeLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Splits an OS_Regex pattern at its top-level, unescaped `|`. */
function splitOsRegexAlternatives(pattern: string): string[] {
  const alternatives: string[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      depth--;
    } else if (c === "|") {
      if (depth > 0) throw new PatternSyntaxError("osregex", pattern, "'|' inside parentheses");
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  alternatives.push(pattern.slice(start));
  return alternatives;
}

interface TranslatedAlternative {
  readonly js: string;
  readonly groupCount: number;
}

function translateOsRegexAlternative(full: string, alternative: string): TranslatedAlternative {
  let body = alternative;
  let anchoredStart = false;
  let anchoredEnd = false;
  if (body.startsWith("^")) {
    anchoredStart = true;
    body = body.slice(1);
  }
  // A trailing `$` anchors unless it is the escaped `\$` (count the backslashes before it).
  if (body.endsWith("$")) {
    let backslashes = 0;
    for (let i = body.length - 2; i >= 0 && body[i] === "\\"; i--) backslashes++;
    if (backslashes % 2 === 0) {
      anchoredEnd = true;
      body = body.slice(0, -1);
    }
  }

  // Tokenize first so that we know which quantified token is the last one of the alternative.
  interface Token {
    js: string;
    quantifier: "" | "+" | "*";
    kind: "class" | "literal" | "open" | "close";
  }
  const tokens: Token[] = [];
  let depth = 0;
  let groupCount = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      const escaped = body[i + 1];
      if (escaped === undefined) throw new PatternSyntaxError("osregex", full, "trailing backslash");
      const cls = OS_REGEX_CLASSES[escaped];
      if (cls === undefined) throw new PatternSyntaxError("osregex", full, `unknown escape \\${escaped}`);
      i++;
      let quantifier: "" | "+" | "*" = "";
      const next = body[i + 1];
      if (next === "+" || next === "*") {
        quantifier = next;
        i++;
      }
      tokens.push({ js: cls, quantifier, kind: "class" });
    } else if (c === "(") {
      depth++;
      if (depth > 1) throw new PatternSyntaxError("osregex", full, "nested parentheses are not allowed");
      groupCount++;
      tokens.push({ js: "(", quantifier: "", kind: "open" });
    } else if (c === ")") {
      depth--;
      if (depth < 0) throw new PatternSyntaxError("osregex", full, "unbalanced ')'");
      tokens.push({ js: ")", quantifier: "", kind: "close" });
    } else {
      tokens.push({ js: escapeLiteral(c), quantifier: "", kind: "literal" });
    }
  }
  if (depth !== 0) throw new PatternSyntaxError("osregex", full, "unclosed '('");

  // The last token that consumes characters (closing parentheses do not) runs greedily, like OS_Regex does.
  let lastConsuming = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i].kind !== "close") {
      lastConsuming = i;
      break;
    }
  }
  let js = anchoredStart ? "^" : "";
  tokens.forEach((token, index) => {
    js += token.js;
    if (token.quantifier !== "") {
      const lazy = !(index === lastConsuming && !anchoredEnd);
      js += token.quantifier + (lazy ? "?" : "");
    }
  });
  if (anchoredEnd) js += "$";
  return { js, groupCount };
}

class AlternativesPattern implements CompiledPattern {
  constructor(
    readonly type: PatternType,
    readonly source: string,
    readonly jsSource: string,
    private readonly combined: RegExp,
    private readonly alternatives: readonly RegExp[],
  ) {}

  test(subject: string): boolean {
    return this.combined.test(subject);
  }

  exec(subject: string): PatternMatch | null {
    for (const alternative of this.alternatives) {
      const m = alternative.exec(subject);
      if (m) return { end: m.index + m[0].length, captures: m.slice(1) };
    }
    return null;
  }
}

/** Compiles an OS_Regex pattern (case-insensitive, as Wazuh compiles it by default). */
export function compileOsRegex(pattern: string, options: { caseSensitive?: boolean } = {}): CompiledPattern {
  const flags = options.caseSensitive ? "" : "i";
  const parts = splitOsRegexAlternatives(pattern).map((alt) => translateOsRegexAlternative(pattern, alt));
  const jsSource = parts.length === 1 ? parts[0].js : parts.map((p) => `(?:${p.js})`).join("|");
  const combined = new RegExp(jsSource, flags);
  const alternatives = parts.map((p) => new RegExp(p.js, flags));
  return new AlternativesPattern("osregex", pattern, jsSource, combined, alternatives);
}

/** Compiles an OS_Match pattern: case-insensitive substring / prefix / suffix / equality tests. */
export function compileOsMatch(pattern: string, options: { caseSensitive?: boolean } = {}): CompiledPattern {
  const flags = options.caseSensitive ? "" : "i";
  const parts = pattern.split("|").map((alt) => {
    let text = alt;
    const start = text.startsWith("^");
    if (start) text = text.slice(1);
    const end = text.endsWith("$");
    if (end) text = text.slice(0, -1);
    return `${start ? "^" : ""}${escapeLiteral(text)}${end ? "$" : ""}`;
  });
  const jsSource = parts.length === 1 ? parts[0] : parts.map((p) => `(?:${p})`).join("|");
  const combined = new RegExp(jsSource, flags);
  const alternatives = parts.map((p) => new RegExp(p, flags));
  return new AlternativesPattern("osmatch", pattern, jsSource, combined, alternatives);
}

// PCRE2 POSIX bracket classes in JS class-body form.
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "a-zA-Z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: String.raw` \t\n\r\f\v`,
  blank: String.raw` \t`,
  punct: String.raw`!-\/:-@\[-\x60{-~`,
  xdigit: "0-9A-Fa-f",
  word: String.raw`\w`,
  cntrl: String.raw`\x00-\x1f\x7f`,
  print: String.raw`\x20-\x7e`,
  graph: String.raw`\x21-\x7e`,
};

/**
 * Rewrites PCRE2 syntax that JS RegExp lacks into an equivalent (or, where noted, the closest) JS form:
 * leading inline flags (?i)(?s)(?m)(?x) become RegExp flags; (?P<n>…) / (?P=n) named groups; \A \z \Z anchors;
 * \h \H \R; \Q…\E quoting; (?#…) comments; POSIX [[:class:]]; \x{…} and \e escapes. Atomic groups (?>…) and
 * possessive quantifiers (x++ x*+ x?+) lose only their no-backtracking guarantee (same matches in all but
 * contrived patterns); inline flags after the start apply to the whole pattern (JS has no local modifiers). Anything else JS cannot compile is a PatternSyntaxError at load time, never at match time.
 */
export function translatePcre2(pattern: string): { source: string; flags: string } {
  let rest = pattern;
  const flagSet = new Set<string>();
  for (;;) {
    const m = /^\(\?([imsx]+)\)/.exec(rest);
    if (!m) break;
    for (const f of m[1]) flagSet.add(f);
    rest = rest.slice(m[0].length);
  }
  const extended = flagSet.has("x");
  let out = "";
  let inClass = false;
  let needsUnicode = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "\\") {
      const e = rest[i + 1];
      if (e === undefined) throw new PatternSyntaxError("pcre2", pattern, "trailing backslash");
      i++;
      if (e === "Q") {
        const endQuote = rest.indexOf("\\E", i + 1);
        const literal = endQuote === -1 ? rest.slice(i + 1) : rest.slice(i + 1, endQuote);
        out += escapeLiteral(literal);
        i = endQuote === -1 ? rest.length : endQuote + 1;
      } else if (e === "E") {
        // A stray \E (no \Q before it) means nothing in PCRE2.
      } else if (e === "A" && !inClass) {
        out += "(?<![\\s\\S])";
      } else if (e === "z" && !inClass) {
        out += "(?![\\s\\S])";
      } else if (e === "Z" && !inClass) {
        out += "(?=\\n?(?![\\s\\S]))";
      } else if (e === "h") {
        out += inClass ? " \\t" : "[ \\t]";
      } else if (e === "H" && !inClass) {
        out += "[^ \\t]";
      } else if (e === "R" && !inClass) {
        out += "(?:\\r\\n|\\n|\\r)";
      } else if (e === "e") {
        out += "\\x1b";
      } else if (e === "x" && rest[i + 1] === "{") {
        const close = rest.indexOf("}", i);
        if (close === -1) throw new PatternSyntaxError("pcre2", pattern, "unterminated \\x{");
        const code = Number.parseInt(rest.slice(i + 2, close), 16);
        if (!Number.isFinite(code)) throw new PatternSyntaxError("pcre2", pattern, "bad \\x{} escape");
        out += code <= 0xffff ? `\\u${code.toString(16).padStart(4, "0")}` : String.fromCodePoint(code);
        i = close;
      } else if (e === "p" || e === "P") {
        needsUnicode = true;
        out += `\\${e}`;
      } else {
        out += `\\${e}`;
      }
      continue;
    }
    if (inClass) {
      if (c === "[" && rest[i + 1] === ":") {
        const close = rest.indexOf(":]", i + 2);
        if (close !== -1) {
          let name = rest.slice(i + 2, close);
          const negated = name.startsWith("^");
          if (negated) throw new PatternSyntaxError("pcre2", pattern, "negated POSIX classes are not supported");
          name = name.trim();
          const body = POSIX_CLASSES[name];
          if (body === undefined) throw new PatternSyntaxError("pcre2", pattern, `unknown POSIX class [:${name}:]`);
          out += body;
          i = close + 1;
          continue;
        }
      }
      if (c === "]") inClass = false;
      out += c === "[" ? "\\[" : c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in PCRE2; JS needs it escaped.
      if (rest[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (rest[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(" && rest[i + 1] === "?") {
      if (rest[i + 2] === "#") {
        const close = rest.indexOf(")", i);
        i = close === -1 ? rest.length : close;
        continue;
      }
      if (rest[i + 2] === "P" && rest[i + 3] === "<") {
        out += "(?<";
        i += 3;
        continue;
      }
      if (rest[i + 2] === "P" && rest[i + 3] === "=") {
        const close = rest.indexOf(")", i);
        out += `\\k<${rest.slice(i + 4, close)}>`;
        i = close;
        continue;
      }
      if (rest[i + 2] === ">") {
        out += "(?:";
        i += 2;
        continue;
      }
      // Inline flags after the start, `(?i)` or scoped `(?i:...)`: JS (Node 20) has no local modifiers, so the
      // flag is applied to the whole pattern. That can only widen what matches (e.g. case-insensitive earlier).
      const inline = /^\(\?([imsx]+)(\)|:)/.exec(rest.slice(i));
      if (inline) {
        if (inline[1].includes("x")) throw new PatternSyntaxError("pcre2", pattern, "(?x) is only supported at the start");
        for (const f of inline[1]) flagSet.add(f);
        if (inline[2] === ":") out += "(?:";
        i += inline[0].length - 1;
        continue;
      }
    }
    if ((c === "+" || c === "?" || c === "*" || c === "}") && rest[i + 1] === "+") {
      out += c;
      i++;
      continue;
    }
    if (extended) {
      if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
      if (c === "#") {
        const newline = rest.indexOf("\n", i);
        i = newline === -1 ? rest.length : newline;
        continue;
      }
    }
    out += c;
  }
  let flags = "";
  if (flagSet.has("i")) flags += "i";
  if (flagSet.has("m")) flags += "m";
  if (flagSet.has("s")) flags += "s";
  if (needsUnicode) flags += "u";
  return { source: out, flags };
}

class SingleRegExpPattern implements CompiledPattern {
  readonly jsSource: string;
  constructor(
    readonly type: PatternType,
    readonly source: string,
    private readonly regexp: RegExp,
  ) {
    this.jsSource = regexp.source;
  }

  test(subject: string): boolean {
    return this.regexp.test(subject);
  }

  exec(subject: string): PatternMatch | null {
    const m = this.regexp.exec(subject);
    return m ? { end: m.index + m[0].length, captures: m.slice(1) } : null;
  }
}

export function compilePcre2(pattern: string): CompiledPattern {
  const { source, flags } = translatePcre2(pattern);
  let regexp: RegExp;
  try {
    regexp = new RegExp(source, flags);
  } catch (error) {
    throw new PatternSyntaxError("pcre2", pattern, (error as Error).message);
  }
  return new SingleRegExpPattern("pcre2", pattern, regexp);
}

/** Maps the `type` attribute Wazuh accepts on pattern elements to our pattern types. */
export function parsePatternType(value: string | undefined, fallback: PatternType): PatternType {
  if (value === undefined || value === "") return fallback;
  const v = value.toLowerCase();
  if (v === "osregex" || v === "regex") return "osregex";
  if (v === "osmatch" || v === "sregex" || v === "match") return "osmatch";
  if (v === "pcre2") return "pcre2";
  throw new PatternSyntaxError(fallback, value, `unknown pattern type "${value}" (osregex, osmatch or pcre2)`);
}

export function compilePattern(type: PatternType, pattern: string): CompiledPattern {
  switch (type) {
    case "osregex":
      return compileOsRegex(pattern);
    case "osmatch":
      return compileOsMatch(pattern);
    case "pcre2":
      return compilePcre2(pattern);
  }
}
