import { test } from "node:test";
import assert from "node:assert/strict";
import { compileOsMatch, compileOsRegex, compilePattern, compilePcre2, parsePatternType, PatternSyntaxError, translatePcre2 } from "./regex.js";

test("OS_Regex classes: \\w covers letters, digits, - @ _ and nothing else", () => {
  const word = compileOsRegex("^\\w+$");
  for (const ok of ["abc", "A-b_c@d", "123"]) assert.equal(word.test(ok), true, ok);
  for (const bad of ["a b", "a.b", "a/b", ""]) assert.equal(word.test(bad), false, bad);
});

test("OS_Regex classes: \\d \\s \\t \\p and their negations", () => {
  assert.equal(compileOsRegex("^\\d\\d\\d$").test("404"), true);
  assert.equal(compileOsRegex("^\\d\\d\\d$").test("4o4"), false);
  // \s is the space character only; a tab is \t
  assert.equal(compileOsRegex("a\\sb").test("a b"), true);
  assert.equal(compileOsRegex("a\\sb").test("a\tb"), false);
  assert.equal(compileOsRegex("a\\tb").test("a\tb"), true);
  assert.equal(compileOsRegex("^\\p+$").test("()*+,-.:;<=>?[]!\"'#$%&|{}"), true);
  assert.equal(compileOsRegex("^\\p$").test("/"), false);
  assert.equal(compileOsRegex("^\\W\\D\\S$").test("!a-"), true);
  assert.equal(compileOsRegex("^\\S$").test(" "), false);
});

test("OS_Regex \\. matches any character, a plain . is a literal dot", () => {
  assert.equal(compileOsRegex("^a\\.c$").test("a-c"), true);
  assert.equal(compileOsRegex("^a.c$").test("a-c"), false);
  assert.equal(compileOsRegex("^a.c$").test("a.c"), true);
});

test("OS_Regex escapes \\$ \\( \\) \\\\ \\| \\< are literals", () => {
  assert.equal(compileOsRegex("cost \\$5").test("cost $5"), true);
  assert.equal(compileOsRegex("^f\\(x\\)$").test("f(x)"), true);
  assert.equal(compileOsRegex("^a\\\\b$").test("a\\b"), true);
  assert.equal(compileOsRegex("^a\\|b$").test("a|b"), true);
  assert.equal(compileOsRegex("^a\\|b$").test("a"), false);
  assert.equal(compileOsRegex("^\\<tag>").test("<tag>"), true);
});

test("OS_Regex + and * quantify only a backslash token; after a plain character they are literal", () => {
  assert.equal(compileOsRegex("^\\d+$").test("12345"), true);
  assert.equal(compileOsRegex("^x\\d*y$").test("xy"), true);
  assert.equal(compileOsRegex("^a+$").test("a+"), true);
  assert.equal(compileOsRegex("^a+$").test("aaa"), false);
  assert.equal(compileOsRegex("^a*b$").test("a*b"), true);
});

test("OS_Regex ^ and $ anchor only at the ends of an alternative, literal elsewhere", () => {
  assert.equal(compileOsRegex("^abc").test("xabc"), false);
  assert.equal(compileOsRegex("abc$").test("abcx"), false);
  assert.equal(compileOsRegex("a^b").test("a^b"), true);
  assert.equal(compileOsRegex("a$b").test("a$b"), true);
});

test("OS_Regex | separates alternatives, each with its own anchors", () => {
  const p = compileOsRegex("^GET|POST$");
  assert.equal(p.test("GET /"), true);
  assert.equal(p.test("x POST"), true);
  assert.equal(p.test("x GET"), false);
});

test("OS_Regex ignores case in the pattern and the subject", () => {
  assert.equal(compileOsRegex("failed password").test("FAILED Password for root"), true);
});

test("OS_Regex captures; quantifiers stop at the next token (lazy) but run to the end on the last token", () => {
  const m = compileOsRegex('srcuser="(\\.+)" action="(\\.+)"').exec('srcuser="Bob" action="called" dstusr="Alice"');
  assert.deepEqual(m?.captures, ["Bob", "called"]);
  const tail = compileOsRegex("^(\\S+) (\\.+)").exec("GET /a b c");
  assert.deepEqual(tail?.captures, ["GET", "/a b c"]);
  assert.equal(tail?.end, "GET /a b c".length);
});

