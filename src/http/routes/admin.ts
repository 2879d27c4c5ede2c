import type { Next } from "hono";
import { z } from "zod";
import type { KeyService } from "../../core/keys/service.ts";
import { summarizeKey } from "../../core/keys/service.ts";
import type { ApiKeyRecord } from "../../core/keys/types.ts";
import type { AuditEntry, AuditQuery } from "../../core/audit/types.ts";
import { usageDimensions, type UsageDimension, type UsageRow, type UsageStore } from "../../core/usage/types.ts";
import { HearthError } from "../../spec/errors.ts";
import { readJsonBody } from "../body.ts";
import { errorResponse, openAIErrorFormat, type HearthApp, type HearthContext } from "../kit.ts";

/** Records an administrative action in the audit log. */
export type AdminAuditor = (action: { action: string; subject: string | null; context: HearthContext; status: number }) => Promise<void>;

export interface AdminRouteDependencies {
  keys: KeyService;
  usage?: UsageStore | undefined;
  audit: AdminAuditor;
  /** Reads written audit entries, newest first; absent when the audit log is off. */
  auditQuery?: ((filter: AuditQuery) => Promise<AuditEntry[]>) | undefined;
}

/**
 * Whether the request may administer: an admin key, or no authentication at all (no key
 * exists anywhere, which serve allows only on loopback: whoever can reach it owns the machine).
 */
export async function isAdministrator(context: HearthContext, keys: KeyService): Promise<boolean> {
  const caller = context.get("caller");
  if (caller === undefined) return !(await keys.authRequired());
  return caller.role === "admin";
}

/** Middleware: 403 in OpenAI's shape for anyone but an administrator. */
export function requireAdmin(keys: KeyService) {
  return async (context: HearthContext, next: Next): Promise<Response | void> => {
    if (await isAdministrator(context, keys)) return next();
    return errorResponse(new HearthError("forbidden", "This endpoint needs an admin key (server.adminKeys, or a key created with `hearth keys create --admin`)."), context.get("requestId"), openAIErrorFormat);
  };
}

const budgetBody = z.strictObject({ day: z.number().positive().optional(), month: z.number().positive().optional() });

const createKeyBody = z.strictObject({
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "use letters, digits and . _ : @ -"),
  team: z.string().min(1).max(128).optional(),
  admin: z.boolean().optional(),
  models: z.array(z.string().min(1)).min(1).optional(),
  localities: z.array(z.enum(["in-process", "self-hosted", "third-party"])).min(1).optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  budget: budgetBody.optional(),
  /** Unix seconds. */
  expires_at: z.number().int().positive().optional(),
});

export type CreateKeyBody = z.infer<typeof createKeyBody>;

const seconds = (milliseconds: number | null): number | null => (milliseconds === null ? null : Math.floor(milliseconds / 1000));

/** The API's view of a key: snake_case, Unix seconds (as OpenAI's objects and Hearth's reviews), no digest. */
export function toKeyObject(record: ApiKeyRecord) {
  const summary = summarizeKey(record);
  return {
    object: "hearth.key" as const,
    id: summary.id,
    name: summary.name,
    team: summary.team,
    role: summary.role,
    prefix: summary.prefix,
    created_at: seconds(summary.createdAt),
    revoked_at: seconds(summary.revokedAt),
    expires_at: seconds(summary.expiresAt),
    models: summary.models,
    localities: summary.localities,
    rpm: summary.limits.rpm ?? null,
    tpm: summary.limits.tpm ?? null,
    budget: { day: summary.limits.budgetDay ?? null, month: summary.limits.budgetMonth ?? null },
  };
}

/** An audit entry as the API shows it: snake_case; `time` stays epoch milliseconds (an audit needs them). */
export function toAuditObject(entry: AuditEntry) {
  return {
    object: "hearth.audit_entry" as const,
    seq: entry.seq,
    time: entry.time,
    request_id: entry.requestId,
    kind: entry.kind,
    action: entry.action,
    dialect: entry.dialect,
    key: entry.key,
    team: entry.team,
    model: entry.model,
    route: entry.route,
    provider: entry.provider,
    target: entry.target,
    locality: entry.locality,
    policy_rule: entry.policyRule,
    policy_action: entry.policyAction,
    data_classes: entry.dataClasses,
    input_tokens: entry.inputTokens,
    output_tokens: entry.outputTokens,
    cost_usd: entry.costUsd,
    latency_ms: entry.latencyMs,
    status: entry.status,
    error_code: entry.errorCode,
    subject: entry.subject,
    bodies: entry.bodies,
    chain: entry.chain,
    chain_seq: entry.chainSeq,
    prev_hash: entry.prevHash,
    hash: entry.hash,
    // A row whose stored content is not an entry any more: its fields above are placeholders.
    ...(entry.damaged === true ? { damaged: true as const } : {}),
  };
}

function toUsageObject(row: UsageRow) {
  return {
    ...row.group,
    requests: row.requests,
    errors: row.errors,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost_usd: row.costUsd,
    unpriced_requests: row.unpriced,
  };
}

function invalid(error: z.ZodError): HearthError {
  const issue = error.issues[0];
  const param = issue?.path.map(String).join(".") || undefined;
  return new HearthError("invalid_request", `${param ?? "body"}: ${issue?.message ?? "invalid"}`, { param });
}

/** A time bound from a query parameter: epoch ms, or an ISO 8601 date/time. */
export function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(parsed)) throw new HearthError("invalid_request", `${name} must be epoch milliseconds or an ISO 8601 date (got ${value}).`, { param: name });
  return parsed;
}

