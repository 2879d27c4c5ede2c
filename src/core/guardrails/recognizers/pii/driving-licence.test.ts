import assert from "node:assert/strict";
import { test } from "node:test";
import { drivingLicenceRecognizer, isUkDrivingLicence } from "./driving-licence.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("the UK layout: surname, decade, month (+50 for women), day, year, initials, digit, check", () => {
  for (const valid of ["MORGA753116SM9IJ", "SMITH909153UK9K7", "JOHN9657012AB9CD", "AB999802294XY9ZZ"]) assert.equal(isUkDrivingLicence(valid), true, valid);
  for (const invalid of ["MORGA713116SM9IJ", "MORGA753326SM9IJ", "MORGA75311SM9IJ", "morga753116sm9ij", "MORGA753116SM9IJX"]) assert.equal(isUkDrivingLicence(invalid), false, invalid);
});

test("finds the number after strong licence phrases in en, de and fr", () => {
  const cases: Array<[string, string]> = [
    ["Driving licence: MORGA753116SM9IJ", "MORGA753116SM9IJ"],
    ["driver's license # D1234567", "D1234567"],
    ["Führerschein-Nr. B072RRE2I55", "B072RRE2I55"],
    ["Führerscheinnummer: J6438581EO7", "J6438581EO7"],
    ["permis de conduire n° 123456789012", "123456789012"],
    ["permis_conduire=C4173024", "C4173024"],
    ['"driving_licence": "L102HGAAVG5"', "L102HGAAVG5"],
    ["const permisConduire = 'L160VRA8GR2';", "L160VRA8GR2"],
  ];
  for (const [text, number] of cases) assert.deepEqual(coveredBy(drivingLicenceRecognizer, text), [number], text);
});

test("weak phrases: a bare 'license number' scores lower, 'license' or 'permis' alone count nothing", () => {
  const [numbered] = scanWith(drivingLicenceRecognizer, "license_number: K310D2R2OJ1");
  assert.equal(numbered?.covered, "K310D2R2OJ1");
  const strong = scanWith(drivingLicenceRecognizer, "driving licence K310D2R2OJ1")[0]?.confidence ?? 0;
  assert.ok((numbered?.confidence ?? 0) < strong);
  for (const text of ["MIT license 2024ABC1", "software licence key AB12CD34", "permission ABC12345", "permis 123456789"]) {
    assert.deepEqual(coveredBy(drivingLicenceRecognizer, text), [], text);
  }
});

test("the UK layout is found without a phrase, with more confidence next to one", () => {
  const [bare] = scanWith(drivingLicenceRecognizer, "ref MORGA753116SM9IJ ok");
  assert.equal(bare?.covered, "MORGA753116SM9IJ");
  const [named] = scanWith(drivingLicenceRecognizer, "driving licence: MORGA753116SM9IJ");
  assert.ok((named?.confidence ?? 0) > (bare?.confidence ?? 1));
  assert.deepEqual(coveredBy(drivingLicenceRecognizer, "XMORGA753116SM9IJ"), []);
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(drivingLicenceRecognizer, text);
  assertScansQuickly(drivingLicenceRecognizer, "driving licence ".repeat(7000));
});
