import assert from "node:assert/strict";
import { test } from "node:test";
import { createDetector, defaultMinimumConfidence } from "../../detector.ts";
import { failedChecksumConfidence, githubTokenRecognizer, hasGitHubChecksum } from "./github-token.ts";
import { base62, crc32 } from "./shared.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

test("crc32 and base62 match published reference values", () => {
  assert.equal(crc32("123456789"), 0xcbf43926);
  assert.equal(crc32("The quick brown fox jumps over the lazy dog"), 0x414fa339);
  assert.equal(crc32(""), 0);
  assert.equal(base62(0, 6), "000000");
  assert.equal(base62(61, 1), "z");
  assert.equal(base62(62, 1), "10");
  assert.equal(base62(0xffffffff, 6), "4gfFC3");
});

/** A classic token whose last six characters are the checksum of the first thirty. */
function classicToken(prefix: string, seed: number): string {
  const random = fakeCharacters(seed, 30);
  return `${prefix}_${random}${base62(crc32(random), 6)}`;
}

test("classic tokens with a valid checksum are near certain", () => {
  for (const [index, prefix] of ["ghp", "gho", "ghu", "ghs", "ghr"].entries()) {
    const token = classicToken(prefix, index + 1);
    assert.ok(hasGitHubChecksum(token.slice(4)));
    const text = `GITHUB_TOKEN=${token}\n`;
    const findings = scanWith(githubTokenRecognizer, text);
    assert.equal(findings.length, 1, prefix);
    assert.equal(findings[0]?.text, token);
    assert.equal(findings[0]?.start, 13);
    assert.equal(findings[0]?.confidence, 0.99);
  }
});

test("a wrong checksum is a weak hint below the detector's default threshold, so a default detector drops it", () => {
  const token = classicToken("ghp", 9);
  const broken = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  assert.equal(hasGitHubChecksum(broken.slice(4)), false);
  const findings = scanWith(githubTokenRecognizer, `token ${broken}`);
  assert.equal(findings[0]?.text, broken);
  assert.equal(findings[0]?.confidence, failedChecksumConfidence);
  assert.ok(failedChecksumConfidence < defaultMinimumConfidence);
  const detector = createDetector([githubTokenRecognizer]);
  assert.deepEqual(detector.scan(`token ${broken}`), []);
  assert.equal(detector.scan(`token ${token}`)[0]?.confidence, 0.99, "the valid token in the same place");
});

test("placeholder tokens are not reported, classic or fine-grained", () => {
  assert.deepEqual(scanWith(githubTokenRecognizer, `GITHUB_TOKEN=ghp_${"x".repeat(36)}`), []);
  assert.deepEqual(scanWith(githubTokenRecognizer, `token: gho_${"X".repeat(30)}${base62(crc32("X".repeat(30)), 6)}`), [], "even with a valid checksum");
  assert.deepEqual(scanWith(githubTokenRecognizer, `github_pat_${"x".repeat(22)}_${"x".repeat(59)}`), []);
  assert.deepEqual(scanWith(githubTokenRecognizer, `github_pat_${fakeCharacters(3, 22)}_${fakeCharacters(4, 52)}EXAMPLE`), [], "an example fine-grained token");
});

test("fine-grained personal access tokens", () => {
  const token = `github_pat_${fakeCharacters(3, 22)}_${fakeCharacters(4, 59)}`;
  const findings = scanWith(githubTokenRecognizer, `"${token}"`);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.text, token);
  assert.equal(findings[0]?.confidence, 0.95);
  assert.deepEqual(scanWith(githubTokenRecognizer, `github_pat_${fakeCharacters(3, 21)}_${fakeCharacters(4, 59)}`), [], "21 + 59");
});

test("near misses do not match", () => {
  const token = classicToken("ghp", 5);
  assert.deepEqual(scanWith(githubTokenRecognizer, token.slice(0, -1)), [], "35 characters");
  assert.deepEqual(scanWith(githubTokenRecognizer, `${token}x`), [], "37 characters");
  assert.deepEqual(scanWith(githubTokenRecognizer, `x${token}`), [], "prefix inside a longer word");
  assert.deepEqual(scanWith(githubTokenRecognizer, `ghx_${token.slice(4)}`), [], "unknown kind");
  assert.deepEqual(scanWith(githubTokenRecognizer, "snake_case_identifier_with_many_parts_and_more_text_here"), []);
});
