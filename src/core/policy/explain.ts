import type { ChatRequest, CompletionRequest, EmbeddingRequest } from "../../spec/model.ts";
import type { Caller, Gateway } from "../gateway.ts";
import type { RequestKind } from "./guard.ts";

export type ExplainRequest =
  | { kind: "chat"; request: ChatRequest }
  | { kind: "completion"; request: CompletionRequest }
  | { kind: "embedding"; request: EmbeddingRequest };

/**
 * What the policy would do with a request — findings (types and positions, never values), the
 * verdict of every rule per destination, and where the request would go — without calling any
 * model. `POST /v1/hearth/policy/explain` and `hearth policy explain|test` answer with this.
 */
export async function explainRequest(gateway: Gateway, input: ExplainRequest & { caller?: Caller | undefined; tags?: readonly string[] | undefined }) {
  const capability = input.kind === "embedding" ? "embedding" : input.kind;
  const { route, targets } = gateway.targetsOf(input.request.model, capability);
  const base = { model: input.request.model, route: route.isRoute ? route.name : null };
  const guard = gateway.guard;
  if (guard === undefined) {
    return { ...base, policy: false, outcome: "allow" as const, targets: targets.map((target) => target.key), findings: [], found: [], destinations: [], message: "No policy is configured: every request goes to its model unchanged." };
  }
  const explained = await guard.explain(input.kind as RequestKind, input.request, { caller: input.caller, tags: input.tags }, targets);
  return {
    ...base,
    policy: true,
    outcome: explained.outcome,
    targets: explained.targets,
    rerouted: explained.decision.rerouted,
    review: explained.decision.review,
    found: explained.decision.found,
    findings: explained.findings,
    destinations: explained.decision.destinations.map((entry) => ({
      target: entry.destination.key,
      locality: entry.destination.locality,
      trust: entry.destination.trust,
      region: entry.destination.region ?? null,
      outcome: entry.outcome,
      redact: entry.redact,
      verdicts: entry.verdicts,
    })),
    message: explained.message,
  };
}

export type Explanation = Awaited<ReturnType<typeof explainRequest>>;
