/**
 * Failures of the audit log. Configuration errors surface at start-up (a body mode that needs a
 * key without one, a bad PEM); write errors reach the caller of `append` in strict mode, which
 * then fails the request rather than serve it unrecorded.
 */
export type AuditErrorCode =
  /** The audit configuration is unusable (missing or malformed key, unknown body mode). */
  | "audit_config"
  /** A record the log cannot store faithfully (a non-finite number, a wrong type). */
  | "audit_invalid_record"
  /** The log was used after `close()`. */
  | "audit_closed"
  /** The database did not take the entry (strict mode); the request should fail. */
  | "audit_write_failed"
  /** Rows this writer did not write appeared in its chain (or its rows vanished); it moved to a new chain. */
  | "audit_chain_diverged"
  /** A stored body could not be decrypted (wrong key, or the ciphertext was changed). */
  | "audit_decrypt_failed";

const marker = Symbol.for("hearth.audit-error");

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  readonly [marker] = true;

  constructor(code: AuditErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AuditError";
    this.code = code;
  }

  /** Works across duplicate copies of this module, unlike `instanceof`. */
  static isInstance(value: unknown): value is AuditError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
