import { HearthError } from "../spec/errors.ts";
import type { RouteTarget } from "./gateway.ts";
import { modelAllowed, type Caller } from "./keys/service.ts";
import type { AuditRecord } from "./audit/types.ts";
import type { UsageStore } from "./usage/types.ts";

/**
 * One accounting path for every endpoint: before a request is dispatched its key is checked
 * (allowed models and localities) and its limits reserve the estimated tokens and cost; after it
 * ends, whatever the endpoint and however it ended, the same step settles the reservation, adds
 * the usage and cost, and appends the audit entry. The gateway calls `permit`, `reserve` (when
 * `limited`) and `record`; what
 * is behind them (limiter, usage store, audit log, prices) is injected by compose.ts.
 */

/** What the policy did, for the audit entry; filled in by the guard as it decides. */
export interface PolicyOutcome {
  rule: string | null;
  action: string | null;
  /** Data type → how many were found (never the values). */
  dataClasses: Record<string, number>;
}

/** A limiter reservation, opaque to the gateway. */
export interface Reservation {
  settle(actual: { tokens: number; costUsd: number }): void;
  release(): void;
}

/** The limits engine as accounting needs it (src/core/limits implements it). */
export interface LimitGate {
  /** Whether any limit (the key's own or its team's) applies to this caller; when not, nothing is estimated or reserved. */
  applies(caller: Caller | undefined): boolean;
  reserve(request: { caller: Caller; estimatedTokens: number; estimatedCostUsd: number }): Promise<Reservation | undefined>;
}

/** Price of one request on one target. */
export interface Pricing {
  /** USD for the tokens on this target, and whether a price was known. */
  costOf(target: RouteTarget, usage: { inputTokens: number; outputTokens: number; latencyMs: number }): { costUsd: number; priced: boolean };
}

/** What the gateway knows about a finished request. */
export interface FinishedRequest {
  time: number;
  requestId: string;
  endpoint: string;
  caller: Caller | undefined;
  model: string;
  route: string | null;
  target: RouteTarget | undefined;
  status: number;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  policy: PolicyOutcome | undefined;
  /** Request and answer as text; only when the audit log keeps bodies (`wantsBodies`). */
  bodies?: { request?: string | undefined; response?: string | undefined } | undefined;
}

/** The audit entry the accounting step writes (src/core/audit's record). */
export type AuditRecordInput = AuditRecord;

export interface AuditSink {
  /**
   * Resolves when the entry is as durable as the configured mode promises; undefined when there
   * is nothing to wait for (fast mode, queued with room to spare).
   */
  append(record: AuditRecordInput): Promise<void> | undefined;
  /** "strict": the response waits for `append`; "fast": it does not. */
  readonly durability: "strict" | "fast";
  /** True when entries keep request/response bodies (mode hash, redacted or full): the gateway then collects them. */
  readonly wantsBodies: boolean;
}

export interface AccountingOptions {
  usage?: UsageStore | undefined;
  audit?: AuditSink | undefined;
  limits?: LimitGate | undefined;
  pricing: Pricing;
  /** Output tokens assumed for a reservation when the request sets no maximum (default 512). */
  defaultOutputTokens?: number | undefined;
  /** Told about a failed audit append in fast mode (the response is already on its way). */
  onAuditError?: ((error: unknown) => void) | undefined;
}

/** The API family an endpoint belongs to, for the audit entry. */
export function dialectOf(endpoint: string): string {
  if (endpoint === "messages" || endpoint === "messages.count_tokens") return "anthropic";
  if (endpoint.startsWith("gemini.")) return "gemini";
  if (endpoint.startsWith("hearth.") || endpoint === "policy.explain") return "hearth";
  return "openai";
}

