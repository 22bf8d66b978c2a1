// The Threat Hunting query language, parsed into a tree (no I/O, no SQL: compile.ts turns the tree into SQL).
// It is the DQL/Lucene dialect Wazuh and Kibana users already type:
//   rule.id:651                       field:value (exact for keyword fields, "contains" for text fields)
//   rule.id:(651 OR 100100)           several values of one field, with and/or/not and parentheses
//   agent.name:ubuntu and not data.srcip:10.0.0.1     and / or / not in any case; adjacent terms mean AND
//   "Failed password"                 a quoted phrase (wildcards are literal inside quotes)
//   data.url:/admin*  agent.name:web-??                wildcards * and ?; backslash escapes one character
//   rule.level >= 10  rule.level:>=10 rule.level:[5 TO 10]  rule.level:{5 TO *]    comparisons and ranges
//   data.srcip:*                      the field is present
//   sshd                              free text: searched in full_log and rule.description
// Precedence: NOT binds tightest, then AND, then OR. Errors carry the 0-based offset into the query.

export class QueryError extends Error {
  constructor(
    message: string,
    /** 0-based offset of the offending character in the query (its length when the query ended too early). */
    readonly position: number,
  ) {
    super(message);
    this.name = "QueryError";
  }
}

/** A value as typed: literal pieces and wildcards, already unescaped. */
export interface Value {
  /** Literal text and the wildcards "*" / "?" in order; a literal piece is never a wildcard. */
  readonly parts: readonly (string | Wildcard)[];
  readonly quoted: boolean;
  /** Offset of the value's first character in the query. */
  readonly position: number;
}

export interface Wildcard {
  readonly wildcard: "*" | "?";
}

export type Comparator = ">" | ">=" | "<" | "<=";

export type QueryNode =
  | { readonly kind: "all" }
  | { readonly kind: "and" | "or"; readonly children: readonly QueryNode[] }
  | { readonly kind: "not"; readonly child: QueryNode }
  | { readonly kind: "match"; readonly field: FieldRef; readonly value: Value }
  | { readonly kind: "compare"; readonly field: FieldRef; readonly op: Comparator; readonly value: Value }
  | {
      readonly kind: "range";
      readonly field: FieldRef;
      /** null: open (`*`). */
      readonly lower: Value | null;
      readonly upper: Value | null;
      readonly lowerInclusive: boolean;
      readonly upperInclusive: boolean;
    }
  | { readonly kind: "exists"; readonly field: FieldRef }
  | { readonly kind: "text"; readonly value: Value };

export interface FieldRef {
  readonly name: string;
  readonly position: number;
}

/** The literal text of a value, wildcards written back as * and ?. */
export function valueText(value: Value): string {
  return value.parts.map((p) => (typeof p === "string" ? p : p.wildcard)).join("");
}

export function hasWildcard(value: Value): boolean {
  return value.parts.some((p) => typeof p !== "string");
}

/** The longest query accepted: a query is typed by a person, and a longer one is more likely an attack. */
export const MAX_QUERY_LENGTH = 4096;
const MAX_DEPTH = 64;

type Keyword = "and" | "or" | "not" | "to";

/** Characters that end a bare word wherever it stands. */
const WORD_END = new Set([" ", "\t", "\n", "\r", "(", ")", '"']);
/** A field name ends also at what introduces its value. */
const FIELD_END = new Set([...WORD_END, ":", "<", ">", "="]);

