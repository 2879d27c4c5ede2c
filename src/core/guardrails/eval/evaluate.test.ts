import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateEvalSet, type LabelledDocument } from "./documents.ts";
import { collectExamples, evaluate, falsePositiveCauses, maskedContext } from "./evaluate.ts";
import type { PredictedSpan } from "./score.ts";

describe("maskedContext", () => {
  const text = "Hello, my card number is 4539 1488 0343 6467, expiry 09/27.\nThanks";
  const card = { start: text.indexOf("4539"), end: text.indexOf(", expiry") };

  test("shows twenty characters either side with the span replaced by its type", () => {
    assert.equal(maskedContext(text, card, "payment_card", [card]), "…, my card number is ‹payment_card›, expiry 09/27.⏎Than…");
  });

  test("masks other values that reach into the window, even partly", () => {
    const sample = "token=abcdefgh ok; key AKIAZZZZ1234 done";
    const key = { start: sample.indexOf("AKIA"), end: sample.indexOf(" done") };
    const masked = maskedContext(sample, key, "aws_access_key", [{ start: 6, end: 14 }]);
    assert.equal(masked, "…en=‹…› ok; key ‹aws_access_key› done");
  });

  test("masks any long token left in the context, so no unlabelled secret leaks", () => {
    const masked = maskedContext("x QmFzZTY0U29tZXRoaW5n y VALUE z", { start: 25, end: 30 }, "generic_secret", []);
    assert.ok(!masked.includes("QmFz"), masked);
  });

  test("keeps long key names and words readable: they are the context worth seeing", () => {
    const sample = "aws_secret_access_key=VALUE Sozialversicherungsnummer AWS_SECRET_ACCESS_KEY";
    const value = { start: sample.indexOf("VALUE"), end: sample.indexOf("VALUE") + 5 };
    assert.equal(maskedContext(sample, value, "aws_secret_key", [], 40), "aws_secret_access_key=‹aws_secret_key› Sozialversicherungsnummer AWS_SECRET_AC…");
  });
});

describe("evaluate", () => {
  const documents = generateEvalSet({ seed: 5, documentsPerFormat: 20 });

  /** A scanner that reports every labelled span and, in addition, one bogus IBAN per document at offset 0. */
  const oracle = (withFalsePositives: boolean) => ({
    scan(text: string): PredictedSpan[] {
      const document = documents.find((candidate) => candidate.text === text) as LabelledDocument;
      const findings: PredictedSpan[] = document.spans.map((span) => ({ type: span.type, start: span.start, end: span.end }));
      if (withFalsePositives && document.negatives[0] !== undefined) findings.push({ type: "iban", start: document.negatives[0].start, end: document.negatives[0].end });
      return findings;
    },
  });

  test("a perfect scanner scores recall and precision 1 on every present type", () => {
    const result = evaluate(documents, oracle(false));
    for (const type of result.score.types.filter((entry) => entry.support > 0)) {
      assert.equal(type.recall, 1, type.type);
      assert.equal(type.precision, 1, type.type);
    }
    assert.deepEqual(result.examples, []);
    assert.equal(result.documents, 100);
    assert.equal(result.characters, documents.reduce((sum, document) => sum + document.text.length, 0));
  });

  test("false positives are attributed to the hard negative they fell on, and examples never contain the value", () => {
    const result = evaluate(documents, oracle(true), { examplesPerType: 2 });
    const iban = result.score.types.find((entry) => entry.type === "iban");
    assert.equal(iban?.falsePositives, documents.filter((document) => document.negatives.length > 0).length);
    const examples = result.examples.filter((example) => example.outcome === "false-positive");
    assert.equal(examples.length, 2);
    for (const example of examples) {
      assert.match(example.cause ?? "", /^hard negative /);
      const document = documents.find((candidate) => candidate.id === example.documentId) as LabelledDocument;
      const negative = document.negatives[0] as { start: number; end: number };
      const value = document.text.slice(negative.start, negative.end);
      assert.ok(!example.context.includes(value.slice(0, 8)) || value.length < 8, example.documentId);
      assert.match(example.context, /‹iban›/);
    }
    const causes = falsePositiveCauses(documents, result.score.records).get("iban");
    assert.equal([...(causes?.values() ?? [])].reduce((sum, count) => sum + count, 0), iban?.falsePositives);
  });

  test("misses are listed per type, at most examplesPerType of each", () => {
    const none = new Map<string, PredictedSpan[]>();
    const result = evaluate(documents, { scan: () => [] });
    const examples = collectExamples(documents, none, result.score.records, 1);
    const types = examples.map((example) => example.type);
    assert.equal(new Set(types).size, types.length);
    assert.ok(examples.every((example) => example.outcome === "false-negative"));
    assert.equal(examples.length, result.score.types.filter((entry) => entry.support > 0).length);
  });
});
