import { explainRequest } from "../../core/policy/explain.ts";
import { fromExplainBody } from "../../dialects/hearth/explain.ts";
import type { HearthApp, RouteKit } from "../kit.ts";

/** `POST /v1/hearth/policy/explain`: what the policy would do with a request; no model is called. */
export function registerPolicyRoutes(app: HearthApp, kit: RouteKit): void {
  app.post("/v1/hearth/policy/explain", async (context) => {
    const request = kit.requestContext(context, "policy.explain");
    const input = await kit.parse(context, request, fromExplainBody);
    // The authenticated key by default; an explicit key/team asks "what if this key sent it".
    const caller = input.key !== undefined ? { key: input.key, team: input.team } : (request.caller ?? (input.team === undefined ? undefined : { key: "", team: input.team }));
    const tags = input.tags.length > 0 ? input.tags : (request.tags ?? []);
    return context.json(await explainRequest(kit.gateway, { kind: input.kind, request: input.request, caller, tags } as Parameters<typeof explainRequest>[1]));
  });
}