export function parseQuery(query: string): QueryNode {
  if (query.length > MAX_QUERY_LENGTH) throw new QueryError(`the query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  return new Parser(query).parse();
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly q: string) {}

  parse(): QueryNode {
    this.skipSpace();
    if (this.atEnd()) return { kind: "all" };
    const node = this.parseOr(false);
    this.skipSpace();
    if (!this.atEnd()) {
      throw new QueryError(this.q[this.i] === ")" ? "unexpected ) with no ( to close" : `unexpected ${this.describeHere()}`, this.i);
    }
    return node;
  }

  // ------------------------------------------------------------ boolean structure (shared by terms and values)

  /** `field` set: inside `field:( … )`, where every operand is a value of that field. */
  private parseOr(inValues: boolean, field?: FieldRef): QueryNode {
    const children = [this.parseAnd(inValues, field)];
    while (this.peekKeyword("or")) {
      const at = this.consumeKeyword();
      children.push(this.parseAnd(inValues, field, `after OR at ${at}`));
    }
    return children.length === 1 ? children[0] : { kind: "or", children };
  }

  private parseAnd(inValues: boolean, field: FieldRef | undefined, context?: string): QueryNode {
    const children = [this.parseNot(inValues, field, context)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.q[this.i] === ")" || this.peekKeyword("or")) break;
      if (this.peekKeyword("and")) {
        const at = this.consumeKeyword();
        children.push(this.parseNot(inValues, field, `after AND at ${at}`));
      } else {
        children.push(this.parseNot(inValues, field)); // adjacent terms: AND
      }
    }
    return children.length === 1 ? children[0] : { kind: "and", children };
  }

  private parseNot(inValues: boolean, field: FieldRef | undefined, context?: string): QueryNode {
    this.skipSpace();
    if (this.peekKeyword("not")) {
      const at = this.consumeKeyword();
      return { kind: "not", child: this.nested(() => this.parseNot(inValues, field, `after NOT at ${at}`)) };
    }
    return inValues ? this.parseValueOperand(field!, context) : this.parseTerm(context);
  }

  private group(inValues: boolean, field?: FieldRef): QueryNode {
    const open = this.i;
    this.i++; // (
    this.skipSpace();
    if (this.q[this.i] === ")") throw new QueryError("empty parentheses", this.i);
    const node = this.nested(() => this.parseOr(inValues, field));
    this.skipSpace();
    if (this.q[this.i] !== ")") {
      throw new QueryError(this.atEnd() ? `missing ) to close the ( at ${open}` : `expected ) to close the ( at ${open}, found ${this.describeHere()}`, this.i);
    }
    this.i++;
    return node;
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new QueryError(`the query nests deeper than ${MAX_DEPTH} levels`, this.i);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  // ------------------------------------------------------------ terms

  private parseTerm(context?: string): QueryNode {
    this.skipSpace();
    this.expectOperand(context);
    const c = this.q[this.i];
    if (c === "(") return this.group(false);
    if (c === '"') return { kind: "text", value: this.quoted() };
    const start = this.i;
    const word = this.readWord(FIELD_END);
    if (word.parts.length === 0) throw new QueryError(`unexpected ${this.describeHere()}`, this.i);
    const afterWord = this.i;
    this.skipSpace();
    const next = this.q[this.i];
    const comparator = this.peekComparator();
    if (next === ":" || comparator) {
      if (word.quoted || hasWildcard(word) || !/^[A-Za-z_@][\w.@-]*$/.test(valueText(word))) {
        throw new QueryError(`${JSON.stringify(this.q.slice(start, afterWord))} is not a field name`, start);
      }
      const field: FieldRef = { name: valueText(word), position: start };
      if (comparator) return this.comparison(field, comparator);
      this.i++; // :
      return this.fieldValue(field);
    }
    if (next === "=") throw new QueryError("use field:value (or >, >=, <, <=), not =", this.i);
    this.i = afterWord;
    return { kind: "text", value: word };
  }

  /** What follows `field:`. */
  private fieldValue(field: FieldRef): QueryNode {
    this.skipSpace();
    if (this.atEnd()) throw new QueryError(`expected a value after ${field.name}:`, this.i);
    const c = this.q[this.i];
    if (c === "(") return this.group(true, field);
    if (c === "[" || c === "{") return this.range(field);
    const comparator = this.peekComparator();
    if (comparator) return this.comparison(field, comparator);
    if (c === ")") throw new QueryError(`expected a value after ${field.name}:`, this.i);
    const value = c === '"' ? this.quoted() : this.readWord(WORD_END);
    if (!value.quoted && value.parts.length === 1 && typeof value.parts[0] !== "string" && value.parts[0].wildcard === "*") {
      return { kind: "exists", field };
    }
    return { kind: "match", field, value };
  }

  /** An operand inside `field:( … )`: a value, or a nested group of values. */
  private parseValueOperand(field: FieldRef, context?: string): QueryNode {
    this.skipSpace();
    if (this.atEnd()) throw new QueryError(`expected a value of ${field.name}${context ? ` ${context}` : ""}`, this.i);
    const c = this.q[this.i];
    if (c === "(") return this.group(true, field);
    if (c === ")") throw new QueryError(`expected a value of ${field.name}${context ? ` ${context}` : ""}, found )`, this.i);
    this.expectOperand(context);
    const value = c === '"' ? this.quoted() : this.readWord(WORD_END);
    if (value.parts.length === 0) throw new QueryError(`unexpected ${this.describeHere()}`, this.i);
    return { kind: "match", field, value };
  }

  private comparison(field: FieldRef, op: Comparator): QueryNode {
    this.i += op.length;
    this.skipSpace();
    if (this.atEnd() || this.q[this.i] === ")") throw new QueryError(`expected a value after ${field.name} ${op}`, this.i);
    const value = this.q[this.i] === '"' ? this.quoted() : this.readWord(WORD_END);
    if (value.parts.length === 0) throw new QueryError(`expected a value after ${field.name} ${op}, found ${this.describeHere()}`, this.i);
    if (hasWildcard(value)) throw new QueryError(`a comparison takes one value, not a wildcard pattern`, value.position);
    return { kind: "compare", field, op, value };
  }

  /** `[a TO b]`, `{a TO b}`, mixed brackets; `*` is an open end. */
  private range(field: FieldRef): QueryNode {
    const open = this.i;
    const lowerInclusive = this.q[this.i] === "[";
    this.i++;
    const bound = (what: string): Value | null => {
      this.skipSpace();
      if (this.atEnd()) throw new QueryError(`expected the ${what} bound of the range opened at ${open}`, this.i);
      const value = this.q[this.i] === '"' ? this.quoted() : this.readWord(new Set([...WORD_END, "]", "}"]));
      if (value.parts.length === 0) throw new QueryError(`expected the ${what} bound of the range opened at ${open}, found ${this.describeHere()}`, this.i);
      if (!value.quoted && value.parts.length === 1 && typeof value.parts[0] !== "string" && value.parts[0].wildcard === "*") return null;
      if (hasWildcard(value)) throw new QueryError("a range bound is one value or *, not a wildcard pattern", value.position);
      return value;
    };
    const lower = bound("lower");
    this.skipSpace();
    if (!this.peekKeyword("to")) throw new QueryError(`expected TO in the range opened at ${open}`, this.i);
    this.consumeKeyword();
    const upper = bound("upper");
    this.skipSpace();
    const close = this.q[this.i];
    if (close !== "]" && close !== "}") throw new QueryError(`expected ] or } to close the range opened at ${open}`, this.i);
    this.i++;
    return { kind: "range", field, lower, upper, lowerInclusive, upperInclusive: close === "]" };
  }

  // ------------------------------------------------------------ lexical pieces

  private quoted(): Value {
    const start = this.i;
    this.i++; // "
    let text = "";
    while (!this.atEnd() && this.q[this.i] !== '"') {
      if (this.q[this.i] === "\\" && this.i + 1 < this.q.length) this.i++;
      text += this.q[this.i++];
    }
    if (this.atEnd()) throw new QueryError("unterminated quoted phrase", start);
    this.i++; // "
    return { parts: text ? [text] : [], quoted: true, position: start };
  }

  /** A bare word up to one of `end`: `*` and `?` are wildcards, a backslash makes the next character literal. */
  private readWord(end: Set<string>): Value {
    const start = this.i;
    const parts: (string | Wildcard)[] = [];
    let literal = "";
    while (!this.atEnd() && !end.has(this.q[this.i])) {
      const c = this.q[this.i];
      if (c === "\\") {
        if (this.i + 1 >= this.q.length) throw new QueryError("a backslash must be followed by the character it escapes", this.i);
        literal += this.q[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === "*" || c === "?") {
        if (literal) parts.push(literal);
        literal = "";
        parts.push({ wildcard: c });
      } else {
        literal += c;
      }
      this.i++;
    }
    if (literal) parts.push(literal);
    return { parts, quoted: false, position: start };
  }

  private expectOperand(context?: string): void {
    if (this.atEnd()) throw new QueryError(`expected a search term${context ? ` ${context}` : ""}`, this.i);
    for (const keyword of ["and", "or"] as const) {
      if (this.peekKeyword(keyword)) throw new QueryError(`${keyword.toUpperCase()} needs a search term before it`, this.i);
    }
    if (this.q[this.i] === ")") throw new QueryError(`expected a search term${context ? ` ${context}` : ""}, found )`, this.i);
  }

  private peekComparator(): Comparator | null {
    const two = this.q.slice(this.i, this.i + 2);
    if (two === ">=" || two === "<=") return two;
    const one = this.q[this.i];
    return one === ">" || one === "<" ? one : null;
  }

  /** A keyword stands alone: "or" in "order" or "or:" is not one. */
  private peekKeyword(keyword: Keyword): boolean {
    this.skipSpace();
    const word = this.q.slice(this.i, this.i + keyword.length);
    if (word.toLowerCase() !== keyword) return false;
    const after = this.q[this.i + keyword.length];
    return after === undefined || WORD_END.has(after) || ((keyword === "to" || keyword === "not") && (after === "]" || after === "}"));
  }

  private consumeKeyword(): number {
    const at = this.i;
    while (!this.atEnd() && /[A-Za-z]/.test(this.q[this.i])) this.i++;
    return at;
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.q[this.i])) this.i++;
  }

  private atEnd(): boolean {
    return this.i >= this.q.length;
  }

  private describeHere(): string {
    return this.atEnd() ? "end of query" : JSON.stringify(this.q[this.i]);
  }
}

