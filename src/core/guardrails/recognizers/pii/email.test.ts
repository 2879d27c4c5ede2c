import assert from "node:assert/strict";
import { test } from "node:test";
import { emailRecognizer } from "./email.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("finds addresses with exact spans in prose, markup, JSON and mailto links", () => {
  const text = 'Write to jane.doe+news@example.co.uk, <ops@sub.example.org> or {"to":"x_y%z@mail-1.example.de"}; mailto:first.last@example.fr.';
  assert.deepEqual(coveredBy(emailRecognizer, text), ["jane.doe+news@example.co.uk", "ops@sub.example.org", "x_y%z@mail-1.example.de", "first.last@example.fr"]);
  const [first] = scanWith(emailRecognizer, text);
  assert.equal(first?.type, "email");
  assert.equal(first?.confidence, 0.9);
});

test("trailing sentence punctuation is not part of the domain", () => {
  assert.deepEqual(coveredBy(emailRecognizer, "Mail me at a.b@example.com."), ["a.b@example.com"]);
  assert.deepEqual(coveredBy(emailRecognizer, "(a.b@example.com-)"), ["a.b@example.com"]);
});

test("near misses are not addresses", () => {
  for (const text of [
    "user@localhost",
    "@scope/package",
    "logo@2x.png",
    "a..b@example.com",
    ".@example.com",
    "name.@example.com",
    "x@example.c",
    "x@-example.com",
    "a@b@example.com",
    "price 10@5.50",
    `${"a".repeat(65)}@example.com`,
  ]) {
    assert.deepEqual(coveredBy(emailRecognizer, text), [], text);
  }
});

test("the password in URL credentials is no e-mail address", () => {
  for (const text of ["mongodb+srv://svc:QHSQgHcDWQ@rabbitmq.prod/db", "redis://:29fsE4IH.8igd-N@db-prod-3.internal:6379/0", "mysql://etl:k36Man*x@10-db.eu-west-1.rds.amazonaws.com/shop"]) {
    assert.deepEqual(coveredBy(emailRecognizer, text), [], text);
  }
  assert.deepEqual(coveredBy(emailRecognizer, "contact: ops@example.com"), ["ops@example.com"]);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(emailRecognizer, text);
  assertScansQuickly(emailRecognizer, `${"a".repeat(100_000)}@example.com`);
  assertScansQuickly(emailRecognizer, `x@${"a.".repeat(50_000)}`);
});
