import assert from "node:assert/strict";
import { test } from "node:test";
import { attackCategories, hazardCategories, isHazardCategoryCode, isSafetyCategoryCode, safetyCategory, sortCategoryCodes } from "./taxonomy.ts";

test("the hazard list is Llama Guard 3's S1..S14 in order, with its category names", () => {
  assert.deepEqual(
    hazardCategories.map((category) => category.code),
    Array.from({ length: 14 }, (_, index) => `S${index + 1}`),
  );
  assert.equal(safetyCategory("S1")?.name, "Violent Crimes");
  assert.equal(safetyCategory("S9")?.name, "Indiscriminate Weapons");
  assert.equal(safetyCategory("S11")?.name, "Suicide & Self-Harm");
  assert.equal(safetyCategory("S14")?.name, "Code Interpreter Abuse");
  for (const category of hazardCategories) assert.ok(category.description.length > 20, `${category.code} has a description`);
});

test("Hearth's attack categories sit beside the hazards and are told apart from them", () => {
  assert.deepEqual(
    attackCategories.map((category) => category.code),
    ["prompt_injection", "jailbreak", "obfuscation", "markup_smuggling"],
  );
  assert.equal(isSafetyCategoryCode("jailbreak"), true);
  assert.equal(isHazardCategoryCode("jailbreak"), false);
  assert.equal(isHazardCategoryCode("S10"), true);
  assert.equal(isSafetyCategoryCode("S15"), false);
});

test("category codes sort into taxonomy order without duplicates", () => {
  assert.deepEqual(sortCategoryCodes(["obfuscation", "S10", "S2", "S10", "zeta", "prompt_injection", "alpha"]), ["S2", "S10", "prompt_injection", "obfuscation", "alpha", "zeta"]);
});
