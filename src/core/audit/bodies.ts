/**
 * Request/response bodies in the audit log. Plaintext never reaches the database: `hash` keeps
 * SHA-256 digests (proof of what was sent, nothing to leak), `redacted` and `full` keep
 * AES-256-GCM ciphertext. The chain hash covers the stored form, so verification never needs the
 * decryption key, and an auditor who holds it can read a body without being able to alter it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { sha256Hex } from "./canonical.ts";
import { AuditError } from "./errors.ts";
import type { AuditBodyMode, AuditRecord, StoredBodies, StoredBody } from "./types.ts";

export const auditBodyModes: readonly AuditBodyMode[] = ["off", "hash", "redacted", "full"];

export interface AuditBodyOptions {
  /** 32 bytes; required by `redacted` and `full`. */
  encryptionKey?: Buffer | undefined;
  /** Applied before encryption in `redacted` mode (the PII redactor); required there. */
  redact?: ((text: string) => string) | undefined;
}

/** Authenticated with every body, so ciphertext made for something else does not decrypt as a body. */
const associatedData = Buffer.from("hearth-audit-body-v1", "utf8");

/** A fingerprint of the encryption key, stored with each body: tells keys apart after a rotation, reveals nothing about the key. */
export function encryptionKeyId(key: Buffer): string {
  return createHash("sha256").update("hearth-audit-body-key\n").update(key).digest("hex").slice(0, 16);
}

/**
 * Throws `audit_config` when `mode` cannot work with these options. Call it at start-up, so a
 * missing key is a configuration error instead of a failure on the first request.
 */
export function checkBodyOptions(mode: AuditBodyMode, options: AuditBodyOptions = {}): void {
  if (!auditBodyModes.includes(mode)) {
    throw new AuditError("audit_config", `Unknown audit body mode ${JSON.stringify(mode)}; use one of ${auditBodyModes.join(", ")}.`);
  }
  if (mode !== "redacted" && mode !== "full") return;
  if (options.encryptionKey === undefined) {
    throw new AuditError("audit_config", `Audit body mode "${mode}" stores encrypted bodies and needs an encryption key (32 bytes, e.g. 64 hex digits); none is configured. Set one, or use body mode "hash" or "off".`);
  }
  if (options.encryptionKey.length !== 32) {
    throw new AuditError("audit_config", `The audit body encryption key must be 32 bytes (AES-256); it is ${options.encryptionKey.length}.`);
  }
  if (mode === "redacted" && options.redact === undefined) {
    throw new AuditError("audit_config", 'Audit body mode "redacted" needs a redactor; none was given.');
  }
}

function encrypt(text: string, key: Buffer, keyId: string): StoredBody {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(associatedData);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return { keyId, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
}

/**
 * The stored form of a record's bodies under `mode`; null when the mode is "off" or there is no
 * body. Throws `audit_config` when the mode needs a key (or redactor) that is missing.
 */
export function prepareBodies(mode: AuditBodyMode, bodies: AuditRecord["bodies"], options: AuditBodyOptions = {}): StoredBodies | null {
  checkBodyOptions(mode, options);
  if (mode === "off" || bodies === undefined) return null;
  const request = bodies.request;
  const response = bodies.response;
  if (request === undefined && response === undefined) return null;
  if (mode === "hash") {
    return {
      mode,
      request: request === undefined ? null : { sha256: sha256Hex(request) },
      response: response === undefined ? null : { sha256: sha256Hex(response) },
    };
  }
  const key = options.encryptionKey as Buffer;
  const keyId = encryptionKeyId(key);
  const transform = mode === "redacted" ? (options.redact as (text: string) => string) : (text: string) => text;
  return {
    mode,
    request: request === undefined ? null : encrypt(transform(request), key, keyId),
    response: response === undefined ? null : encrypt(transform(response), key, keyId),
  };
}

/**
 * The plaintext of an encrypted body. Throws `audit_decrypt_failed` for a digest-only body, the
 * wrong key, or ciphertext that was changed (GCM authenticates it).
 */
export function decryptBody(body: StoredBody, encryptionKey: Buffer): string {
  if ("sha256" in body) throw new AuditError("audit_decrypt_failed", "This body was stored as a digest only (body mode \"hash\"); there is nothing to decrypt.");
  if (encryptionKey.length !== 32) throw new AuditError("audit_decrypt_failed", `The decryption key must be 32 bytes; it is ${encryptionKey.length}.`);
  if (body.keyId !== encryptionKeyId(encryptionKey)) {
    throw new AuditError("audit_decrypt_failed", `This body was encrypted with key ${body.keyId}, not with the given key (${encryptionKeyId(encryptionKey)}).`);
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", encryptionKey, Buffer.from(body.iv, "base64"), { authTagLength: 16 });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(Buffer.from(body.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body.data, "base64")), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new AuditError("audit_decrypt_failed", "The body does not decrypt: its ciphertext, IV or tag was changed.", { cause: error });
  }
}
