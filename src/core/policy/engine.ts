import type { Caller } from "../gateway.ts";
import { dataTypes, isDataType } from "../guardrails/data-types.ts";
import type { DataCategory } from "../guardrails/types.ts";

/**
 * The policy engine: given what was found in a request and where it could go, decide per
 * destination whether it may go there as is, redacted, not at all, or only after a human says so.
 * Pure and synchronous; the guard (guard.ts) feeds it findings and applies its decision.
 *
 * Semantics (docs/policy.md):
 * - Rules are evaluated per data type found and per destination; for each pair the first rule
 *   whose conditions all hold decides, else `default`. A rule without `data` matches every data
 *   type, and also a request in which nothing was found.
 * - Per destination the strictest verdict wins: block > review > route_local > redact > allow.
 *   `route_local` keeps a destination that is local (in-process, or self-hosted and tagged with
 *   `localTrust`) and excludes any other; `redact` collects the types to replace.
 * - A request goes to the destinations not excluded, in route order. If every destination is
 *   excluded and one was excluded by `route_local`, the policy's `localModel` serves it (when
 *   configured and itself allowed); otherwise the request is blocked, naming the data types.
 */
export type PolicyAction = "allow" | "redact" | "route_local" | "block" | "review";

export interface PolicyRule {
  name: string;
  when: {
    data?: readonly string[] | undefined;
    keys?: readonly string[] | undefined;
    teams?: readonly string[] | undefined;
    models?: readonly string[] | undefined;
    destination?:
      | {
          locality?: readonly Destination["locality"][] | undefined;
          trust?: readonly string[] | undefined;
          notTrust?: readonly string[] | undefined;
          region?: readonly string[] | undefined;
        }
      | undefined;
    tags?: readonly string[] | undefined;
    tokens?: { over?: number | undefined; under?: number | undefined } | undefined;
    /**
     * Names of tools the model proposes to call. A rule with `tools` is evaluated on the answer,
     * once per proposed tool call (review / block / allow), never on the request.
     */
    tools?: readonly string[] | undefined;
  };
  action: PolicyAction;
}

export interface Policy {
  rules: readonly PolicyRule[];
  default: PolicyAction;
  /** The trust tag that makes a self-hosted destination count as local. */
  localTrust: string;
  /** Where `route_local` sends a request whose route has no local target. */
  localModel?: string | undefined;
}

/** Where a request could be sent: one target of its route. */
export interface Destination {
  /** The route target key ("<provider>/<model>"). */
  key: string;
  /** The catalogued model name. */
  model: string;
  provider: string;
  locality: "in-process" | "self-hosted" | "third-party";
  trust: readonly string[];
  region?: string | undefined;
}

export interface RequestFacts {
  /** The model or route name the client asked for. */
  model: string;
  caller?: Caller | undefined;
  tags: readonly string[];
  /** Prompt size estimate (characters ÷ 4). */
  estimatedTokens: number;
}

/** A data type found in the request, with how often; never the values. */
export interface DataFound {
  type: string;
  category: DataCategory;
  count: number;
}

export interface Verdict {
  /** The data type the verdict is for; undefined for a request in which nothing was found. */
  type?: string | undefined;
  /** The rule that decided, or "default". */
  rule: string;
  action: PolicyAction;
}

export interface DestinationDecision {
  destination: Destination;
  /** allow / redact: may receive the request; review: may after approval; excluded: may not. */
  outcome: "allow" | "redact" | "review" | "excluded";
  /** Data types to replace with placeholders before sending (outcome redact). */
  redact: string[];
  /** Why a destination is excluded: the verdicts that excluded it. */
  excludedBy: Verdict[];
  verdicts: Verdict[];
}

export interface PolicyDecision {
  found: DataFound[];
  destinations: DestinationDecision[];
  /** True when the request must wait for a reviewer before going anywhere. */
  review: boolean;
  /** Set when every destination of the route was excluded by route_local and the local model serves instead. */
  rerouted: boolean;
  /** Set when the request may go nowhere. */
  blocked?: { types: string[]; rules: string[] } | undefined;
}

const severity: Record<PolicyAction, number> = { allow: 0, redact: 1, route_local: 2, review: 3, block: 4 };

export function isLocal(destination: Destination, policy: Pick<Policy, "localTrust">): boolean {
  return destination.locality === "in-process" || (destination.locality === "self-hosted" && destination.trust.includes(policy.localTrust));
}

function modelMatches(patterns: readonly string[], model: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? model.startsWith(pattern.slice(0, -1)) : pattern === model));
}

