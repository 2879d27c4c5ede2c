/**
 * Ed25519 keys for checkpoints and chain registrations (node:crypto). The private key lives in
 * the gateway's configuration; verification needs only the public key, so an auditor can check a
 * log without being able to forge one.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from "node:crypto";
import { AuditError } from "./errors.ts";

/** Signs audit checkpoints and chain registrations. */
export interface AuditSigner {
  /** Fingerprint of the public key, recorded with every signature. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature over the UTF-8 text. */
  sign(text: string): string;
}

/** A freshly generated key pair, as PEM text for the configuration. */
export interface AuditKeyPair {
  /** PKCS#8 PEM: the secret that goes in the gateway's configuration. */
  privateKeyPem: string;
  /** SPKI PEM: what `hearth audit verify` needs. */
  publicKeyPem: string;
  keyId: string;
}

/** A public key given as PEM (public or private: a private key's public half is used) or a KeyObject. */
export type AuditPublicKeyInput = string | KeyObject;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function requireEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new AuditError("audit_config", `The audit ${what} must be an Ed25519 key (got ${key.asymmetricKeyType ?? key.type}); create one with \`hearth audit keygen\`.`);
  }
}

/** The public key as a KeyObject; throws `audit_config` for anything that is not an Ed25519 key. */
export function auditPublicKey(input: AuditPublicKeyInput): KeyObject {
  let key: KeyObject;
  try {
    if (typeof input !== "string") key = input.type === "private" ? createPublicKey(input) : input;
    else key = input.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(input)) : createPublicKey(input);
  } catch (error) {
    throw new AuditError("audit_config", `The audit public key is not a readable PEM key: ${describe(error)}`, { cause: error });
  }
  requireEd25519(key, "public key");
  return key;
}

/** A short fingerprint of a public key: the first 16 hex digits of SHA-256 over its DER (SPKI) encoding. */
export function auditKeyId(publicKey: AuditPublicKeyInput): string {
  const key = auditPublicKey(publicKey);
  return createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/** A new Ed25519 key pair. */
export function generateAuditKeyPair(): AuditKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: auditKeyId(publicKey),
  };
}

/** A signer from the configured private key (PKCS#8 PEM or a KeyObject); throws `audit_config` if unusable. */
export function createAuditSigner(privateKeyInput: string | KeyObject): AuditSigner {
  let privateKey: KeyObject;
  try {
    privateKey = typeof privateKeyInput === "string" ? createPrivateKey(privateKeyInput) : privateKeyInput;
  } catch (error) {
    // The message of a PEM parse error never contains the key material.
    throw new AuditError("audit_config", `The audit signing key is not a readable PEM private key: ${describe(error)}`, { cause: error });
  }
  if (privateKey.type !== "private") throw new AuditError("audit_config", "The audit signing key must be a private key (got a public key).");
  requireEd25519(privateKey, "signing key");
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: auditKeyId(publicKey),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (text) => sign(null, Buffer.from(text, "utf8"), privateKey).toString("base64"),
  };
}

/** True when `signature` (base64) is `key`'s Ed25519 signature over the text. */
export function verifyAuditSignature(key: KeyObject, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text, "utf8"), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/**
 * The keys a verification accepts, by key id: the current one and, after a rotation, older ones
 * whose checkpoints are still in the log.
 */
export function auditKeyring(keys: AuditPublicKeyInput | readonly AuditPublicKeyInput[]): Map<string, KeyObject> {
  const list: readonly AuditPublicKeyInput[] = Array.isArray(keys) ? keys : [keys as AuditPublicKeyInput];
  const ring = new Map<string, KeyObject>();
  for (const input of list) {
    const key = auditPublicKey(input);
    ring.set(auditKeyId(key), key);
  }
  return ring;
}
