import type { ModelInfo } from "../../spec/model.ts";

/** Where a model runs; a key may be limited to some of them ("local only" keys). */
export type Locality = ModelInfo["locality"];

/** What a key may spend and how fast; every field is optional (absent = no limit). */
export interface KeyLimits {
  /** Requests per minute. */
  rpm?: number | undefined;
  /** Tokens (input + output) per minute. */
  tpm?: number | undefined;
  /** USD per UTC calendar day. */
  budgetDay?: number | undefined;
  /** USD per UTC calendar month. */
  budgetMonth?: number | undefined;
}

/**
 * A virtual key as stored: never the key itself, only its SHA-256 digest (the keys are 256-bit
 * random strings, so a fast hash is enough: there is nothing to brute-force) and a short display
 * prefix so people can tell keys apart in lists.
 */
export interface ApiKeyRecord {
  /** Stable id (`key_…`), used by revoke and recorded in the audit log. */
  id: string;
  /** Unique, human-chosen; what logs, audit entries and policy rules call the key. */
  name: string;
  team: string | null;
  /** "admin" keys may manage keys, read everyone's usage and the audit log, and decide reviews. */
  role: "user" | "admin";
  /** Hex SHA-256 of the key. */
  digest: string;
  /** The key's first characters (`hk_AbCd`), for recognising it in a list. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  /** Epoch ms after which the key stops working; null = never. */
  expiresAt: number | null;
  /** Public model or route names the key may use (`*` at the end matches a prefix); null = any. */
  models: string[] | null;
  /** Localities the key's requests may be served from; null = any. */
  localities: Locality[] | null;
  limits: KeyLimits;
}

export type NewApiKeyRecord = Omit<ApiKeyRecord, "revokedAt">;

/** Keys as kept by a database adapter (SQLite, PostgreSQL). */
export interface KeyStore {
  /** Stores a new key; "name_taken" (and nothing stored) when the name is in use, revoked keys included. */
  insert(record: NewApiKeyRecord): Promise<"inserted" | "name_taken">;
  findByDigest(digest: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, newest first, revoked ones included. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key with this id or name revoked; returns it, or undefined when there is none. Revoking twice keeps the first time. */
  revoke(idOrName: string, at: number): Promise<ApiKeyRecord | undefined>;
  /** How many keys are usable (not revoked). */
  countActive(): Promise<number>;
}