export function createAccounting(options: AccountingOptions) {
  const defaultOutputTokens = options.defaultOutputTokens ?? 512;

  /**
   * Checks what the key may use: the targets it may reach (its allowed localities). Throws
   * `forbidden`. Synchronous: the request path pays no promise for a key without limits.
   */
  function permit(caller: Caller | undefined, model: string, targets: RouteTarget[]): RouteTarget[] {
    if (caller !== undefined && !modelAllowed(caller.models, model)) {
      throw new HearthError("forbidden", `The key '${caller.key}' may not use the model '${model}'.`, { param: "model" });
    }
    let allowed = targets;
    const localities = caller?.localities;
    if (localities !== undefined) {
      allowed = targets.filter((target) => localities.includes(target.entry.info.locality));
      if (allowed.length === 0) {
        throw new HearthError("forbidden", `The key '${caller?.key}' may only use ${localities.join(", ")} models; '${model}' is served elsewhere.`, { param: "model" });
      }
    }
    return allowed;
  }

  /** Whether `reserve` has anything to do for this caller. */
  function limited(caller: Caller | undefined): caller is Caller {
    return caller !== undefined && options.limits !== undefined && options.limits.applies(caller);
  }

  /**
   * Reserves the estimated tokens and cost against the caller's limits (call when `limited`);
   * throws `rate_limited` (or `overloaded` when the counters are unreachable and fail closed).
   */
  async function reserve(
    caller: Caller,
    targets: readonly RouteTarget[],
    /** `inputTokens` is called only here, where an estimate is needed. */
    estimate: { inputTokens: () => number; maxOutputTokens: number | undefined },
  ): Promise<Reservation | undefined> {
    const limits = options.limits;
    if (limits === undefined) return undefined;
    const outputTokens = estimate.maxOutputTokens ?? defaultOutputTokens;
    const inputTokens = estimate.inputTokens();
    // The estimate assumes the dearest target of the route could serve it.
    let estimatedCostUsd = 0;
    for (const target of targets) {
      estimatedCostUsd = Math.max(estimatedCostUsd, options.pricing.costOf(target, { inputTokens, outputTokens, latencyMs: 0 }).costUsd);
    }
    return limits.reserve({ caller, estimatedTokens: inputTokens + outputTokens, estimatedCostUsd });
  }

  /**
   * Accounts for a finished request: settles (or releases) its reservation, adds its usage and
   * appends its audit entry. Returns a promise when the answer must wait for the audit log: the
   * caller holds the end of the answer until it resolves (strict: until the entry is durable;
   * fast: only while the bounded queue is full). Otherwise undefined: nothing to await.
   */
  function record(finished: FinishedRequest, reservation: Reservation | undefined): Promise<void> | undefined {
    const target = finished.target;
    const reached = target !== undefined && finished.errorCode === null;
    // Counting tokens costs nothing at the vendors; the count is not usage.
    const counting = finished.endpoint.endsWith("count_tokens") || finished.endpoint.endsWith("input_tokens");
    const inputTokens = counting ? 0 : finished.inputTokens;
    const cost = target === undefined || counting ? { costUsd: 0, priced: true } : options.pricing.costOf(target, finished);
    const caller = finished.caller;
    const locality = target?.entry.info.locality ?? null;
    options.usage?.record({
      time: finished.time,
      key: caller?.key ?? null,
      team: caller?.team ?? null,
      model: finished.model,
      provider: target?.entry.provider.id ?? "",
      locality,
      endpoint: finished.endpoint,
      inputTokens,
      outputTokens: finished.outputTokens,
      costUsd: cost.costUsd,
      priced: cost.priced,
      error: !reached,
    });
    // After the usage record: a counter rebuilt from usage in between then counts the request at
    // worst twice, never not at all (ADR 0010).
    if (reservation !== undefined) {
      // Nothing reached a model: give the reservation back whole.
      if (target === undefined || (inputTokens === 0 && finished.outputTokens === 0 && cost.costUsd === 0)) reservation.release();
      else reservation.settle({ tokens: inputTokens + finished.outputTokens, costUsd: cost.costUsd });
    }
    const audit = options.audit;
    if (audit === undefined) return undefined;
    const appended = audit.append({
      time: finished.time,
      requestId: finished.requestId,
      kind: "request",
      action: finished.endpoint,
      dialect: dialectOf(finished.endpoint),
      key: caller?.key ?? null,
      team: caller?.team ?? null,
      model: finished.model,
      route: finished.route,
      provider: target?.entry.provider.id ?? "",
      target: target?.key ?? "",
      locality,
      policyRule: finished.policy?.rule ?? null,
      policyAction: finished.policy?.action ?? null,
      dataClasses: finished.policy?.dataClasses ?? {},
      inputTokens: finished.inputTokens,
      outputTokens: finished.outputTokens,
      costUsd: cost.costUsd,
      latencyMs: finished.latencyMs,
      status: finished.status,
      errorCode: finished.errorCode,
      subject: null,
      bodies: finished.bodies,
    });
    if (appended === undefined || audit.durability === "strict") return appended;
    // Fast mode resolves at once unless the bounded queue is full: then the answer waits for room
    // (backpressure; an audit entry is never dropped). A failure there is reported, not the client's.
    return appended.catch((error: unknown) => options.onAuditError?.(error));
  }

  return { permit, limited, reserve, record, audit: options.audit, wantsBodies: options.audit?.wantsBodies === true };
}

export type Accounting = ReturnType<typeof createAccounting>;
