import { test } from "node:test";
import assert from "node:assert/strict";
import { parseXmlFragment, substituteVariables, XmlSyntaxError } from "./xml.js";

test("several top-level elements, attributes, nested text, comments, self-closing elements", () => {
  const roots = parseXmlFragment(`<!-- header -->
<decoder name="a">
  <prematch>^x</prematch>
</decoder>
<group name='web,'>
  <rule id="1" level="0" noalert><same_source_ip /><match>a &amp; b &lt;c&gt;</match></rule>
</group>`);
  assert.equal(roots.length, 2);
  assert.equal(roots[0].name, "decoder");
  assert.equal(roots[0].attributes.name, "a");
  assert.equal(roots[0].children[0].text, "^x");
  assert.equal(roots[0].line, 2);
  const rule = roots[1].children[0];
  assert.deepEqual(rule.attributes, { id: "1", level: "0", noalert: "" });
  assert.equal(rule.children[0].name, "same_source_ip");
  assert.equal(rule.children[1].text, "a & b <c>");
  assert.equal(rule.line, 6);
});

test("a `\\<` or a '<' that cannot start a tag is pattern text, not markup", () => {
  const [el] = parseXmlFragment("<regex>^\\<(\\d+)> a < b</regex>");
  assert.equal(el.text, "^\\<(\\d+)> a < b");
});

test("CDATA is kept verbatim", () => {
  const [el] = parseXmlFragment("<regex><![CDATA[<a & b>]]></regex>");
  assert.equal(el.text, "<a & b>");
});

test("structural errors carry the line number", () => {
  assert.throws(
    () => parseXmlFragment("<group>\n<rule>\n</group>", "f.xml"),
    (e: unknown) => e instanceof XmlSyntaxError && e.line === 3 && e.message.startsWith("f.xml:3:"),
  );
  assert.throws(() => parseXmlFragment("<group>\n<rule></rule>"), (e: unknown) => e instanceof XmlSyntaxError && e.line === 1);
  assert.throws(() => parseXmlFragment("stray text"), XmlSyntaxError);
  assert.throws(() => parseXmlFragment("<a>&bogus;</a>"), XmlSyntaxError);
});

test("variables replace only defined names", () => {
  const vars = new Map([["BAD_WORDS", "error|failure"]]);
  assert.equal(substituteVariables("$BAD_WORDS", vars), "error|failure");
  assert.equal(substituteVariables("end$|\\$HOME|$OTHER", vars), "end$|\\$HOME|$OTHER");
});
