import assert from "node:assert/strict";
import { test } from "node:test";
import { urlPasswordRecognizer } from "./url-password.ts";
import { fakeCharacters, scanWith } from "./testing.ts";

const password = fakeCharacters(1, 16);

test("the password of scheme://user:password@host, for each common scheme", () => {
  for (const scheme of ["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "amqp", "http", "https", "ftp"]) {
    const text = `URL=${scheme}://app_user:${password}@db.internal:5432/app?sslmode=require`;
    const findings = scanWith(urlPasswordRecognizer, text);
    assert.equal(findings.length, 1, scheme);
    assert.equal(findings[0]?.text, password);
    assert.equal(findings[0]?.start, text.indexOf(password));
    assert.equal(findings[0]?.confidence, 0.9);
  }
});

test("empty user names, passwords holding '@' and ':', JDBC prefixes and other schemes", () => {
  assert.equal(scanWith(urlPasswordRecognizer, "redis://:s3cret-Pa55@cache:6379/0")[0]?.text, "s3cret-Pa55");
  assert.equal(scanWith(urlPasswordRecognizer, "postgres://u:p@ss:w0rd@host/db")[0]?.text, "p@ss:w0rd");
  assert.equal(scanWith(urlPasswordRecognizer, "jdbc:postgresql://u:Tr1cky@host/db")[0]?.text, "Tr1cky");
  const other = scanWith(urlPasswordRecognizer, "git+ssh://deploy:Xyz123abc@git.example.com/repo.git");
  assert.equal(other[0]?.text, "Xyz123abc");
  assert.equal(other[0]?.confidence, 0.8);
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
  assert.equal(flag?.confidence, 0.75);
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
