import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { ApiKeyRecord, KeyLimits, KeyStore, Locality } from "./types.ts";

/**
 * Who sent a request, as the gateway sees it after authentication: the key's name (never the
 * key), its team, and what the key may do. Static keys from the config file and virtual keys
 * from the database both become a Caller.
 */
export interface Caller {
  /** The key's name. */
  key: string;
  team?: string | undefined;
  /** The stored key's id; undefined for keys from the config file. */
  id?: string | undefined;
  role?: "user" | "admin" | undefined;
  /** Public model/route names the key may use (`*` suffix = prefix); undefined = any. */
  models?: readonly string[] | undefined;
  /** Where the key's requests may be served; undefined = anywhere. */
  localities?: readonly Locality[] | undefined;
  limits?: KeyLimits | undefined;
}

/** A key from the config file (`server.apiKeys`, `server.adminKeys`). */
export interface StaticKey {
  key: string;
  name: string;
  team?: string | undefined;
  role: "user" | "admin";
  models?: readonly string[] | undefined;
  localities?: readonly Locality[] | undefined;
  limits?: KeyLimits | undefined;
}

export interface KeyServiceOptions {
  /** Virtual keys in the database; absent = config keys only. */
  store?: KeyStore | undefined;
  staticKeys?: readonly StaticKey[] | undefined;
  /** Epoch ms. */
  clock?: () => number;
  /**
   * How long a looked-up database key is trusted before it is read again (default 5 s): the
   * bound on how late a revocation made elsewhere (the CLI, another replica) takes effect. A
   * revocation through this service applies at once.
   */
  cacheMs?: number | undefined;
}

export interface CreateKeyInput {
  name: string;
  team?: string | undefined;
  role?: "user" | "admin" | undefined;
  models?: string[] | undefined;
  localities?: Locality[] | undefined;
  limits?: KeyLimits | undefined;
  expiresAt?: number | undefined;
}

export type CreateKeyResult = { ok: true; record: ApiKeyRecord; secret: string } | { ok: false; reason: "name_taken" | "no_store" };

/** The public view of a key: everything but its digest. */
export type KeySummary = Omit<ApiKeyRecord, "digest">;

export function digestKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** `hk_` + 43 characters of base64url: 256 random bits. */
export function generateKeySecret(): string {
  return `hk_${randomBytes(32).toString("base64url")}`;
}

export function summarizeKey(record: ApiKeyRecord): KeySummary {
  const { digest: _digest, ...summary } = record;
  return summary;
}

/** Whether `name` is allowed by a key's model list (`*` at the end matches a prefix). */
export function modelAllowed(patterns: readonly string[] | undefined, name: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((pattern) => (pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name));
}

function callerOf(record: ApiKeyRecord): Caller {
  return {
    key: record.name,
    team: record.team ?? undefined,
    id: record.id,
    role: record.role,
    models: record.models ?? undefined,
    localities: record.localities ?? undefined,
    limits: record.limits,
  };
}

interface CachedLookup {
  caller: Caller | undefined;
  expiresAt: number;
  /** The key's own expiry, checked on every use. */
  keyExpiresAt: number | null;
}

/**
 * Authentication and key management. Static keys are compared in constant time against every
 * configured key; database keys are found by digest (a lookup, not a comparison: the digest of
 * a random 256-bit key leaks nothing useful) and cached briefly, misses included, so a flood of
 * bad keys costs one hash each rather than a database query each.
 */
export function createKeyService(options: KeyServiceOptions = {}) {
  const clock = options.clock ?? Date.now;
  const cacheMs = options.cacheMs ?? 5_000;
  const store = options.store;
  const staticKeys = (options.staticKeys ?? []).map((entry) => ({
    digest: createHash("sha256").update(entry.key).digest(),
    caller: { key: entry.name, team: entry.team, role: entry.role, models: entry.models, localities: entry.localities, limits: entry.limits } satisfies Caller,
  }));
  const cache = new Map<string, CachedLookup>();
  const maxCacheEntries = 10_000;
  let activeCount: { value: number; expiresAt: number } | undefined;

  async function lookup(digest: string): Promise<Caller | undefined> {
    const now = clock();
    const cached = cache.get(digest);
    if (cached !== undefined && cached.expiresAt > now) {
      if (cached.keyExpiresAt !== null && cached.keyExpiresAt <= now) return undefined;
      return cached.caller;
    }
    if (store === undefined) return undefined;
    const record = await store.findByDigest(digest);
    const usable = record !== undefined && record.revokedAt === null;
    if (cache.size >= maxCacheEntries) cache.clear();
    cache.set(digest, { caller: usable ? callerOf(record) : undefined, expiresAt: now + cacheMs, keyExpiresAt: record?.expiresAt ?? null });
    if (!usable || (record.expiresAt !== null && record.expiresAt <= now)) return undefined;
    return callerOf(record);
  }

  return {
    /** The caller a presented key belongs to, or undefined for an unknown, revoked or expired key. */
    async authenticate(token: string): Promise<Caller | undefined> {
      const presented = createHash("sha256").update(token).digest();
      // Every static key is compared (no early exit), so timing does not tell which one matched.
      let caller: Caller | undefined;
      for (const entry of staticKeys) if (timingSafeEqual(entry.digest, presented)) caller = entry.caller;
      if (caller !== undefined) return caller;
      return lookup(presented.toString("hex"));
    },

    /**
     * Whether clients must authenticate: any static key, or any active key in the database
     * (re-counted at most every `cacheMs`), turns authentication on. Without any key the server
     * is open, which `serve` allows only on loopback.
     */
    async authRequired(): Promise<boolean> {
      if (staticKeys.length > 0) return true;
      if (store === undefined) return false;
      const now = clock();
      if (activeCount === undefined || activeCount.expiresAt <= now) activeCount = { value: await store.countActive(), expiresAt: now + cacheMs };
      return activeCount.value > 0;
    },

    hasStore: store !== undefined,

    /** Creates a virtual key; the secret is returned once and never stored. */
    async create(input: CreateKeyInput): Promise<CreateKeyResult> {
      if (store === undefined) return { ok: false, reason: "no_store" };
      const secret = generateKeySecret();
      const record: ApiKeyRecord = {
        id: `key_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        name: input.name,
        team: input.team ?? null,
        role: input.role ?? "user",
        digest: digestKey(secret),
        prefix: secret.slice(0, 7),
        createdAt: clock(),
        revokedAt: null,
        expiresAt: input.expiresAt ?? null,
        models: input.models ?? null,
        localities: input.localities ?? null,
        limits: input.limits ?? {},
      };
      if ((await store.insert(record)) === "name_taken") return { ok: false, reason: "name_taken" };
      activeCount = undefined;
      cache.delete(record.digest);
      return { ok: true, record, secret };
    },

    async list(): Promise<ApiKeyRecord[]> {
      return store === undefined ? [] : store.list();
    },

    /** Revokes by id or name; effective at once here, within `cacheMs` on other replicas. */
    async revoke(idOrName: string): Promise<ApiKeyRecord | undefined> {
      if (store === undefined) return undefined;
      const record = await store.revoke(idOrName, clock());
      if (record !== undefined) cache.delete(record.digest);
      activeCount = undefined;
      return record;
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
