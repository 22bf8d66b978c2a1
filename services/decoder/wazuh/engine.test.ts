import { test } from "node:test";
import assert from "node:assert/strict";
import { DecoderLoadError, parseDecoderXml } from "./decoders.js";
import { DecoderEngine } from "./engine.js";
import { preDecode } from "../../../lib/wazuh/predecode.js";

function engineOf(xml: string): DecoderEngine {
  return new DecoderEngine(parseDecoderXml(xml, "test.xml"));
}

test("pre-decoding: BSD syslog header gives timestamp, hostname, program_name and the message", () => {
  const e = preDecode("Dec  4 14:35:01 web01 sshd[4321]: Failed password for root\r\n");
  assert.equal(e.timestamp, "Dec  4 14:35:01");
  assert.equal(e.hostname, "web01");
  assert.equal(e.programName, "sshd");
  assert.equal(e.pid, "4321");
  assert.equal(e.log, "Failed password for root");
  assert.equal(e.fullLog, "Dec  4 14:35:01 web01 sshd[4321]: Failed password for root");
});

test("pre-decoding: ISO 8601 and RFC 5424 headers; a line without header is left whole", () => {
  const iso = preDecode("2023-12-04T14:35:01.123+00:00 web01 nginx: hello");
  assert.deepEqual([iso.hostname, iso.programName, iso.log], ["web01", "nginx", "hello"]);
  const rfc = preDecode("<134>1 2023-12-04T14:35:01Z web01 apache2 77 - - hello there");
  assert.deepEqual([rfc.hostname, rfc.programName, rfc.pid, rfc.log], ["web01", "apache2", "77", "hello there"]);
  const raw = preDecode('203.0.113.9 - - [04/Dec/2023:14:35:01 +0000] "GET / HTTP/1.1" 200 1');
  assert.equal(raw.programName, undefined);
  assert.equal(raw.log, raw.fullLog);
});

const SECURITYAPP = `
<decoder name="securityapp">
  <program_name>^securityapp$</program_name>
</decoder>
<decoder name="securityapp">
  <parent>securityapp</parent>
  <regex>^(\\w+): </regex>
  <order>type</order>
</decoder>
<decoder name="securityapp">
  <parent>securityapp</parent>
  <regex>srcuser="(\\.+)"</regex>
  <order>srcuser</order>
</decoder>
<decoder name="securityapp">
  <parent>securityapp</parent>
  <regex>action="(\\.+)"</regex>
  <order>action</order>
</decoder>
<decoder name="securityapp">
  <parent>securityapp</parent>
  <regex>dstusr="(\\.+)"</regex>
  <order>user</order>
</decoder>`;

test("program_name parent with sibling children: every sibling adds its fields; `user` is stored as dstuser", () => {
  const result = engineOf(SECURITYAPP).decode('Dec 28 01:35:18 hostname1 securityapp: INFO: srcuser="Bob" action="called" dstusr="Alice"');
  assert.equal(result.decoder, "securityapp");
  assert.equal(result.parent, "securityapp");
  assert.deepEqual(result.fields, { type: "INFO", srcuser: "Bob", action: "called", dstuser: "Alice" });
  // A sibling whose regex does not match adds nothing and does not stop the others
  const partial = engineOf(SECURITYAPP).decode('Apr 01 19:21:24 hostname2 securityapp: INFO: action="logged on" srcuser="Bob"');
  assert.deepEqual(partial.fields, { type: "INFO", action: "logged on", srcuser: "Bob" });
  // The program name must match: same text from another program is not decoded
  assert.equal(engineOf(SECURITYAPP).decode('Apr 01 19:21:24 h other: INFO: srcuser="Bob"').decoder, null);
});

const PARENTS_AND_OFFSETS = `
<decoder name="fw">
  <prematch>^FW: </prematch>
  <type>firewall</type>
</decoder>
<decoder name="fw-drop">
  <parent>fw</parent>
  <use_own_name>true</use_own_name>
  <prematch offset="after_parent">^DROP </prematch>
  <regex offset="after_prematch">^(\\S+) -> (\\S+)</regex>
  <order>srcip, dstip</order>
</decoder>
<decoder name="fw-accept">
  <parent>fw</parent>
  <prematch>ACCEPT </prematch>
  <regex offset="after_parent">^ACCEPT (\\S+):(\\d+)</regex>
  <order>srcip, srcport</order>
</decoder>
<decoder name="fw-accept">
  <parent>fw</parent>
  <regex offset="after_regex">^ proto=(\\w+)</regex>
  <order>protocol</order>
</decoder>
<decoder name="other">
  <prematch>^OTHER</prematch>
</decoder>`;

test("child selection: first child whose prematch matches; prematch offset after_parent; regex after_prematch", () => {
  const engine = engineOf(PARENTS_AND_OFFSETS);
  const drop = engine.decode("FW: DROP 10.0.0.1 -> 10.0.0.2");
  assert.equal(drop.decoder, "fw-drop", "use_own_name reports the child's own name");
  assert.equal(drop.parent, "fw");
  assert.equal(drop.category, "firewall", "a child inherits its parent's type");
  assert.deepEqual(drop.fields, { srcip: "10.0.0.1", dstip: "10.0.0.2" });
  // prematch offset="after_parent" reads after "FW: ", so "DROP" further on does not count
  const notAtOffset = engine.decode("FW: xx DROP 10.0.0.1 -> 10.0.0.2");
  assert.notEqual(notAtOffset.decoder, "fw-drop");
});

