import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateEvalSet } from "../src/core/guardrails/eval/documents.ts";
import { generatedTypes } from "../src/core/guardrails/eval/generators.ts";
import { formatReport, parseOptions, runPiiEval } from "./pii-eval.ts";

describe("eval:pii options", () => {
  test("defaults: seed 1, 400 documents per format, the detector's own minimum confidence", () => {
    assert.deepEqual(parseOptions([]), { seed: 1, documentsPerFormat: 400, minimumConfidence: undefined, examples: 3, json: false });
  });

  test("reads every flag and rejects out-of-range values", () => {
    assert.deepEqual(parseOptions(["--seed", "9", "--documents-per-format", "20", "--min-confidence", "0.7", "--examples", "1", "--json"]), {
      seed: 9,
      documentsPerFormat: 20,
      minimumConfidence: 0.7,
      examples: 1,
      json: true,
    });
    assert.throws(() => parseOptions(["--min-confidence", "1.5"]));
    assert.throws(() => parseOptions(["--documents-per-format", "0"]));
  });
});

describe("eval:pii with the real detector", () => {
  const options = { seed: 1, documentsPerFormat: 40, minimumConfidence: undefined, examples: 3, json: false };
  const report = runPiiEval(options);
  const documents = generateEvalSet({ seed: options.seed, documentsPerFormat: options.documentsPerFormat });

  test("reports every evaluated type, judging exactly the checksum group", () => {
    assert.deepEqual(report.types.map((type) => type.type), [...generatedTypes]);
    for (const type of report.types) {
      assert.ok(type.support > 0, type.type);
      assert.equal(type.pass !== undefined, type.validation === "checksum", type.type);
    }
  });

  // The targets for checksummed identifiers and vendor-prefixed secrets, on a small set
  // (the full one is `npm run eval:pii`): a recognizer change that costs recall or precision fails here.
  test("every checksum-group type meets recall ≥ 0.98 and precision ≥ 0.95", () => {
    assert.deepEqual(report.misses, []);
  });

  test("never prints a value: neither the table nor the JSON contains any labelled value or hard negative", () => {
    const printed = `${formatReport(report)}\n${JSON.stringify(report)}`;
    for (const document of documents) {
      for (const span of document.spans) {
        const value = document.text.slice(span.start, span.end);
        if (value.length >= 8) assert.ok(!printed.includes(value), `${document.id}: a ${span.type} value appears in the output`);
      }
      // Short negatives (dates, versions) also occur as ordinary text, e.g. inside log timestamps.
      for (const negative of document.negatives) {
        const value = document.text.slice(negative.start, negative.end);
        if (value.length >= 12) assert.ok(!printed.includes(value), `${document.id}: a ${negative.kind} negative appears in the output`);
      }
    }
  });
});
