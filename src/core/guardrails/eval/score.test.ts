import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LabelledDocument, LabelledSpan } from "./documents.ts";
import { meetsChecksumTargets, rates, scoreDocument, scoreEvalSet, type Counts, type PredictedSpan } from "./score.ts";

function document(id: string, spans: LabelledSpan[], format: LabelledDocument["format"] = "chat"): LabelledDocument {
  return { id, format, language: "en", text: "x".repeat(200), spans, negatives: [] };
}

function outcomes(gold: LabelledSpan[], findings: PredictedSpan[]): string[] {
  return scoreDocument(document("d", gold), findings).map((record) => `${record.type}:${record.outcome}`);
}

const card: LabelledSpan = { type: "payment_card", start: 10, end: 30 };

describe("matching rule", () => {
  test("an exact finding of the same type is a true positive", () => {
    assert.deepEqual(outcomes([card], [{ type: "payment_card", start: 10, end: 30 }]), ["payment_card:true-positive"]);
  });

  test("a finding covering exactly half of the labelled span matches; one character less does not", () => {
    assert.deepEqual(outcomes([card], [{ type: "payment_card", start: 20, end: 45 }]), ["payment_card:true-positive"]);
    assert.deepEqual(outcomes([card], [{ type: "payment_card", start: 21, end: 45 }]), ["payment_card:false-negative", "payment_card:false-positive"]);
  });

  test("a wider finding that contains the labelled span matches (the rule measures the labelled span)", () => {
    assert.deepEqual(outcomes([{ type: "url_password", start: 50, end: 60 }], [{ type: "url_password", start: 30, end: 90 }]), ["url_password:true-positive"]);
  });

  test("a finding of another type on a labelled span is a false positive for its own type and the span is missed", () => {
    assert.deepEqual(outcomes([{ type: "openai_key", start: 0, end: 50 }], [{ type: "generic_secret", start: 0, end: 50 }]), ["openai_key:false-negative", "generic_secret:false-positive"]);
  });

  test("an extra finding of another type next to a correct one still counts against its type", () => {
    assert.deepEqual(
      outcomes([{ type: "openai_key", start: 0, end: 50 }], [{ type: "openai_key", start: 0, end: 50 }, { type: "generic_secret", start: 3, end: 50 }]),
      ["openai_key:true-positive", "generic_secret:false-positive"],
    );
  });

  test("a second finding of the same type on a matched span is a duplicate, not a false positive", () => {
    assert.deepEqual(outcomes([card], [{ type: "payment_card", start: 10, end: 30 }, { type: "payment_card", start: 12, end: 30 }]), ["payment_card:true-positive", "payment_card:duplicate"]);
  });

  test("one finding spanning two labelled values matches only one of them", () => {
    const gold: LabelledSpan[] = [{ type: "email", start: 0, end: 10 }, { type: "email", start: 12, end: 22 }];
    assert.deepEqual(outcomes(gold, [{ type: "email", start: 0, end: 22 }]), ["email:true-positive", "email:false-negative"]);
  });

  test("pairs are assigned by largest overlap, so a precise finding is not stolen by a sloppy one", () => {
    const gold: LabelledSpan[] = [{ type: "phone", start: 0, end: 10 }, { type: "phone", start: 10, end: 20 }];
    const findings: PredictedSpan[] = [{ type: "phone", start: 4, end: 16 }, { type: "phone", start: 0, end: 10 }];
    // The sloppy finding covers 6 of the first and 6 of the second span; the precise one takes the first.
    assert.deepEqual(outcomes(gold, findings), ["phone:true-positive", "phone:true-positive"]);
  });
});

