import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { AuditError } from "./errors.ts";
import { auditKeyId, auditKeyring, auditPublicKey, createAuditSigner, generateAuditKeyPair, verifyAuditSignature } from "./signing.ts";

const configError = (error: unknown) => AuditError.isInstance(error) && error.code === "audit_config";

describe("audit signing keys", () => {
  test("a generated pair signs and verifies; the key id is the same from either half", () => {
    const pair = generateAuditKeyPair();
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.match(pair.keyId, /^[0-9a-f]{16}$/);
    const signer = createAuditSigner(pair.privateKeyPem);
    assert.equal(signer.keyId, pair.keyId);
    assert.equal(auditKeyId(pair.privateKeyPem), pair.keyId, "a private key's public half is used");
    const signature = signer.sign("checkpoint body");
    const key = auditPublicKey(pair.publicKeyPem);
    assert.equal(verifyAuditSignature(key, "checkpoint body", signature), true);
    assert.equal(verifyAuditSignature(key, "checkpoint bodY", signature), false);
    assert.equal(verifyAuditSignature(key, "checkpoint body", "not base64 at all"), false);
    assert.equal(verifyAuditSignature(auditPublicKey(generateAuditKeyPair().publicKeyPem), "checkpoint body", signature), false);
  });

  test("a keyring holds several keys by id, for verifying across a rotation", () => {
    const one = generateAuditKeyPair();
    const two = generateAuditKeyPair();
    const ring = auditKeyring([one.publicKeyPem, two.publicKeyPem]);
    assert.deepEqual([...ring.keys()].sort(), [one.keyId, two.keyId].sort());
    assert.equal(auditKeyring(one.publicKeyPem).size, 1);
  });

  test("unusable keys are configuration errors that do not echo the key", () => {
    assert.throws(() => createAuditSigner("-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----"), (error: unknown) => configError(error) && !String((error as Error).message).includes("not really"));
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    assert.throws(() => createAuditSigner(rsa.privateKey), (error: unknown) => configError(error) && /Ed25519/.test((error as Error).message));
    assert.throws(() => createAuditSigner(auditPublicKey(generateAuditKeyPair().publicKeyPem)), configError);
    assert.throws(() => auditPublicKey("garbage"), configError);
  });
});
