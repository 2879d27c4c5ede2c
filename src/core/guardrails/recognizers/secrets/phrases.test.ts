import assert from "node:assert/strict";
import { test } from "node:test";
import { phrasesIn } from "./phrases.ts";
import { fakeCharacters } from "./testing.ts";

const value = fakeCharacters(31, 16);

function named(text: string): Array<[string, string]> {
  return phrasesIn(text).map((phrase) => [phrase.keyword, text.slice(phrase.valueStart, phrase.valueEnd)]);
}

test("a key word, a few words, a verb, then the value", () => {
  assert.deepEqual(named(`The password is ${value}.`), [["password", value]]);
  assert.deepEqual(named(`Das Passwort lautet ${value}`), [["passwort", value]]);
  assert.deepEqual(named(`Le mot de passe était ${value} hier`), [["mot de passe", value]]);
  assert.deepEqual(named(`Le jeton est '${value}'`), [["jeton", value]]);
  assert.deepEqual(named(`The password for the admin account is: ${value}`), [["password", value]]);
  assert.deepEqual(named(`la clé secrète AWS (secret access key) est ${value}`), [["secret", value]]);
});

test("a value named twice ('secret token is') is listed once, with the bridge before it", () => {
  const text = `My secret token is ${value}`;
  const phrases = phrasesIn(text);
  assert.equal(phrases.length, 1);
  assert.equal(text.slice(phrases[0]?.keywordEnd, phrases[0]?.valueStart), " token is ");
});

test("short assigned values; values of 20 characters or more are left to assignmentsIn", () => {
  assert.deepEqual(named(`passwort=${value} next=1`), [["passwort", value]]);
  assert.deepEqual(named(`{\\"clientSecret\\": \\"${value}\\"}`), [["secret", value]]);
  assert.deepEqual(named(`$config['db_password'] = '${value}';`), [["password", value]]);
  assert.deepEqual(named(`SECRET := "${value}"`), [["secret", value]]);
  assert.deepEqual(named(`password=${fakeCharacters(32, 20)}`), []);
  assert.deepEqual(named(`The password is ${fakeCharacters(33, 40)}`).length, 1, "prose has no length cap below 128");
});

test("other words, other shapes and values that do not end cleanly are not phrases", () => {
  for (const text of [
    `The tokenizer is ${value}`,
    `All passwords are ${value}`,
    `On passe ${value}`,
    `passe=${value}`,
    `client_secret_name: ${value}`,
    `The password of the one and only admin account is ${value}`,
    `The password is ${value.slice(0, 7)}`,
    `The password is "${value}`,
    `The password is ${value}é`,
    `The password is\n${value}`,
  ]) {
    assert.deepEqual(named(text), [], text);
  }
});

test("adversarial inputs finish quickly", () => {
  for (const text of ["password is ".repeat(9_000), "pass".repeat(25_000), `secret token is ${"a".repeat(100_000)}`, "Passwort=".repeat(11_000), "kenkenken ".repeat(10_000)]) {
    const started = performance.now();
    phrasesIn(text);
    assert.ok(performance.now() - started < 250, `${text.slice(0, 12)}… took too long`);
  }
});