test("OS_Regex exec reports where the match ends, and tries alternatives in order", () => {
  const m = compileOsRegex("^\\d+ ").exec("123 rest");
  assert.equal(m?.end, 4);
  // A JS alternation would take the leftmost match ("b" at 1); OS_Regex tries "c" first and finds it at 2.
  const ordered = compileOsRegex("(c)|(b)").exec("abc");
  assert.deepEqual(ordered?.captures, ["c"]);
  assert.equal(ordered?.end, 3);
});

test("OS_Regex rejects what Wazuh rejects: unknown escapes, nested or unbalanced parentheses, | inside parentheses", () => {
  assert.throws(() => compileOsRegex("\\x41"), PatternSyntaxError);
  assert.throws(() => compileOsRegex("((a))"), PatternSyntaxError);
  assert.throws(() => compileOsRegex("(a"), PatternSyntaxError);
  assert.throws(() => compileOsRegex("a)"), PatternSyntaxError);
  assert.throws(() => compileOsRegex("(a|b)"), PatternSyntaxError);
  assert.throws(() => compileOsRegex("abc\\"), PatternSyntaxError);
});

test("OS_Match: substring, ^prefix, suffix$, ^exact$, alternatives, case-insensitive, no escapes", () => {
  assert.equal(compileOsMatch("attack").test("an ATTACK here"), true);
  assert.equal(compileOsMatch("^2").test("200"), true);
  assert.equal(compileOsMatch("^2").test("302"), false);
  assert.equal(compileOsMatch(".php$").test("/index.php"), true);
  assert.equal(compileOsMatch(".php$").test("/index.php?x"), false);
  assert.equal(compileOsMatch("^GET$").test("get"), true);
  assert.equal(compileOsMatch("^GET$").test("GETS"), false);
  assert.equal(compileOsMatch("^4|^5").test("503"), true);
  assert.equal(compileOsMatch("^4|^5").test("200"), false);
  // Regex metacharacters are plain text in OS_Match
  assert.equal(compileOsMatch("a.b").test("axb"), false);
  assert.equal(compileOsMatch("\\d").test("\\d"), true);
  assert.equal(compileOsMatch("").test("anything"), true);
});

test("PCRE2: inline flags become JS flags; case-sensitive by default", () => {
  assert.equal(compilePcre2("select").test("SELECT"), false);
  assert.equal(compilePcre2("(?i)select").test("SELECT"), true);
  assert.deepEqual(translatePcre2("(?is)a.b"), { source: "a.b", flags: "is" });
});

test("PCRE2: PCRE-only syntax is rewritten", () => {
  assert.deepEqual(compilePcre2("(?P<user>\\w+)@(?P=user)").exec("bob@bob")?.captures, ["bob"]);
  assert.equal(compilePcre2("\\Aabc\\z").test("abc"), true);
  assert.equal(compilePcre2("\\Aabc\\z").test("abc\n"), false);
  assert.equal(compilePcre2("abc\\Z").test("abc\n"), true);
  assert.equal(compilePcre2("a\\hb").test("a\tb"), true);
  assert.equal(compilePcre2("\\Q1+1=2\\E").test("1+1=2"), true);
  assert.equal(compilePcre2("\\Q1+1=2\\E").test("11=2"), false);
  assert.equal(compilePcre2("^[[:digit:]]+$").test("123"), true);
  assert.equal(compilePcre2("^[[:alpha:]_]+$").test("ab_c"), true);
  assert.equal(compilePcre2("a(?#comment)b").test("ab"), true);
  assert.equal(compilePcre2("(?>ab|a)c").test("abc"), true);
  assert.equal(compilePcre2("^\\d++x").test("12x"), true);
  assert.equal(compilePcre2("\\x{41}").test("A"), true);
  assert.equal(compilePcre2("(?x) a b  # spaced\n c").test("abc"), true);
  assert.equal(compilePcre2("[]a]").test("]"), true);
});

test("PCRE2: a pattern JS cannot compile fails at load time with a PatternSyntaxError", () => {
  assert.throws(() => compilePcre2("(unclosed"), PatternSyntaxError);
  assert.throws(() => compilePcre2("[[:nope:]]"), PatternSyntaxError);
});

test("pattern type attribute values", () => {
  assert.equal(parsePatternType(undefined, "osmatch"), "osmatch");
  assert.equal(parsePatternType("PCRE2", "osmatch"), "pcre2");
  assert.equal(parsePatternType("osregex", "osmatch"), "osregex");
  assert.equal(parsePatternType("sregex", "osregex"), "osmatch");
  assert.throws(() => parsePatternType("perl", "osregex"), PatternSyntaxError);
  assert.equal(compilePattern("osmatch", "x").type, "osmatch");
});