describe("rates", () => {
  const counts = (truePositives: number, falsePositives: number, falseNegatives: number): Counts => ({
    support: truePositives + falseNegatives,
    truePositives,
    falsePositives,
    falseNegatives,
    duplicates: 0,
  });

  test("precision, recall and F2 from counts (F2 = 5PR / (4P + R))", () => {
    const result = rates(counts(8, 4, 2));
    assert.equal(result.precision, 8 / 12);
    assert.equal(result.recall, 0.8);
    const expected = (5 * (8 / 12) * 0.8) / (4 * (8 / 12) + 0.8);
    assert.ok(Math.abs(result.f2 - expected) < 1e-12);
  });

  test("no prediction: precision undefined, F2 zero; nothing at all: everything undefined", () => {
    const missed = rates(counts(0, 0, 5));
    assert.ok(Number.isNaN(missed.precision));
    assert.equal(missed.recall, 0);
    assert.equal(missed.f2, 0);
    const empty = rates(counts(0, 0, 0));
    assert.ok(Number.isNaN(empty.precision) && Number.isNaN(empty.recall) && Number.isNaN(empty.f2));
  });

  test("checksum targets: recall 0.98 and precision 0.95 are inclusive bounds", () => {
    assert.equal(meetsChecksumTargets(counts(98, 0, 2)), true);
    assert.equal(meetsChecksumTargets(counts(97, 0, 3)), false);
    assert.equal(meetsChecksumTargets(counts(95, 5, 0)), true);
    assert.equal(meetsChecksumTargets(counts(94, 6, 0)), false);
    assert.equal(meetsChecksumTargets(counts(0, 0, 4)), false);
    assert.equal(meetsChecksumTargets(counts(0, 3, 0)), undefined);
  });
});

describe("scoreEvalSet", () => {
  const documents = [
    document("chat-0", [{ type: "iban", start: 0, end: 20 }, { type: "email", start: 30, end: 50 }], "chat"),
    document("log-0", [{ type: "iban", start: 0, end: 20 }, { type: "passport", start: 40, end: 49 }], "log"),
    document("log-1", [], "log"),
  ];
  const findings = new Map<string, PredictedSpan[]>([
    ["chat-0", [{ type: "iban", start: 0, end: 20 }, { type: "person_name", start: 60, end: 70 }, { type: "email", start: 30, end: 50 }]],
    ["log-0", [{ type: "passport", start: 40, end: 49 }]],
    ["log-1", [{ type: "iban", start: 5, end: 25 }, { type: "organization", start: 0, end: 4 }, { type: "person_name", start: 9, end: 12 }]],
  ]);
  const score = scoreEvalSet(documents, findings);
  const type = (name: string) => score.types.find((entry) => entry.type === name);

  test("counts per type, judges only checksum types, and lists every evaluated type", () => {
    assert.deepEqual(
      { ...type("iban"), precision: undefined, recall: undefined, f2: undefined },
      { type: "iban", validation: "checksum", support: 2, truePositives: 1, falsePositives: 1, falseNegatives: 1, duplicates: 0, precision: undefined, recall: undefined, f2: undefined, pass: false },
    );
    assert.equal(type("email")?.pass, undefined);
    assert.equal(type("email")?.recall, 1);
    assert.equal(type("payment_card")?.support, 0);
    assert.equal(type("payment_card")?.pass, undefined);
    assert.equal(score.types.some((entry) => (entry.type as string) === "person_name"), false);
  });

  test("findings of unlabelled types are counted as ignored, not as false positives", () => {
    assert.deepEqual(score.ignored, { person_name: 2, organization: 1 });
    assert.equal(score.overall.falsePositives, 1);
  });

  test("aggregates per validation group and per format", () => {
    const group = (name: string) => score.validations.find((entry) => entry.group === name);
    assert.equal(group("checksum")?.support, 2);
    assert.equal(group("format")?.truePositives, 1);
    assert.equal(group("context")?.recall, 1);
    const format = (name: string) => score.formats.find((entry) => entry.group === name);
    assert.equal(format("chat")?.recall, 1);
    assert.equal(format("log")?.recall, 0.5);
    assert.equal(format("log")?.falsePositives, 1);
  });
});
