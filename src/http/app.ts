import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import type { Gateway } from "../core/gateway.ts";
import type { KeyService } from "../core/keys/service.ts";
import type { ReviewService } from "../core/review/service.ts";
import type { Logger } from "../core/logger.ts";
import { HearthError, toHearthError } from "../spec/errors.ts";
import type { Next } from "hono";
import { createRouteKit, errorResponse, openAIErrorFormat, type Environment, type HearthApp, type HearthContext } from "./kit.ts";
import { registerAnthropicRoutes, useAnthropicErrorFormat } from "./routes/anthropic.ts";
import { registerGeminiRoutes, useGeminiErrorFormat } from "./routes/gemini.ts";
import { registerOpenAIRoutes } from "./routes/openai.ts";
import { registerPolicyRoutes } from "./routes/policy.ts";
import { mountReviewRoutes } from "./routes/reviews.ts";
import { requireAdmin, type AdminAuditor } from "./routes/admin.ts";
import { registerResponsesRoutes } from "./routes/responses.ts";

export interface AppDependencies {
  gateway: Gateway;
  logger: Logger;
  version: string;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Client and admin keys (config and database); none at all means no authentication (only allowed on loopback, see serve). */
  keys: KeyService;
  /** Admin routes (keys, usage, audit), mounted after authentication. */
  mountAdmin?: ((app: HearthApp) => void) | undefined;
  /** Records administrative actions (review decisions here; the admin routes record their own). */
  auditAdmin?: AdminAuditor | undefined;
  /** The human-review queue; absent = no /v1/hearth/reviews routes. */
  reviews?: ReviewService | undefined;
}

/** The client's key, however its SDK sends it: OpenAI (Bearer), Anthropic (x-api-key), Gemini (x-goog-api-key or ?key=). */
function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1];
  }
  const key = request.headers.get("x-api-key") ?? request.headers.get("x-goog-api-key");
  if (key !== null) return key;
  const query = request.url.indexOf("?");
  return query === -1 ? undefined : (new URLSearchParams(request.url.slice(query + 1)).get("key") ?? undefined);
}

/** Builds the HTTP application; it holds no state of its own beyond what it is given. */
export function createApp(dependencies: AppDependencies): HearthApp {
  const { gateway, logger } = dependencies;
  const keys = dependencies.keys;
  const app = new Hono<Environment>();
  const kit = createRouteKit(dependencies);

  app.use("*", async (context, next) => {
    const requestId = context.req.header("x-request-id") ?? randomUUID();
    context.set("requestId", requestId);
    context.set("errorFormat", openAIErrorFormat);
    await next();
    context.res.headers.set("x-request-id", requestId);
  });

  // Each dialect answers every error on its paths (auth included) in its own shape.
  useAnthropicErrorFormat(app);
  useGeminiErrorFormat(app);

  app.use("/v1/*", authenticate);
  app.use("/v1beta/*", authenticate);

  async function authenticate(context: HearthContext, next: Next): Promise<void> {
    // No key anywhere (config or database): open, which serve allows only on loopback.
    if (!(await keys.authRequired())) return next();
    const token = bearerToken(context.req.raw);
    const caller = token === undefined ? undefined : await keys.authenticate(token);
    if (caller === undefined) {
      throw new HearthError("unauthorized", token === undefined ? "Missing API key: send `Authorization: Bearer <key>`." : "Invalid API key.");
    }
    context.set("caller", caller);
    await next();
  }

  app.onError((error, context) => {
    const failure = toHearthError(error);
    if (failure.code === "internal") logger.error("request failed", { path: context.req.path, error: String((error as Error).stack ?? error) });
    return errorResponse(failure, context.get("requestId"), context.get("errorFormat") ?? openAIErrorFormat);
  });

  app.notFound((context) =>
    errorResponse(new HearthError("not_found", `Unknown endpoint: ${context.req.method} ${context.req.path}`), undefined, context.get("errorFormat") ?? openAIErrorFormat),
  );

  app.get("/health", (context) =>
    context.json({ status: "ok", version: dependencies.version, models: gateway.catalog.list().length }),
  );

  // Gemini first: it shares GET /v1/models with OpenAI and answers only Gemini clients there.
  registerGeminiRoutes(app, kit);
  registerOpenAIRoutes(app, kit);
  registerAnthropicRoutes(app, kit);
  registerResponsesRoutes(app, kit);
  registerPolicyRoutes(app, kit);
  if (dependencies.reviews !== undefined) {
    // Reviewers are administrators: a client key must not approve its own held request.
    app.use("/v1/hearth/reviews", requireAdmin(keys));
    app.use("/v1/hearth/reviews/*", requireAdmin(keys));
    const auditAdmin = dependencies.auditAdmin;
    if (auditAdmin !== undefined) {
      for (const decision of ["approve", "deny"] as const) {
        app.use(`/v1/hearth/reviews/:id/${decision}`, async (context, next) => {
          await next();
          if (context.req.method === "POST") await auditAdmin({ action: `reviews.${decision}`, subject: context.req.param("id") ?? null, context, status: context.res.status });
        });
      }
    }
    mountReviewRoutes(app, { reviews: dependencies.reviews });
  }
  dependencies.mountAdmin?.(app);

  for (const path of ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"]) {
    app.all(path, (context) => errorResponse(new HearthError("method_not_allowed", `Use POST for ${path}.`), context.get("requestId"), openAIErrorFormat));
  }

  return app;
}
