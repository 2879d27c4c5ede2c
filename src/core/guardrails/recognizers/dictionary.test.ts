import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../types.ts";
import { createDictionaryRecognizer, damerauLevenshtein, editBudget, type DictionaryEntry } from "./dictionary.ts";

function scan(entries: DictionaryEntry[], text: string): Array<Finding & { text: string }> {
  const out: Finding[] = [];
  createDictionaryRecognizer({ entries }).scan(text, out);
  return out.map((finding) => ({ ...finding, text: text.slice(finding.start, finding.end) })).sort((left, right) => left.start - right.start);
}

test("exact terms match case-insensitively on word boundaries, with the user's type", () => {
  const findings = scan([{ type: "customer", terms: ["ACME"] }], "acme, ACME's (Acme) ACMEs DACME acme_corp acme2");
  assert.deepEqual(findings.map((finding) => [finding.text, finding.start]), [["acme", 0], ["ACME", 6], ["Acme", 14]]);
  assert.ok(findings.every((finding) => finding.type === "customer" && finding.category === "dictionary" && finding.confidence === 0.95 && finding.recognizer === "dictionary"));
});

test("boundaries and case are Unicode-aware (é, ß, ü)", () => {
  const entries = [{ type: "employee", terms: ["Müller", "Éloïse", "Straße"] }];
  assert.deepEqual(scan(entries, "MÜLLER, müller, Müllerin, éloïse, Éloïseé, STRAßE").map((finding) => finding.text), ["MÜLLER", "müller", "éloïse", "STRAßE"]);
  assert.deepEqual(scan([{ type: "city", terms: ["İzmir"] }], "from izmir").map((finding) => finding.text), ["izmir"]);
});

test("multi-word terms match across one whitespace character, not more", () => {
  const entries = [{ type: "project", terms: ["Project  Nightingale"] }];
  assert.deepEqual(scan(entries, "Project Nightingale, project\nnightingale, Project\u00a0Nightingale, Project  Nightingale, Project Nightingales").map((finding) => finding.text), [
    "Project Nightingale",
    "project\nnightingale",
    "Project\u00a0Nightingale",
  ]);
});

test("the longest term wins at a start for one type; other types and other starts are kept", () => {
  const findings = scan(
    [
      { type: "customer", terms: ["ACME", "ACME Corp"] },
      { type: "project", terms: ["Corp Link", "ACME"] },
    ],
    "ACME Corp Link",
  );
  assert.deepEqual(findings.map((finding) => [finding.type, finding.text]), [["customer", "ACME Corp"], ["project", "ACME"], ["project", "Corp Link"]]);
});

test("terms with punctuation, and terms without any letter, are handled", () => {
  const entries = [{ type: "org", terms: ["AT&T", ".NET", "O'Brien Ltd.", "!!!", "   "] }];
  assert.deepEqual(scan(entries, "AT&T; ASP.NET; o'brien ltd. and AT&Tx").map((finding) => finding.text), ["AT&T", ".NET", "o'brien ltd."]);
  assert.deepEqual(createDictionaryRecognizer({ id: "customers", entries: [{ type: "customer", terms: [] }] }).types, ["customer"]);
});

test("thousands of terms: built and scanned quickly, all found", () => {
  const terms = Array.from({ length: 5_000 }, (_, index) => `Kunde${index.toString(36)} GmbH`);
  const started = performance.now();
  const recognizer = createDictionaryRecognizer({ entries: [{ type: "customer", terms }] });
  const text = `${"Rechnung für die Firma ohne Namen. ".repeat(3_000)}Kunde1a GmbH und kunde3e7 gmbh; Kunde4a0 GmbH fehlt.`;
  const out: Finding[] = [];
  recognizer.scan(text, out);
  assert.deepEqual(out.map((finding) => text.slice(finding.start, finding.end)), ["Kunde1a GmbH", "kunde3e7 gmbh"]);
  assert.ok(performance.now() - started < 500);
});

test("Damerau–Levenshtein distance and the edit budget by length", () => {
  assert.equal(damerauLevenshtein("ca", "ac"), 1);
  assert.equal(damerauLevenshtein("kitten", "sitting"), 3);
  assert.equal(damerauLevenshtein("", "abc"), 3);
  assert.equal(damerauLevenshtein("müller", "müller"), 0);
  assert.deepEqual([4, 5, 9, 10].map(editBudget), [0, 1, 1, 2]);
});

test("fuzzy terms tolerate one edit from 5 characters, two from 10, none below", () => {
  const entries = [{ type: "employee", terms: ["Anna", "Schmidt", "Nightingale"], fuzzy: true }];
  const findings = scan(entries, "Anne Schmitd Shmidt Schmidtt Scmidtt Nightngal Nigthingale Night");
  assert.deepEqual(findings.map((finding) => [finding.text, finding.confidence]), [
    ["Schmitd", 0.8],
    ["Shmidt", 0.8],
    ["Schmidtt", 0.8],
    ["Nightngal", 0.7],
    ["Nigthingale", 0.8],
  ]);
});

test("fuzzy terms ignore diacritics and case; German transliteration works both ways", () => {
  const findings = scan([{ type: "employee", terms: ["Müller", "Jürgen Weiß", "Mueller"], fuzzy: true }], "MULLER, Mueller, Juergen Weiss, jurgen weiss, Müller");
  const byText = new Map(findings.map((finding) => [finding.text, finding.confidence]));
  assert.equal(byText.get("MULLER"), 0.85);
  assert.equal(byText.get("Juergen Weiss"), 0.85);
  assert.equal(byText.get("jurgen weiss"), 0.85);
  assert.equal(byText.get("Müller"), 0.95, "exact beats fuzzy");
  assert.equal(findings.filter((finding) => finding.text === "Mueller").length, 1, "one finding per start and type");
  assert.equal(byText.get("Mueller"), 0.95);
});

test("fuzzy multi-word terms: an edit in a later word, trailing punctuation left out", () => {
  const findings = scan([{ type: "project", terms: ["Project Nightingale", "ACME Corp"], fuzzy: true }], "see Projct Nightingale, ACME Crop.");
  assert.deepEqual(findings.map((finding) => [finding.text, finding.confidence]), [["Projct Nightingale", 0.8], ["ACME Crop", 0.8]]);
});

test("adversarial texts finish quickly", () => {
  const recognizer = createDictionaryRecognizer({ entries: [{ type: "name", terms: ["Anna Schmidt", "Schmidt"], fuzzy: true }] });
  for (const text of ["Schmidt".repeat(15_000), "Anna ".repeat(20_000), "a".repeat(100_000), "Anna\u00a0".repeat(20_000)]) {
    const started = performance.now();
    recognizer.scan(text, []);
    assert.ok(performance.now() - started < 300, `${text.slice(0, 10)}…`);
  }
});
