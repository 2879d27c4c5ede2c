import type { KeyService } from "../../core/keys/service.ts";
import type { ApiKeyRecord, Locality } from "../../core/keys/types.ts";
import type { UsageDimension, UsageStore } from "../../core/usage/types.ts";
import { usageDimensions } from "../../core/usage/types.ts";
import { formatTable } from "../table.ts";

/**
 * `hearth keys create|list|revoke` and `hearth usage`: in-process on the configured storage
 * (the SQLite file in dataDir, or PostgreSQL), so they work with or without a running server.
 * A running server sees a new key at once and a revocation within its key cache time (5 s).
 */
export interface KeyCommandContext {
  keys: KeyService;
  /** Records the administrative action in the audit log (resolves when durable). */
  audit(action: string, subject: string | null, status: number): Promise<void>;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
  json?: boolean | undefined;
}

export interface KeysCreateOptions {
  name: string;
  team?: string | undefined;
  admin?: boolean | undefined;
  models?: string[] | undefined;
  localities?: string[] | undefined;
  rpm?: number | undefined;
  tpm?: number | undefined;
  budgetDay?: number | undefined;
  budgetMonth?: number | undefined;
  /** Epoch ms. */
  expiresAt?: number | undefined;
}

const localities: readonly Locality[] = ["in-process", "self-hosted", "third-party"];

function money(value: number | undefined): string {
  return value === undefined ? "-" : `$${value}`;
}

function describeLimits(record: ApiKeyRecord): string {
  const parts: string[] = [];
  if (record.limits.rpm !== undefined) parts.push(`${record.limits.rpm} rpm`);
  if (record.limits.tpm !== undefined) parts.push(`${record.limits.tpm} tpm`);
  if (record.limits.budgetDay !== undefined) parts.push(`${money(record.limits.budgetDay)}/day`);
  if (record.limits.budgetMonth !== undefined) parts.push(`${money(record.limits.budgetMonth)}/month`);
  return parts.length === 0 ? "-" : parts.join(", ");
}

function keyJson(record: ApiKeyRecord) {
  const { digest: _digest, ...rest } = record;
  return rest;
}

export async function keysCreateCommand(context: KeyCommandContext, options: KeysCreateOptions): Promise<number> {
  const unknown = (options.localities ?? []).filter((locality) => !localities.includes(locality as Locality));
  if (unknown.length > 0) {
    context.errorOutput.write(`hearth keys create: --localities takes ${localities.join(", ")} (got ${unknown.join(", ")})\n`);
    return 2;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(options.name)) {
    context.errorOutput.write("hearth keys create: a key name uses letters, digits and . _ : @ - (and starts with a letter or digit)\n");
    return 2;
  }
  const created = await context.keys.create({
    name: options.name,
    team: options.team,
    role: options.admin === true ? "admin" : "user",
    models: options.models,
    localities: options.localities as Locality[] | undefined,
    limits: { rpm: options.rpm, tpm: options.tpm, budgetDay: options.budgetDay, budgetMonth: options.budgetMonth },
    expiresAt: options.expiresAt,
  });
  if (!created.ok) {
    await context.audit("keys.create", options.name, 409);
    context.errorOutput.write(
      created.reason === "name_taken" ? `hearth keys create: a key named '${options.name}' already exists (names stay taken after a revoke)\n` : "hearth keys create: no key store is configured\n",
    );
    return 1;
  }
  await context.audit("keys.create", created.record.id, 201);
  if (context.json === true) {
    context.output.write(`${JSON.stringify({ ...keyJson(created.record), key: created.secret }, null, 2)}\n`);
  } else {
    context.output.write(`${created.secret}\n`);
    context.errorOutput.write(
      `Created ${created.record.role} key '${created.record.name}' (${created.record.id})${created.record.team === null ? "" : ` for team ${created.record.team}`}.\nThis is the only time the key is shown: store it now. Hearth keeps only its SHA-256 digest.\n`,
    );
  }
  return 0;
}

export async function keysListCommand(context: KeyCommandContext): Promise<number> {
  const list = await context.keys.list();
  if (context.json === true) {
    context.output.write(`${JSON.stringify({ data: list.map(keyJson) }, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    context.output.write("No keys in the database (config-file keys are not listed). Create one with `hearth keys create <name>`.\n");
    return 0;
  }
  const rows = list.map((record) => [
    record.name,
    record.id,
    `${record.prefix}…`,
    record.role,
    record.team ?? "-",
    record.revokedAt === null ? (record.expiresAt !== null && record.expiresAt <= Date.now() ? "expired" : "active") : "revoked",
    record.models?.join(",") ?? "any",
    record.localities?.join(",") ?? "any",
    describeLimits(record),
    new Date(record.createdAt).toISOString().slice(0, 16).replace("T", " "),
  ]);
  context.output.write(`${formatTable(["NAME", "ID", "PREFIX", "ROLE", "TEAM", "STATUS", "MODELS", "LOCALITIES", "LIMITS", "CREATED (UTC)"], rows)}\n`);
  return 0;
}

export async function keysRevokeCommand(context: KeyCommandContext, idOrName: string): Promise<number> {
  const record = await context.keys.revoke(idOrName);
  if (record === undefined) {
    await context.audit("keys.revoke", idOrName, 404);
    context.errorOutput.write(`hearth keys revoke: no key with id or name '${idOrName}'\n`);
    return 1;
  }
  await context.audit("keys.revoke", record.id, 200);
  if (context.json === true) context.output.write(`${JSON.stringify(keyJson(record), null, 2)}\n`);
  else context.output.write(`Revoked '${record.name}' (${record.id}). A running server refuses it within 5 s.\n`);
  return 0;
}

export interface UsageCommandOptions {
  usage: UsageStore;
  since?: number | undefined;
  until?: number | undefined;
  groupBy: string[];
  key?: string | undefined;
  team?: string | undefined;
  json?: boolean | undefined;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
}

/** `hearth usage`: requests, tokens and cost, grouped as asked (default by day and model). */
export async function usageCommand(options: UsageCommandOptions): Promise<number> {
  const unknown = options.groupBy.filter((dimension) => !usageDimensions.includes(dimension as UsageDimension));
  if (unknown.length > 0) {
    options.errorOutput.write(`hearth usage: --by takes ${usageDimensions.join(", ")} (got ${unknown.join(", ")})\n`);
    return 2;
  }
  const groupBy = options.groupBy as UsageDimension[];
  const rows = await options.usage.summary({ since: options.since, until: options.until, groupBy, key: options.key, team: options.team });
  if (options.json === true) {
    options.output.write(`${JSON.stringify({ group_by: groupBy, data: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    options.output.write("No usage recorded for that selection.\n");
    return 0;
  }
  const body = rows.map((row) => [
    ...groupBy.map((dimension) => row.group[dimension] || "-"),
    String(row.requests),
    String(row.errors),
    String(row.inputTokens),
    String(row.outputTokens),
    `$${row.costUsd.toFixed(6)}`,
    String(row.unpriced),
  ]);
  const header = [...groupBy.map((dimension) => dimension.toUpperCase()), "REQUESTS", "ERRORS", "INPUT TOKENS", "OUTPUT TOKENS", "COST (USD)", "UNPRICED"];
  if (groupBy.length === 0) {
    header.unshift("");
    for (const row of body) row.unshift("total");
  }
  options.output.write(`${formatTable(header, body)}\n`);
  if (rows.some((row) => row.unpriced > 0)) {
    options.output.write("Unpriced requests are counted at $0: add `costs.prices` (remote models) or `costs.local` (in-process models) to hearth.yaml.\n");
  }
  return 0;
}
