import os from "node:os";
import { z } from "zod";
import { createApiClient, describeFailure, resolveServerAddress, toSingleLine, type ServerAddress } from "./hearth-api.ts";
import type OpenAI from "openai";

/** The statuses `hearth reviews list --status` accepts; `all` lists every status. */
export const reviewListStatuses = ["pending", "approved", "denied", "expired", "all"] as const;

interface ServerOptions {
  /** The server's root (`http://127.0.0.1:8411`) or its API prefix (`…/v1`). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Print the server's JSON unchanged instead of text for people. */
  json?: boolean | undefined;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
}

/** `hearth reviews list`: what waits for (or got) a human decision, as the server reports it. */
export interface ReviewsListOptions extends ServerOptions {
  /** Default `pending`, the queue a reviewer works through. */
  status?: string | undefined;
  /** Epoch milliseconds, for the AGE and EXPIRES columns. Default `Date.now`. */
  clock?: (() => number) | undefined;
}

/** `hearth reviews approve|deny <id>`. */
export interface ReviewsDecideOptions extends ServerOptions {
  id: string;
  decision: "approve" | "deny";
  note?: string | undefined;
  /** Who decides, recorded with the decision. Default: the local user name. */
  by?: string | undefined;
}

const reviewSchema = z.object({
  id: z.string(),
  status: z.string(),
  kind: z.string().optional().catch(undefined),
  created_at: z.number().optional().catch(undefined),
  expires_at: z.number().optional().catch(undefined),
  model: z.string().optional().catch(undefined),
  route: z.string().nullable().optional().catch(undefined),
  rule: z.string().optional().catch(undefined),
  reasons: z.array(z.string()).optional().catch(undefined),
  preview: z.string().optional().catch(undefined),
  decided_by: z.string().nullable().optional().catch(undefined),
  note: z.string().nullable().optional().catch(undefined),
});

/** One review as `GET /v1/hearth/reviews` sends it; extras the CLI does not show are ignored. */
export type ReviewEntry = z.infer<typeof reviewSchema>;

const reviewListSchema = z.object({ data: z.array(reviewSchema) });

type Connected = { ok: true; client: OpenAI; address: ServerAddress } | { ok: false };

function connect(options: ServerOptions): Connected {
  const resolved = resolveServerAddress(options.baseUrl);
  if (!resolved.ok) {
    options.errorOutput.write(`${resolved.message}\n`);
    return { ok: false };
  }
  return { ok: true, client: createApiClient(resolved.address, options.apiKey), address: resolved.address };
}

function localUser(): string {
  try {
    const name = os.userInfo().username;
    return name === "" ? "cli" : name;
  } catch {
    return "cli";
  }
}

/** Lists reviews; returns the process exit code. */
export async function reviewsListCommand(options: ReviewsListOptions): Promise<number> {
  const status = options.status ?? "pending";
  if (!(reviewListStatuses as readonly string[]).includes(status)) {
    options.errorOutput.write(`Error: --status must be one of ${reviewListStatuses.join(", ")} (got ${toSingleLine(status)}).\n`);
    return 2;
  }
  const connected = connect(options);
  if (!connected.ok) return 1;
  let raw: unknown;
  try {
    raw = await connected.client.get<unknown>("/hearth/reviews", { query: { status } });
  } catch (error) {
    options.errorOutput.write(`${describeFailure(error, connected.address)}\n`);
    return 1;
  }
  const parsed = reviewListSchema.safeParse(raw);
  if (!parsed.success) {
    options.errorOutput.write(`Error: ${connected.address.api}/hearth/reviews did not answer with a review list (is this an older Hearth?).\n`);
    return 1;
  }
  if (options.json === true) {
    options.output.write(`${JSON.stringify(raw, null, 2)}\n`);
    return 0;
  }
  if (parsed.data.data.length === 0) {
    options.output.write(status === "all" ? "No reviews.\n" : `No ${status} reviews.\n`);
    return 0;
  }
  options.output.write(formatReviewTable(parsed.data.data, (options.clock ?? Date.now)()));
  return 0;
}

/** Approves or denies one review; returns the process exit code. */
export async function reviewsDecideCommand(options: ReviewsDecideOptions): Promise<number> {
  const connected = connect(options);
  if (!connected.ok) return 1;
  const body: Record<string, string> = { by: options.by ?? localUser() };
  if (options.note !== undefined) body.note = options.note;
  let raw: unknown;
  try {
    raw = await connected.client.post<unknown>(`/hearth/reviews/${encodeURIComponent(options.id)}/${options.decision}`, { body });
  } catch (error) {
    options.errorOutput.write(`${describeFailure(error, connected.address)}\n`);
    return 1;
  }
  if (options.json === true) {
    options.output.write(`${JSON.stringify(raw, null, 2)}\n`);
    return 0;
  }
  const parsed = reviewSchema.safeParse(raw);
  const item = parsed.success ? parsed.data : undefined;
  const done = options.decision === "approve" ? "Approved" : "Denied";
  const what = item?.model === undefined ? "" : ` (${cell(item.model)}${item.rule === undefined ? "" : `, rule ${cell(item.rule)}`})`;
  options.output.write(`${done} review ${toSingleLine(options.id)}${what}.\n`);
  return 0;
}

const columns = ["ID", "STATUS", "KIND", "MODEL", "RULE", "REASONS", "AGE", "EXPIRES", "PREVIEW"] as const;
const previewWidth = 60;

/** A fixed-width table, one review a row, newest first as the server sends them; "-" where unknown. */
export function formatReviewTable(reviews: readonly ReviewEntry[], now: number): string {
  const rows: string[][] = [
    [...columns],
    ...reviews.map((review) => [
      toSingleLine(review.id),
      cell(review.status),
      cell(review.kind),
      cell(review.route === undefined || review.route === null ? review.model : `${review.model ?? "-"} (${review.route})`),
      cell(review.rule),
      cell(review.reasons?.join(",")),
      review.created_at === undefined ? "-" : `${span(now / 1000 - review.created_at)} ago`,
      review.status !== "pending" || review.expires_at === undefined ? "-" : `in ${span(review.expires_at - now / 1000)}`,
      clipPreview(review.preview),
    ]),
  ];
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((value, index) => (index === row.length - 1 ? value : value.padEnd(widths[index] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** Seconds as the largest whole unit: 42s, 7m, 3h, 2d. */
export function span(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3_600) return `${Math.floor(whole / 60)}m`;
  if (whole < 86_400) return `${Math.floor(whole / 3_600)}h`;
  return `${Math.floor(whole / 86_400)}d`;
}

function clipPreview(text: string | undefined): string {
  const line = cell(text);
  return line.length <= previewWidth ? line : `${line.slice(0, previewWidth - 1)}…`;
}

function cell(value: string | undefined | null): string {
  if (value === undefined || value === null) return "-";
  const text = toSingleLine(value);
  return text === "" ? "-" : text;
}
