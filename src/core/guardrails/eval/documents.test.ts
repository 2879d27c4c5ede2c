import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { documentFormats, generateEvalSet, generateMixedText, type LabelledDocument } from "./documents.ts";
import { generatedTypes, hardNegativeKinds } from "./generators.ts";

const set = generateEvalSet({ seed: 42, documentsPerFormat: 60 });

function byFormat(format: LabelledDocument["format"]): LabelledDocument[] {
  return set.filter((document) => document.format === format);
}

describe("generateEvalSet", () => {
  test("is byte-identical for a seed and different for another seed", () => {
    assert.deepEqual(generateEvalSet({ seed: 42, documentsPerFormat: 60 }), set);
    const other = generateEvalSet({ seed: 43, documentsPerFormat: 60 });
    assert.notDeepEqual(other.map((document) => document.text), set.map((document) => document.text));
  });

  test("has documentsPerFormat documents of each of the five formats, with unique ids", () => {
    for (const format of documentFormats) assert.equal(byFormat(format).length, 60, format);
    assert.equal(new Set(set.map((document) => document.id)).size, set.length);
  });

  test("covers every generated type and every hard-negative kind, and all three languages in prose formats", () => {
    const types = new Set(set.flatMap((document) => document.spans.map((span) => span.type)));
    assert.deepEqual([...types].sort(), [...generatedTypes].sort());
    const kinds = new Set(set.flatMap((document) => document.negatives.map((negative) => negative.kind)));
    assert.deepEqual([...kinds].sort(), [...hardNegativeKinds].sort());
    for (const format of ["chat", "email"] as const) assert.deepEqual(new Set(byFormat(format).map((document) => document.language)), new Set(["en", "de", "fr"]));
  });

  test("type support is even: no type has more than twice the support of another (e-mail headers aside)", () => {
    const support = new Map<string, number>();
    for (const span of set.flatMap((document) => document.spans)) support.set(span.type, (support.get(span.type) ?? 0) + 1);
    const counts = [...support].filter(([type]) => type !== "email" && type !== "phone").map(([, count]) => count);
    assert.ok(Math.max(...counts) <= 2 * Math.min(...counts), counts.join(","));
  });

  test("every fifth document holds hard negatives only", () => {
    for (const format of documentFormats) {
      byFormat(format).forEach((document, index) => {
        if (index % 5 !== 4) return;
        assert.equal(document.spans.length, format === "email" ? document.spans.filter((span) => span.type === "email" || span.type === "phone").length : 0, document.id);
        assert.ok(document.negatives.length >= 3, document.id);
      });
    }
  });

  test("spans are in bounds, non-empty, trimmed and do not overlap each other or the negatives", () => {
    for (const document of set) {
      const ranges = [...document.spans, ...document.negatives].toSorted((left, right) => left.start - right.start);
      ranges.forEach((range, index) => {
        assert.ok(range.start >= 0 && range.end <= document.text.length && range.end > range.start, document.id);
        const previous = ranges[index - 1];
        if (previous !== undefined) assert.ok(previous.end <= range.start, `${document.id} overlap`);
      });
      for (const span of document.spans) {
        const value = document.text.slice(span.start, span.end);
        assert.equal(value, value.trim(), `${document.id} ${span.type}`);
      }
    }
  });

  test("labels are the value only: no key words, no 'Bearer', no URL around a password", () => {
    for (const document of set) {
      for (const span of document.spans) {
        const value = document.text.slice(span.start, span.end);
        if (span.type === "bearer_token") {
          assert.doesNotMatch(value, /bearer/i);
          assert.match(document.text.slice(span.start - 7, span.start), /Bearer $/);
        }
        if (span.type === "url_password") {
          assert.doesNotMatch(value, /[@/]|:\/\//);
          assert.equal(document.text[span.end], "@");
        }
        if (span.type === "iban") assert.doesNotMatch(value, /IBAN|:/);
      }
    }
  });

  test("JSON documents parse, and a private key inside a JSON string is labelled in its escaped form", () => {
    let escapedKeys = 0;
    for (const document of byFormat("json")) {
      assert.doesNotThrow(() => JSON.parse(document.text), document.id);
      for (const span of document.spans.filter((candidate) => candidate.type === "private_key")) {
        const value = document.text.slice(span.start, span.end);
        assert.ok(!value.includes("\n") && value.includes("\\n"), document.id);
        escapedKeys += 1;
      }
    }
    assert.ok(escapedKeys > 0, "the set contains a private key inside JSON");
  });

  test("e-mails start with From/To headers whose addresses are labelled", () => {
    for (const document of byFormat("email")) {
      assert.match(document.text, /^From: .+ <[^>]+>\nTo: .+ <[^>]+>\nSubject: .+\nDate: .+\n\n/);
      const headerEmails = document.spans.filter((span) => span.type === "email" && span.start < document.text.indexOf("\nSubject:"));
      assert.equal(headerEmails.length, 2, document.id);
    }
  });
});

describe("generateMixedText", () => {
  const texts = generateMixedText({ seed: 1, characters: 600_000 });
  const characters = texts.reduce((sum, document) => sum + document.text.length, 0);
  const values = texts.reduce((sum, document) => sum + document.spans.length, 0);

  test("reaches the requested size in message-sized texts with about one value per 2 kB", () => {
    assert.ok(characters >= 600_000);
    const perValue = characters / values;
    assert.ok(perValue > 1200 && perValue < 3500, perValue.toFixed(0));
    const sizes = texts.map((document) => document.text.length).toSorted((left, right) => left - right);
    const median = sizes[Math.floor(sizes.length / 2)] as number;
    assert.ok(median >= 2000 && median <= 16_000, String(median));
  });

  test("mixes all five formats", () => {
    assert.deepEqual(new Set(texts.map((document) => document.format)), new Set(documentFormats));
  });

  test("is deterministic for a seed", () => {
    assert.deepEqual(generateMixedText({ seed: 1, characters: 50_000 }).map((document) => document.text), generateMixedText({ seed: 1, characters: 50_000 }).map((document) => document.text));
  });
});
