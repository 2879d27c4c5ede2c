import { z } from "zod";
import type { ReviewService } from "../../core/review/service.ts";
import { reviewStatuses, type ReviewDecision, type ReviewItem, type ReviewStatus } from "../../core/review/types.ts";
import { HearthError } from "../../spec/errors.ts";
import { errorResponse, openAIErrorFormat, type HearthApp, type HearthContext } from "../kit.ts";

export interface ReviewRouteDependencies {
  reviews: ReviewService;
}

/** A decision body is two short strings; anything bigger is a mistake or an attack. */
const maxDecisionBodyBytes = 16 * 1024;
const maxListLimit = 1_000;

/**
 * One review as the API shows it: snake_case and times in epoch seconds, like OpenAI's own
 * resource objects (batches, files). The preview is already redacted by whoever queued the item.
 * The fingerprint stays inside: it is a hash of the request, and a short request's hash can be
 * reversed by guessing.
 */
export function toReviewObject(item: ReviewItem) {
  return {
    id: item.id,
    object: "hearth.review",
    status: item.status,
    kind: item.kind,
    created_at: Math.floor(item.createdAt / 1000),
    expires_at: Math.floor(item.expiresAt / 1000),
    model: item.model,
    route: item.route,
    rule: item.rule,
    reasons: item.reasons,
    preview: item.preview,
    key_id: item.keyId,
    decided_at: item.decidedAt === null ? null : Math.floor(item.decidedAt / 1000),
    decided_by: item.decidedBy,
    note: item.note,
  };
}

export type ReviewObject = ReturnType<typeof toReviewObject>;

const decisionBodySchema = z.object({
  note: z.string().max(2_000, "note: at most 2,000 characters").nullish(),
  by: z.string().trim().min(1, "by: must not be empty").max(200, "by: at most 200 characters").optional(),
});

function failure(context: HearthContext, error: HearthError): Response {
  return errorResponse(error, context.get("requestId"), openAIErrorFormat);
}

/**
 * 409 in OpenAI's error shape. The shared code table (spec/errors.ts) has no conflict code yet,
 * so this one answer is written here; `code: "conflict"` names it for clients.
 */
function conflict(context: HearthContext, message: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const requestId = context.get("requestId");
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  return new Response(JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: "conflict" } }), { status: 409, headers });
}

/** The optional JSON body of approve/deny; an absent or empty body means "no note". */
async function readDecisionBody(request: Request): Promise<unknown> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxDecisionBodyBytes) {
    throw new HearthError("payload_too_large", `A decision body is at most ${maxDecisionBodyBytes} bytes.`);
  }
  if (request.body === null) return {};
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxDecisionBodyBytes) {
      await reader.cancel().catch(() => undefined);
      throw new HearthError("payload_too_large", `A decision body is at most ${maxDecisionBodyBytes} bytes.`);
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks, size).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HearthError("invalid_json", `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

function conflictMessage(item: ReviewItem): string {
  if (item.status === "expired") return `Review ${item.id} expired before it was decided.`;
  return `Review ${item.id} was already ${item.status}${item.decidedBy === null ? "" : ` by ${item.decidedBy}`}.`;
}

/**
 * Who the decision is recorded against: the name the reviewer gave and the API key that sent it
 * (a name alone can be anyone's), or just one of them; "api" when the server runs without keys
 * and no name was given.
 */
function decider(named: string | undefined, key: string | undefined): string {
  if (named === undefined) return key ?? "api";
  return key === undefined || key === named ? named : `${named} (key ${key})`;
}

/**
 * `GET /v1/hearth/reviews[?status=&limit=]`, `GET /v1/hearth/reviews/:id`,
 * `POST /v1/hearth/reviews/:id/approve` and `/deny`. Mount after authentication: they sit under
 * `/v1/`, which createApp protects with the API keys.
 */
export function mountReviewRoutes(app: HearthApp, dependencies: ReviewRouteDependencies): void {
  const { reviews } = dependencies;

  app.get("/v1/hearth/reviews", async (context) => {
    const statusParameter = context.req.query("status");
    let status: ReviewStatus | undefined;
    if (statusParameter !== undefined && statusParameter !== "" && statusParameter !== "all") {
      if (!reviewStatuses.includes(statusParameter as ReviewStatus)) {
        return failure(context, new HearthError("invalid_request", `status must be one of ${reviewStatuses.join(", ")} or all (got ${statusParameter}).`, { param: "status" }));
      }
      status = statusParameter as ReviewStatus;
    }
    const limitParameter = context.req.query("limit");
    let limit: number | undefined;
    if (limitParameter !== undefined && limitParameter !== "") {
      limit = Number(limitParameter);
      if (!Number.isInteger(limit) || limit < 1 || limit > maxListLimit) {
        return failure(context, new HearthError("invalid_request", `limit must be a whole number from 1 to ${maxListLimit}.`, { param: "limit" }));
      }
    }
    const items = await reviews.list({ status, limit });
    return context.json({ object: "list", data: items.map(toReviewObject) });
  });

  app.get("/v1/hearth/reviews/:id", async (context) => {
    const id = context.req.param("id");
    const item = await reviews.get(id);
    if (item === undefined) return failure(context, new HearthError("not_found", `No review with id ${id}.`, { param: "id" }));
    return context.json(toReviewObject(item));
  });

  const decide = (decision: ReviewDecision) => async (context: HearthContext) => {
    const id = context.req.param("id") as string;
    let body: z.infer<typeof decisionBodySchema>;
    try {
      const parsed = decisionBodySchema.safeParse(await readDecisionBody(context.req.raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const param = issue?.path.map(String).join(".") || undefined;
        const message = issue?.message.startsWith(`${param}:`) === true ? issue.message : `${param ?? "body"}: ${issue?.message ?? "invalid"}`;
        return failure(context, new HearthError("invalid_request", `Send { "note"?: string, "by"?: string }. ${message}`, { param }));
      }
      body = parsed.data;
    } catch (error) {
      if (HearthError.isInstance(error)) return failure(context, error);
      throw error;
    }
    const result = await reviews.decide(id, decision, decider(body.by, context.get("caller")?.key), body.note ?? null);
    if (result.outcome === "not_found") return failure(context, new HearthError("not_found", `No review with id ${id}.`, { param: "id" }));
    if (result.outcome === "conflict") return conflict(context, conflictMessage(result.item));
    return context.json(toReviewObject(result.item));
  };

  app.post("/v1/hearth/reviews/:id/approve", decide("approved"));
  app.post("/v1/hearth/reviews/:id/deny", decide("denied"));
}