/** Whether a rule's non-data conditions hold for this request and destination. */
function contextMatches(rule: PolicyRule, facts: RequestFacts, destination: Destination): boolean {
  const when = rule.when;
  if (when.keys !== undefined && (facts.caller === undefined || !when.keys.includes(facts.caller.key))) return false;
  if (when.teams !== undefined && (facts.caller?.team === undefined || !when.teams.includes(facts.caller.team))) return false;
  if (when.models !== undefined && !modelMatches(when.models, facts.model) && !modelMatches(when.models, destination.model)) return false;
  if (when.tags !== undefined && !when.tags.some((tag) => facts.tags.includes(tag.toLowerCase()))) return false;
  if (when.tokens?.over !== undefined && !(facts.estimatedTokens > when.tokens.over)) return false;
  if (when.tokens?.under !== undefined && !(facts.estimatedTokens < when.tokens.under)) return false;
  const where = when.destination;
  if (where !== undefined) {
    if (where.locality !== undefined && !where.locality.includes(destination.locality)) return false;
    if (where.trust !== undefined && !where.trust.every((tag) => destination.trust.includes(tag))) return false;
    if (where.notTrust !== undefined && where.notTrust.every((tag) => destination.trust.includes(tag))) return false;
    if (where.region !== undefined && (destination.region === undefined || !where.region.includes(destination.region))) return false;
  }
  return true;
}

function dataMatches(rule: PolicyRule, found: DataFound | undefined): boolean {
  const data = rule.when.data;
  if (data === undefined) return true;
  if (found === undefined) return false;
  return data.includes(found.type) || data.includes(found.category);
}

function verdictFor(policy: Policy, facts: RequestFacts, destination: Destination, found: DataFound | undefined): Verdict {
  for (const rule of policy.rules) {
    if (rule.when.tools !== undefined) continue;
    if (dataMatches(rule, found) && contextMatches(rule, facts, destination)) return { type: found?.type, rule: rule.name, action: rule.action };
  }
  return { type: found?.type, rule: "default", action: policy.default };
}

export function decideDestination(policy: Policy, facts: RequestFacts, found: readonly DataFound[], destination: Destination): DestinationDecision {
  const verdicts = found.length === 0 ? [verdictFor(policy, facts, destination, undefined)] : found.map((entry) => verdictFor(policy, facts, destination, entry));
  const local = isLocal(destination, policy);
  const excludedBy = verdicts.filter((verdict) => verdict.action === "block" || (verdict.action === "route_local" && !local));
  const redact = verdicts.filter((verdict) => verdict.action === "redact" && verdict.type !== undefined).map((verdict) => verdict.type as string);
  let outcome: DestinationDecision["outcome"];
  if (excludedBy.length > 0) outcome = "excluded";
  else if (verdicts.some((verdict) => verdict.action === "review")) outcome = "review";
  else if (redact.length > 0) outcome = "redact";
  else outcome = "allow";
  return { destination, outcome, redact, excludedBy, verdicts };
}

/**
 * Decides where a request may go. `localDestination` is the policy's local model as a
 * destination (undefined when none is configured or it does not exist).
 */
export function decide(
  policy: Policy,
  facts: RequestFacts,
  found: readonly DataFound[],
  destinations: readonly Destination[],
  localDestination?: Destination | undefined,
): PolicyDecision {
  const decisions = destinations.map((destination) => decideDestination(policy, facts, found, destination));
  let usable = decisions.filter((decision) => decision.outcome !== "excluded");
  let rerouted = false;
  if (usable.length === 0 && localDestination !== undefined && !destinations.some((destination) => destination.key === localDestination.key)) {
    const byRouteLocal = decisions.some((decision) => decision.excludedBy.some((verdict) => verdict.action === "route_local"));
    const local = decideDestination(policy, facts, found, localDestination);
    if (byRouteLocal && local.outcome !== "excluded") {
      decisions.push(local);
      usable = [local];
      rerouted = true;
    }
  }
  let blocked: PolicyDecision["blocked"];
  if (usable.length === 0) {
    const verdicts = decisions.flatMap((decision) => decision.excludedBy);
    // The strictest reasons first: a block explains more than a route_local.
    verdicts.sort((left, right) => severity[right.action] - severity[left.action]);
    blocked = {
      types: [...new Set(verdicts.map((verdict) => verdict.type).filter((type): type is string => type !== undefined))],
      rules: [...new Set(verdicts.map((verdict) => verdict.rule))],
    };
  }
  return {
    found: [...found],
    destinations: decisions,
    review: blocked === undefined && usable.some((decision) => decision.outcome === "review"),
    rerouted,
    blocked,
  };
}

/** "payment card number, e-mail address" — labels for a block message, never values. */
export function describeTypes(types: readonly string[]): string {
  return types.map((type) => (isDataType(type) ? dataTypes[type].label : type.replaceAll("_", " "))).join(", ");
}

/** Whether any rule looks at proposed tool calls (so answers need watching at all). */
export function hasToolRules(policy: Policy): boolean {
  return policy.rules.some((rule) => rule.when.tools !== undefined);
}

/**
 * The verdict for a tool call the model proposes: the first rule with `tools` naming it whose
 * other conditions hold; undefined when no such rule exists (the call passes).
 */
export function decideToolCall(policy: Policy, facts: RequestFacts, destination: Destination, tool: string): Verdict | undefined {
  for (const rule of policy.rules) {
    if (rule.when.tools === undefined || !rule.when.tools.includes(tool)) continue;
    if (contextMatches(rule, facts, destination)) return { type: undefined, rule: rule.name, action: rule.action };
  }
  return undefined;
}