/**
 * `GET/POST /v1/hearth/keys`, `DELETE /v1/hearth/keys/:id` (admin only) and
 * `GET /v1/hearth/usage` (admins see everything; any other key sees its own usage).
 */
export function mountAdminRoutes(app: HearthApp, dependencies: AdminRouteDependencies): void {
  const { keys, usage, audit } = dependencies;
  const adminOnly = requireAdmin(keys);
  const fail = (context: HearthContext, error: HearthError) => errorResponse(error, context.get("requestId"), openAIErrorFormat);

  app.use("/v1/hearth/keys", adminOnly);
  app.use("/v1/hearth/keys/*", adminOnly);
  app.use("/v1/hearth/audit", adminOnly);

  app.get("/v1/hearth/audit", async (context) => {
    const query = dependencies.auditQuery;
    if (query === undefined) return fail(context, new HearthError("unsupported", "The audit log is off on this server (audit.enabled: false)."));
    try {
      const limitParameter = context.req.query("limit");
      const limit = limitParameter === undefined || limitParameter === "" ? undefined : Number(limitParameter);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
        throw new HearthError("invalid_request", "limit must be a whole number from 1 to 10000.", { param: "limit" });
      }
      const entries = await query({
        since: parseTime(context.req.query("since"), "since"),
        until: parseTime(context.req.query("until"), "until"),
        key: context.req.query("key") || undefined,
        team: context.req.query("team") || undefined,
        requestId: context.req.query("request_id") || undefined,
        limit,
      });
      return context.json({ object: "list", data: entries.map(toAuditObject) });
    } catch (error) {
      if (HearthError.isInstance(error)) return fail(context, error);
      throw error;
    }
  });

  app.get("/v1/hearth/keys", async (context) => {
    const list = await keys.list();
    return context.json({ object: "list", data: list.map(toKeyObject) });
  });

  app.post("/v1/hearth/keys", async (context) => {
    let body: CreateKeyBody;
    try {
      // The shared reader: refuses a body over the cap before (or while) reading it, not after.
      const parsed = createKeyBody.safeParse(await readJsonBody(context.req.raw, 64_000));
      if (!parsed.success) return fail(context, invalid(parsed.error));
      body = parsed.data;
    } catch (error) {
      if (HearthError.isInstance(error)) return fail(context, error);
      throw error;
    }
    if (!keys.hasStore) return fail(context, new HearthError("unsupported", "This server has no key store."));
    const created = await keys.create({
      name: body.name,
      team: body.team,
      role: body.admin === true ? "admin" : "user",
      models: body.models,
      localities: body.localities,
      limits: { rpm: body.rpm, tpm: body.tpm, budgetDay: body.budget?.day, budgetMonth: body.budget?.month },
      expiresAt: body.expires_at === undefined ? undefined : body.expires_at * 1000,
    });
    if (!created.ok) {
      await audit({ action: "keys.create", subject: body.name, context, status: 409 });
      const conflict = new HearthError("invalid_request", `A key named '${body.name}' already exists (names stay taken after a revoke).`, { param: "name" });
      return new Response(JSON.stringify(openAIErrorFormat(conflict)), { status: 409, headers: { "content-type": "application/json", "x-request-id": context.get("requestId") } });
    }
    await audit({ action: "keys.create", subject: created.record.id, context, status: 201 });
    // The only time the key is ever shown.
    return context.json({ ...toKeyObject(created.record), key: created.secret }, 201);
  });

  const revoke = async (context: HearthContext) => {
    const id = context.req.param("id") as string;
    const record = await keys.revoke(id);
    if (record === undefined) {
      await audit({ action: "keys.revoke", subject: id, context, status: 404 });
      return fail(context, new HearthError("not_found", `No key with id or name ${id}.`, { param: "id" }));
    }
    await audit({ action: "keys.revoke", subject: record.id, context, status: 200 });
    return context.json(toKeyObject(record));
  };
  app.delete("/v1/hearth/keys/:id", revoke);
  app.post("/v1/hearth/keys/:id/revoke", revoke);

  app.get("/v1/hearth/usage", async (context) => {
    if (usage === undefined) return fail(context, new HearthError("unsupported", "This server keeps no usage."));
    try {
      const groupParameter = context.req.query("group_by") ?? "";
      const groupBy = groupParameter === "" ? [] : groupParameter.split(",").map((item) => item.trim());
      for (const dimension of groupBy) {
        if (!usageDimensions.includes(dimension as UsageDimension)) {
          throw new HearthError("invalid_request", `group_by takes ${usageDimensions.join(", ")} (got ${dimension}).`, { param: "group_by" });
        }
      }
      const since = parseTime(context.req.query("since"), "since");
      const until = parseTime(context.req.query("until"), "until");
      let key = context.req.query("key") || undefined;
      const team = context.req.query("team") || undefined;
      if (!(await isAdministrator(context, keys))) {
        // A client key sees its own usage only.
        const own = context.get("caller")?.key;
        if (key !== undefined && key !== own) throw new HearthError("forbidden", "A client key may read only its own usage; reading other keys' usage needs an admin key.", { param: "key" });
        if (team !== undefined) throw new HearthError("forbidden", "Team usage needs an admin key.", { param: "team" });
        key = own;
      }
      const rows = await usage.summary({ since, until, key, team, groupBy: groupBy as UsageDimension[] });
      return context.json({ object: "list", group_by: groupBy, since: since ?? null, until: until ?? null, data: rows.map(toUsageObject) });
    } catch (error) {
      if (HearthError.isInstance(error)) return fail(context, error);
      throw error;
    }
  });
}
