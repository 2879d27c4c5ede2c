import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyUsNumber, usSsnRecognizer } from "./us-ssn.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

const digitsOf = (value: string): number[] => [...value.replace(/\D/g, "")].map(Number);

test("the numbering rules separate SSNs, ITINs and impossible numbers", () => {
  assert.equal(classifyUsNumber(digitsOf("123-45-6789")), "us_ssn");
  assert.equal(classifyUsNumber(digitsOf("899-01-0001")), "us_ssn");
  for (const itin of ["900-70-0001", "912-50-1234", "999-99-9999", "987-65-4321", "955-94-1234", "955-90-1234"]) assert.equal(classifyUsNumber(digitsOf(itin)), "us_itin", itin);
  for (const impossible of ["000-12-3456", "666-12-3456", "123-00-4567", "123-45-0000", "900-66-1234", "900-89-1234", "900-93-1234", "900-49-1234"]) {
    assert.equal(classifyUsNumber(digitsOf(impossible)), undefined, impossible);
  }
});

test("dashed numbers are found on their own, with exact spans and types", () => {
  const text = "Employee 123-45-6789 and taxpayer 912-78-1234.";
  assert.deepEqual(
    scanWith(usSsnRecognizer, text).map((finding) => [finding.type, finding.covered]),
    [
      ["us_ssn", "123-45-6789"],
      ["us_itin", "912-78-1234"],
    ],
  );
  assert.ok((scanWith(usSsnRecognizer, "ref 123-45-6789")[0]?.confidence ?? 0) < (scanWith(usSsnRecognizer, "x 123-45-6789")[0]?.confidence ?? 0));
});

test("context words raise the confidence of dashed and blank-separated numbers", () => {
  const bare = scanWith(usSsnRecognizer, "value 123 45 6789")[0]?.confidence ?? 0;
  const withContext = scanWith(usSsnRecognizer, "SSN: 123 45 6789")[0]?.confidence ?? 0;
  assert.ok(bare < 0.5, `blank-separated without context stays low (${bare})`);
  assert.ok(withContext >= 0.7, `with context (${withContext})`);
  const dashed = scanWith(usSsnRecognizer, "Social Security Number 123-45-6789")[0]?.confidence ?? 0;
  assert.ok(dashed > 0.9);
});

test("nine bare digits count only with a context word, including key forms", () => {
  assert.deepEqual(coveredBy(usSsnRecognizer, "id 123456789"), []);
  assert.deepEqual(coveredBy(usSsnRecognizer, "SSN 123456789"), ["123456789"]);
  assert.deepEqual(coveredBy(usSsnRecognizer, "social_security_number=123456789"), ["123456789"]);
  assert.deepEqual(coveredBy(usSsnRecognizer, "numéro de sécurité sociale : 123456789"), ["123456789"]);
});

test("impossible numbers, other groupings and glued digits are not found", () => {
  for (const text of ["SSN 666-12-3456", "SSN 000-12-3456", "SSN 12-345-6789", "SSN 123-456-789", "SSN A123-45-6789", "SSN 123-45-67890", "SSN 1234567890", "SSN 123.45.6789"]) {
    assert.deepEqual(coveredBy(usSsnRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(usSsnRecognizer, text);
  assertScansQuickly(usSsnRecognizer, "SSN 123456789 ".repeat(7000));
});
