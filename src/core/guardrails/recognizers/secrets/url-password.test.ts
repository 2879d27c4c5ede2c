import assert from "node:assert/strict";
import { test } from "node:test";
import { createDetector, resolveFindings } from "../../detector.ts";
import type { Finding } from "../../types.ts";
import { emailRecognizer } from "../pii/email.ts";
import { genericSecretRecognizer } from "./generic-secret.ts";
import { knownSchemeConfidence, loneKeyValueConfidence, otherSchemeConfidence, urlPasswordRecognizer } from "./url-password.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const password = fakeCharacters(1, 16);

test("the password of scheme://user:password@host, for each common scheme", () => {
  for (const scheme of ["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "amqp", "http", "https", "ftp"]) {
    const text = `URL=${scheme}://app_user:${password}@db.internal:5432/app?sslmode=require`;
    const findings = scanWith(urlPasswordRecognizer, text);
    assert.equal(findings.length, 1, scheme);
    assert.equal(findings[0]?.text, password);
    assert.equal(findings[0]?.start, text.indexOf(password));
    assert.equal(findings[0]?.confidence, knownSchemeConfidence);
  }
  assert.ok(knownSchemeConfidence >= 0.9);
});

test("the password outranks an e-mail finding over 'password@host' when the detector resolves the overlap", () => {
  const emailFindings: Finding[] = [];
  emailRecognizer.scan("write to alice@example.com", emailFindings);
  const emailConfidence = emailFindings[0]?.confidence ?? 1;
  assert.ok(knownSchemeConfidence > emailConfidence && otherSchemeConfidence > emailConfidence);
  for (const scheme of ["postgres", "git+ssh"]) {
    const text = `${scheme}://app:${password}@db.example.com/app`;
    const passwordFindings: Finding[] = [];
    urlPasswordRecognizer.scan(text, passwordFindings);
    const claimed: Finding = { type: "email", category: "pii", start: text.indexOf(password), end: text.indexOf("/app"), confidence: emailConfidence, recognizer: "email" };
    const resolved = resolveFindings([claimed, ...passwordFindings], 0.5);
    assert.equal(resolved.length, 1, scheme);
    assert.equal(resolved[0]?.type, "url_password", scheme);
    assert.equal(text.slice(resolved[0]?.start, resolved[0]?.end), password, scheme);
  }
});

test("empty user names, passwords holding '@' and ':', JDBC prefixes and other schemes", () => {
  assert.equal(scanWith(urlPasswordRecognizer, "redis://:s3cret-Pa55@cache:6379/0")[0]?.text, "s3cret-Pa55");
  assert.equal(scanWith(urlPasswordRecognizer, "postgres://u:p@ss:w0rd@host/db")[0]?.text, "p@ss:w0rd");
  assert.equal(scanWith(urlPasswordRecognizer, "jdbc:postgresql://u:Tr1cky@host/db")[0]?.text, "Tr1cky");
  const other = scanWith(urlPasswordRecognizer, "git+ssh://deploy:Xyz123abc@git.example.com/repo.git");
  assert.equal(other[0]?.text, "Xyz123abc");
  assert.equal(other[0]?.confidence, otherSchemeConfidence);
});

test("template references are not passwords; placeholder words score low", () => {
  assert.deepEqual(scanWith(urlPasswordRecognizer, "postgres://app:${DB_PASSWORD}@db/app"), []);
  assert.deepEqual(scanWith(urlPasswordRecognizer, "mysql://root:****@db/app"), []);
  assert.equal(scanWith(urlPasswordRecognizer, "postgres://user:password@localhost/db")[0]?.confidence, 0.55);
});

test("e-mail addresses, user-only URLs and ports do not match", () => {
  assert.deepEqual(scanWith(urlPasswordRecognizer, "write to alice@example.com or bob:x@y"), []);
  assert.deepEqual(scanWith(urlPasswordRecognizer, "ssh://git@github.com:22/org/repo and http://host:8080/x@y"), []);
});

test("ADO, ODBC and JDBC key=value connection strings", () => {
  const ado = "Server=db;Database=app;User Id=sa;Password=Hunter2Secret;Encrypt=true";
  const adoFinding = scanWith(urlPasswordRecognizer, ado)[0];
  assert.equal(adoFinding?.text, "Hunter2Secret");
  assert.equal(adoFinding?.confidence, 0.85);
  assert.equal(scanWith(urlPasswordRecognizer, "Driver={ODBC};Uid=app;Pwd='Qu0ted pass';")[0]?.text, "Qu0ted pass");
  assert.equal(scanWith(urlPasswordRecognizer, "jdbc:mysql://db/app?user=app&password=Xy12zzq&ssl=true")[0]?.text, "Xy12zzq");
  const flag = scanWith(urlPasswordRecognizer, "mysqldump --password=Xy12zzq db")[0];
  assert.equal(flag?.text, "Xy12zzq");
  assert.equal(flag?.confidence, loneKeyValueConfidence);
});

test("'&' ends a value only where another parameter starts", () => {
  assert.equal(scanWith(urlPasswordRecognizer, "login ok password=Sommer2017&nf request_id=42")[0]?.text, "Sommer2017&nf");
  assert.equal(scanWith(urlPasswordRecognizer, "login ok password=Sommer2017&")[0]?.text, "Sommer2017&");
  const query = scanWith(urlPasswordRecognizer, "/login?user=app&password=Xy12zzq&remember_me=1")[0];
  assert.equal(query?.text, "Xy12zzq");
  assert.equal(query?.confidence, 0.85);
});

test("a lone password=… field yields to the generic-secret reading of a random value; a weak one stays a url_password", () => {
  const detector = createDetector([urlPasswordRecognizer, genericSecretRecognizer]);
  const random = fakeCharacters(2, 24);
  const strong = detector.scan(`auth ok password=${random} request_id=7`);
  assert.equal(strong.length, 1);
  assert.equal(strong[0]?.type, "generic_secret");
  const weak = detector.scan("auth ok password=sunshine request_id=7");
  assert.equal(weak.length, 1);
  assert.equal(weak[0]?.type, "url_password");
});

test("other keys ending in 'password' and template values do not match", () => {
  assert.deepEqual(scanWith(urlPasswordRecognizer, "db_password=abc123 and mypassword=abc123"), []);
  assert.deepEqual(scanWith(urlPasswordRecognizer, "Password=${SA_PASSWORD};"), []);
  assert.deepEqual(scanWith(urlPasswordRecognizer, "password=ab;"), [], "too short to tell");
});

test("adversarial inputs finish quickly", () => {
  for (const text of ["a:a@".repeat(25_000), "x://a:b@".repeat(12_000), "@".repeat(100_000), "password=".repeat(11_000), "://".repeat(33_000)]) {
    const started = performance.now();
    scanWith(urlPasswordRecognizer, text);
    assert.ok(performance.now() - started < 250, `${text.slice(0, 12)}… took too long`);
  }
});
