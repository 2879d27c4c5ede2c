import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { checkBodyOptions, decryptBody, encryptionKeyId, prepareBodies } from "./bodies.ts";
import { AuditError } from "./errors.ts";

const key = Buffer.alloc(32, 1);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const code = (expected: string) => (error: unknown) => AuditError.isInstance(error) && error.code === expected;

describe("audit bodies", () => {
  test("off keeps nothing; hash keeps only SHA-256 digests", () => {
    assert.equal(prepareBodies("off", { request: "secret" }), null);
    assert.equal(prepareBodies("hash", undefined), null);
    assert.deepEqual(prepareBodies("hash", { request: "question", response: "answer" }), {
      mode: "hash",
      request: { sha256: sha256("question") },
      response: { sha256: sha256("answer") },
    });
    assert.deepEqual(prepareBodies("hash", { response: "answer" })?.request, null);
  });

  test("full encrypts with AES-256-GCM under a fresh IV each time; the key decrypts", () => {
    const one = prepareBodies("full", { request: "my IBAN is DE89 3704 0044 0532 0130 00" }, { encryptionKey: key });
    const two = prepareBodies("full", { request: "my IBAN is DE89 3704 0044 0532 0130 00" }, { encryptionKey: key });
    const body = one?.request;
    assert.ok(body && "data" in body && two?.request && "iv" in two.request);
    assert.equal(Buffer.from(body.iv, "base64").length, 12);
    assert.equal(Buffer.from(body.tag, "base64").length, 16);
    assert.notEqual(body.iv, two.request.iv);
    assert.ok(!JSON.stringify(one).includes("DE89"), "no plaintext in the stored form");
    assert.equal(body.keyId, encryptionKeyId(key));
    assert.equal(decryptBody(body, key), "my IBAN is DE89 3704 0044 0532 0130 00");
  });

  test("redacted runs the redactor before encrypting", () => {
    const stored = prepareBodies("redacted", { request: "mail bob@example.com", response: "ok" }, { encryptionKey: key, redact: (text) => text.replace(/\S+@\S+/g, "<EMAIL_1>") });
    assert.equal(stored?.mode, "redacted");
    assert.ok(stored?.request);
    assert.equal(decryptBody(stored.request, key), "mail <EMAIL_1>");
  });

  test("a mode that needs a key (or redactor) without one is a configuration error", () => {
    assert.throws(() => checkBodyOptions("full"), (error: unknown) => code("audit_config")(error) && /needs an encryption key/.test((error as Error).message));
    assert.throws(() => prepareBodies("redacted", { request: "x" }, {}), code("audit_config"));
    assert.throws(() => checkBodyOptions("full", { encryptionKey: Buffer.alloc(16) }), (error: unknown) => code("audit_config")(error) && /32 bytes/.test((error as Error).message));
    assert.throws(() => checkBodyOptions("redacted", { encryptionKey: key }), (error: unknown) => code("audit_config")(error) && /redactor/.test((error as Error).message));
    assert.throws(() => checkBodyOptions("everything" as "full"), code("audit_config"));
    checkBodyOptions("hash");
  });

  test("decryption fails clearly with the wrong key, changed ciphertext, or a digest-only body", () => {
    const body = prepareBodies("full", { request: "hello" }, { encryptionKey: key })?.request;
    assert.ok(body && "data" in body);
    assert.throws(() => decryptBody(body, Buffer.alloc(32, 2)), (error: unknown) => code("audit_decrypt_failed")(error) && /encrypted with key/.test((error as Error).message));
    const flipped = Buffer.from(body.data, "base64");
    flipped[0] = (flipped[0] as number) ^ 1;
    assert.throws(() => decryptBody({ ...body, data: flipped.toString("base64") }, key), code("audit_decrypt_failed"));
    assert.throws(() => decryptBody({ ...body, tag: Buffer.alloc(4).toString("base64") }, key), code("audit_decrypt_failed"));
    assert.throws(() => decryptBody({ sha256: sha256("hello") }, key), code("audit_decrypt_failed"));
  });
});