test("regex after_parent and a sibling regex after_regex continue where the previous one stopped", () => {
  const engine = engineOf(PARENTS_AND_OFFSETS);
  const accept = engine.decode("FW: ACCEPT 10.0.0.3:443 proto=tcp");
  assert.equal(accept.decoder, "fw", "without use_own_name a child reports its parent's name");
  assert.equal(accept.parent, "fw");
  assert.deepEqual(accept.fields, { srcip: "10.0.0.3", srcport: "443", protocol: "tcp" });
  // after_regex: " proto=" must come right after the first regex's match, not anywhere
  const gap = engine.decode("FW: ACCEPT 10.0.0.3:443 x proto=tcp");
  assert.deepEqual(gap.fields, { srcip: "10.0.0.3", srcport: "443" });
});

test("a parent whose children all fail still decodes the line, with the parent's name and no fields", () => {
  const onlyPrematchChildren = engineOf(PARENTS_AND_OFFSETS.split('<decoder name="fw-accept">')[0]);
  const result = onlyPrematchChildren.decode("FW: REJECT something");
  assert.equal(result.decoder, "fw");
  assert.equal(result.parent, null);
  assert.deepEqual(result.fields, {});
  // A child without prematch always applies (Wazuh), even when its regex then finds nothing
  const withCatchAll = engineOf(PARENTS_AND_OFFSETS).decode("FW: REJECT something");
  assert.equal(withCatchAll.parent, "fw");
  assert.deepEqual(withCatchAll.fields, {});
});

test("parents are tried in load order; an unknown line stays undecoded with category syslog", () => {
  const engine = engineOf(PARENTS_AND_OFFSETS);
  assert.equal(engine.decode("OTHER stuff").decoder, "other");
  const none = engine.decode("nothing known");
  assert.equal(none.decoder, null);
  assert.equal(none.category, "syslog");
  assert.equal(engine.categoryOf("fw-drop"), "firewall");
  assert.equal(engine.categoryOf("nope"), "syslog");
});

test("decoders with program_name are tried first for a line with a program name, then the others", () => {
  const engine = engineOf(`
<decoder name="generic"><prematch>^login </prematch></decoder>
<decoder name="by-program"><program_name>app</program_name><prematch>^login </prematch></decoder>`);
  assert.equal(engine.decode("Dec  4 14:35:01 h app: login ok").decoder, "by-program");
  assert.equal(engine.decode("Dec  4 14:35:01 h zzz: login ok").decoder, "generic");
  assert.equal(engine.decode("login ok").decoder, "generic");
});

test("JSON_Decoder plugin flattens nested objects, with an offset", () => {
  const engine = engineOf(`
<decoder name="json"><prematch>^{\\s*"</prematch><plugin_decoder>JSON_Decoder</plugin_decoder></decoder>
<decoder name="tagged"><prematch>^TAG: </prematch></decoder>
<decoder name="tagged-json"><parent>tagged</parent><plugin_decoder offset="after_parent">JSON_Decoder</plugin_decoder></decoder>`);
  const r = engine.decode('{"srcip":"203.0.113.9","data":{"url":"/x","n":3,"ok":true,"none":null},"tags":["a","b"]}');
  assert.equal(r.decoder, "json");
  assert.deepEqual(r.fields, { srcip: "203.0.113.9", "data.url": "/x", "data.n": "3", "data.ok": "true", tags: '["a","b"]' });
  assert.deepEqual(engine.decode('TAG: {"a":{"b":"c"}}').fields, { "a.b": "c" });
  // broken JSON: still named, no fields, no throw
  const broken = engine.decode('{"a": ');
  assert.equal(broken.decoder, "json");
  assert.deepEqual(broken.fields, {});
});

test("pcre2 patterns in decoders", () => {
  const engine = engineOf(`
<decoder name="p"><prematch type="pcre2">^(?i)id=</prematch></decoder>
<decoder name="p-f"><parent>p</parent><regex type="pcre2">id=(\\d+)(?: user=(\\w+))?</regex><order>id, user</order></decoder>`);
  assert.deepEqual(engine.decode("id=42").fields, { id: "42" });
  assert.deepEqual(engine.decode("id=42 user=bob").fields, { id: "42", dstuser: "bob" });
  assert.equal(engine.decode("ID=7").decoder, "p", "(?i) after ^ applies");
});

test("load errors name the file and line: bad regex, unknown option, missing parent, no prematch", () => {
  assert.throws(
    () => parseDecoderXml('<decoder name="x">\n  <prematch>(a</prematch>\n</decoder>', "d.xml"),
    (e: unknown) => e instanceof DecoderLoadError && e.line === 2 && /d\.xml:2:/.test(e.message),
  );
  assert.throws(() => parseDecoderXml('<decoder name="x"><prematch>a</prematch><bogus/></decoder>'), DecoderLoadError);
  assert.throws(() => parseDecoderXml('<decoder name="x"><regex>(a)</regex><order>a</order></decoder>'), DecoderLoadError);
  assert.throws(() => new DecoderEngine(parseDecoderXml('<decoder name="c"><parent>ghost</parent></decoder>')), DecoderLoadError);
  assert.throws(() => parseDecoderXml('<decoder name="x"><prematch>a</prematch>'), DecoderLoadError);
});
