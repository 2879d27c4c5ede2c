import { HearthError, toHearthError } from "../spec/errors.ts";
import type {
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationSettings,
  ModelInfo,
  ModelProvider,
  StreamPart,
  Usage,
} from "../spec/model.ts";
import type { Accounting, PolicyOutcome, Reservation } from "./accounting.ts";
import type { Caller } from "./keys/service.ts";
import type { Guard, GuardedRequest, RequestKind } from "./policy/guard.ts";
import type { RequestLogSink } from "./request-log.ts";
import { createRoutingState, runRouted, type AttemptRecord, type RoutePolicy, type RoutingState } from "./routing/execute.ts";

export interface CatalogEntry {
  info: ModelInfo;
  provider: ModelProvider;
  /** The name the provider knows the model by, when it differs from the public name. */
  upstreamModel?: string | undefined;
  /** Generation settings applied when the request leaves them out (config `models[].defaults`). */
  defaults?: GenerationSettings | undefined;
  /** Unix seconds when the model entered the catalogue. */
  created: number;
  /** "loaded", "unloaded", "loading", or "available" for remote models. */
  state(): string;
}

/** One target of a route: a catalogued model plus per-target limits. */
export interface RouteTarget {
  /** Unique per target ("<provider>/<upstream model>"); circuit breakers and load key on it. */
  key: string;
  weight: number;
  entry: CatalogEntry;
  timeouts: { firstTokenMs?: number | undefined; totalMs?: number | undefined };
}

/**
 * What a public model name resolves to. A plain model is a route of one target (with its
 * provider's retries); a configured route has several targets and a strategy.
 */
export interface ResolvedRoute {
  name: string;
  /** True for a configured route (logged, shown in `x-hearth-route`). */
  isRoute: boolean;
  policy: RoutePolicy;
  targets: RouteTarget[];
}

/** Resolves public model names to the provider that serves them. */
export interface ModelCatalog {
  /** Every catalogued model (routes are listed separately). */
  list(): readonly CatalogEntry[];
  /** Configured routes (model aliases with several targets). */
  routes(): readonly ResolvedRoute[];
  resolve(name: string): ResolvedRoute | undefined;
}

/** The API operation a request came in through (logged; budgets and audit key on it). */
export type Endpoint =
  | "chat.completions"
  | "completions"
  | "embeddings"
  | "responses"
  | "responses.input_tokens"
  | "messages"
  | "messages.count_tokens"
  | "gemini.generate_content"
  | "gemini.count_tokens"
  | "gemini.embed_content"
  | "policy.explain";

export type { Caller };

export interface RequestContext {
  requestId: string;
  endpoint: Endpoint;
  /** Undefined when authentication is off (loopback without keys). */
  caller?: Caller | undefined;
  /** Request tags from `x-hearth-tags`; policy rules match on them. */
  tags?: readonly string[] | undefined;
  stream: boolean;
  /** Fires when the client goes away or the request times out. */
  signal: AbortSignal;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** Epoch ms when the request arrived. */
  receivedAt: number;
  /** What the policy decided, set by the guard as it decides (for the audit entry). */
  policyOutcome?: PolicyOutcome | undefined;
}

export interface GatewayDependencies {
  catalog: ModelCatalog;
  requestLog: RequestLogSink;
  /** Circuit breakers and load counts; shared state across replicas arrives with issue 5. */
  routing?: RoutingState | undefined;
  /** Monotonic milliseconds (performance.now by default). */
  now?: () => number;
  /** Policy enforcement (sensitive data, routing restrictions, review); none = everything allowed. */
  guard?: Guard | undefined;
  /** Key permissions, limits, usage and audit; none = nothing accounted beyond the request log. */
  accounting?: Accounting | undefined;
}

/** A started generation: the first part is already known, so request errors surfaced before any byte was sent. */
export interface Generation extends AsyncIterable<StreamPart> {
  /** The target that is serving the request. */
  readonly entry: CatalogEntry;
  /** The route the client named, when the model name was a route rather than a model. */
  readonly route?: string | undefined;
  /** Failed attempts before this target answered (retries and fallbacks). */
  readonly failures: readonly AttemptRecord[];
  /** What the policy did ("allow", "redact:email", "route_local"...); undefined without a policy. */
  readonly policy?: string | undefined;
}

/** The status a failure is logged with: 499 when the client left, else the error's own. */
function statusOf(error: HearthError, signal: AbortSignal): number {
  if (error.code === "aborted" || (signal.aborted && error.code !== "timeout")) return 499;
  return error.status;
}

/**
 * The request path for model calls: resolve the model, call its provider, account for the
 * outcome in the request log. Later issues add auth, policy, guardrails and audit here.
 */
export function createGateway(dependencies: GatewayDependencies) {
  const now = dependencies.now ?? (() => performance.now());
  const { catalog, requestLog, guard, accounting } = dependencies;
  const keepBodies = accounting?.wantsBodies === true;
  const routing = dependencies.routing ?? createRoutingState();

  function resolve(name: string, capability: keyof ModelInfo["capabilities"]): { route: ResolvedRoute; targets: RouteTarget[] } {
    const route = catalog.resolve(name);
    if (route === undefined) {
      const known = [...catalog.list().map((candidate) => candidate.info.name), ...catalog.routes().map((candidate) => candidate.name)];
      const hint = known.length > 0 ? ` Available models: ${known.join(", ")}.` : " No models are configured.";
      throw new HearthError("model_not_found", `The model '${name}' does not exist.${hint}`, { param: "model" });
    }
    const targets = route.targets.filter((target) => target.entry.info.capabilities[capability]);
    if (targets.length === 0) {
      throw new HearthError("unsupported", `The model '${name}' does not support ${capability}.`, { param: "model" });
    }
    return { route, targets };
  }

  interface Outcome {
    status: number;
    errorCode: string | null;
    usage?: Usage | undefined;
    firstTokenAt?: number | undefined;
    route?: ResolvedRoute | undefined;
    target?: RouteTarget | undefined;
    attempts?: number | undefined;
    reservation?: Reservation | undefined;
    /** Only collected when the audit log keeps bodies. */
    bodies?: { request?: string | undefined; response?: string | undefined } | undefined;
  }

  /**
   * Accounts for a finished request: the request log, then usage, limits and audit. Returns a
   * promise only when the answer must wait for the audit log (strict mode, or a full queue in
   * fast mode): it must not be released before the promise resolves.
   */
  function log(context: RequestContext, model: string, outcome: Outcome): Promise<void> | undefined {
    const finishedAt = now();
    const latencyMs = Math.round((finishedAt - context.startedAt) * 1000) / 1000;
    requestLog.append({
      time: context.receivedAt,
      requestId: context.requestId,
      endpoint: context.endpoint,
      model,
      provider: outcome.target?.entry.provider.id ?? "",
      stream: context.stream,
      status: outcome.status,
      errorCode: outcome.errorCode,
      inputTokens: outcome.usage?.inputTokens ?? 0,
      outputTokens: outcome.usage?.outputTokens ?? 0,
      latencyMs,
      timeToFirstTokenMs: outcome.firstTokenAt === undefined ? null : Math.round((outcome.firstTokenAt - context.startedAt) * 1000) / 1000,
      route: outcome.route?.isRoute === true ? outcome.route.name : null,
      target: outcome.target?.key ?? "",
      attempts: outcome.attempts ?? (outcome.target === undefined ? 0 : 1),
    });
    if (accounting === undefined) return undefined;
    return accounting.record(
      {
        time: context.receivedAt,
        requestId: context.requestId,
        endpoint: context.endpoint,
        caller: context.caller,
        model,
        route: outcome.route?.isRoute === true ? outcome.route.name : null,
        target: outcome.target,
        status: outcome.status,
        errorCode: outcome.errorCode,
        inputTokens: outcome.usage?.inputTokens ?? 0,
        outputTokens: outcome.usage?.outputTokens ?? 0,
        latencyMs,
        policy: context.policyOutcome,
        bodies: outcome.bodies,
      },
      outcome.reservation,
    );
  }

  /** Logs a failure; in strict audit mode waits for the entry (a failed append is only reported: the request failed anyway). */
  async function logFailure(context: RequestContext, model: string, outcome: Outcome): Promise<void> {
    const pending = log(context, model, outcome);
    if (pending !== undefined) await pending.catch(() => undefined);
  }

  /** Waits for the audit entry (call only with a pending append); a failed append fails the request, since it could not be proven. */
  async function durable(pending: Promise<void>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      throw new HearthError("internal", "The audit log could not record this request, so its answer is withheld.", { cause: error });
    }
  }

  interface Admission {
    targets: RouteTarget[];
    reservation: Reservation | undefined;
  }

  /**
   * Key permissions and limits for a resolved request; refusals are logged and thrown. Returns
   * without a promise when no limit applies (the common case on the hot path).
   */
  function admitted(context: RequestContext, model: string, route: ResolvedRoute, targets: RouteTarget[], request: unknown, maxOutputTokens: number | undefined): Admission | Promise<Admission> {
    if (accounting === undefined) return { targets, reservation: undefined };
    const refused = async (error: unknown): Promise<never> => {
      const failure = toHearthError(error);
      await logFailure(context, model, { status: statusOf(failure, context.signal), errorCode: failure.code, route });
      throw failure;
    };
    let allowed: RouteTarget[];
    try {
      allowed = accounting.permit(context.caller, model, targets);
    } catch (error) {
      return refused(error);
    }
    const caller = context.caller;
    if (!accounting.limited(caller)) return { targets: allowed, reservation: undefined };
    // About four characters per token; the settle step replaces the estimate with the real count.
    const inputTokens = (): number => Math.ceil(JSON.stringify(request).length / 4);
    return accounting.reserve(caller, allowed, { inputTokens, maxOutputTokens }).then((reservation) => ({ targets: allowed, reservation }), refused);
  }

  function resolveLogged(name: string, capability: keyof ModelInfo["capabilities"], context: RequestContext) {
    try {
      return resolve(name, capability);
    } catch (error) {
      recordFailure(context, name, error);
      throw error;
    }
  }

  /** Records a request that failed before reaching a model (bad JSON, validation, unknown model). */
  function recordFailure(context: RequestContext, model: string, error: unknown): void {
    const failure = toHearthError(error);
    void logFailure(context, model, { status: statusOf(failure, context.signal), errorCode: failure.code });
  }

  /** The request's own settings win; the model's configured defaults fill the gaps. */
  function withDefaults<Request extends GenerationSettings & { model: string }>(request: Request, entry: CatalogEntry): Request {
    const defaults = entry.defaults;
    return {
      ...request,
      model: entry.upstreamModel ?? entry.info.name,
      maxTokens: request.maxTokens ?? defaults?.maxTokens,
      temperature: request.temperature ?? defaults?.temperature,
      topP: request.topP ?? defaults?.topP,
      seed: request.seed ?? defaults?.seed,
    };
  }

  interface AttemptSignal {
    signal: AbortSignal;
    /** Aborts this attempt only (first-token timeout); undefined when the target has no limits. */
    controller: AbortController | undefined;
    /** Detaches from the request's signal and stops the timer; call when the attempt is over. */
    release(): void;
  }

  const nothingToRelease = (): void => undefined;

  /**
   * The signal one attempt runs under: the request's, plus the target's total timeout and a local
   * abort when the target has limits. A plain listener and one timer, released when the attempt
   * ends (AbortSignal.any/timeout would keep per-request state alive until garbage collection).
   */
  function attemptSignal(context: RequestContext, target: RouteTarget): AttemptSignal {
    const { totalMs, firstTokenMs } = target.timeouts;
    if (totalMs === undefined && firstTokenMs === undefined) return { signal: context.signal, controller: undefined, release: nothingToRelease };
    const controller = new AbortController();
    const forward = (): void => controller.abort(context.signal.reason);
    if (context.signal.aborted) forward();
    else context.signal.addEventListener("abort", forward, { once: true });
    const timer =
      totalMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new HearthError("timeout", `'${target.key}' did not finish within its total timeout (${totalMs} ms).`)), totalMs);
    return {
      signal: controller.signal,
      controller,
      release() {
        context.signal.removeEventListener("abort", forward);
        clearTimeout(timer);
      },
    };
  }

  interface Started {
    iterator: AsyncIterator<StreamPart>;
    first: IteratorResult<StreamPart>;
    release(): void;
  }

  /** Starts one attempt and waits for its first part, within the target's first-token limit. */
  async function firstPart(call: () => AsyncIterable<StreamPart>, target: RouteTarget, attempt: AttemptSignal): Promise<Omit<Started, "release">> {
    const iterator = call()[Symbol.asyncIterator]();
    const limit = target.timeouts.firstTokenMs;
    const controller = attempt.controller;
    if (limit === undefined || controller === undefined) return { iterator, first: await iterator.next() };
    let timer: NodeJS.Timeout | undefined;
    const next = iterator.next();
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HearthError("timeout", `No answer from '${target.key}' within its first-token timeout (${limit} ms).`);
        controller.abort(error);
        reject(error);
      }, limit);
    });
    try {
      return { iterator, first: await Promise.race([next, expired]) };
    } catch (error) {
      next.catch(() => undefined);
      void iterator.return?.()?.catch?.(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  interface Screened<Request> {
    targets: RouteTarget[];
    /** The request for one target (redacted where the policy says) and the answer's restorer. */
    prepare(target: RouteTarget): { request: Request; restore(parts: AsyncIterable<StreamPart>): AsyncIterable<StreamPart> };
    policy?: string | undefined;
  }

  /** Applies the policy to a resolved request; failures (blocked, denied) are logged and thrown. */
  async function screen<Request extends GuardedRequest>(
    kind: RequestKind,
    request: Request,
    context: RequestContext,
    route: ResolvedRoute,
    targets: RouteTarget[],
    reservation: Reservation | undefined,
  ): Promise<Screened<Request> | undefined> {
    // No policy: nothing to prepare, and nothing allocated per request for it.
    if (guard === undefined) return undefined;
    try {
      const plan = await guard.plan(kind, request, context, route, targets);
      const redacted = new Set<string>();
      return {
        targets: plan.targets,
        prepare(target) {
          const prepared = plan.prepare(target);
          for (const type of prepared.redacted) redacted.add(type);
          return prepared;
        },
        get policy() {
          return redacted.size > 0 ? `redact:${[...redacted].join(",")}` : plan.summary;
        },
      };
    } catch (error) {
      const failure = toHearthError(error);
      await logFailure(context, request.model, { status: statusOf(failure, context.signal), errorCode: failure.code, route, reservation });
      throw failure;
    }
  }

  async function generate<Request extends ChatRequest | CompletionRequest>(
    kind: "chat" | "completion",
    request: Request,
    invoke: (entry: CatalogEntry, request: Request, signal: AbortSignal) => AsyncIterable<StreamPart>,
    context: RequestContext,
  ): Promise<Generation> {
    const name = request.model;
    const resolved = resolveLogged(name, kind, context);
    const { route } = resolved;
    const admitting = admitted(context, name, route, resolved.targets, request, request.maxTokens);
    const admission = admitting instanceof Promise ? await admitting : admitting;
    const { reservation } = admission;
    const screened = await screen(kind, request, context, route, admission.targets, reservation);
    const targets = screened?.targets ?? admission.targets;
    const call = (target: RouteTarget, signal: AbortSignal): AsyncIterable<StreamPart> => {
      if (screened === undefined) return invoke(target.entry, request, signal);
      const prepared = screened.prepare(target);
      return prepared.restore(invoke(target.entry, prepared.request, signal));
    };
    let routed;
    const attempts: AttemptRecord[] = [];
    try {
      routed = await runRouted(
        route.policy,
        targets,
        routing,
        context.signal,
        async (target) => {
          const attempt = attemptSignal(context, target);
          try {
            return { ...(await firstPart(() => call(target, attempt.signal), target, attempt)), release: attempt.release };
          } catch (error) {
            attempt.release();
            throw error;
          }
        },
        attempts,
      );
    } catch (error) {
      const failure = toHearthError(error);
      await logFailure(context, name, { status: statusOf(failure, context.signal), errorCode: failure.code, route, target: lastTarget(targets, attempts), attempts: attempts.length, reservation });
      throw failure;
    }
    const { target, failures, settle } = routed;
    const { iterator, first, release } = routed.result;
    let consumed = false;
    return {
      entry: target.entry,
      route: route.isRoute ? route.name : undefined,
      failures,
      policy: screened?.policy,
      async *[Symbol.asyncIterator]() {
        if (consumed) throw new Error("A generation can be read once.");
        consumed = true;
        let usage: Usage | undefined;
        let firstTokenAt: number | undefined;
        let finished = false;
        let accounted = false;
        let failure: HearthError | undefined;
        const answer: string[] | undefined = keepBodies ? [] : undefined;
        const bodies = (): Outcome["bodies"] => (answer === undefined ? undefined : { request: JSON.stringify(request), response: answer.join("") });
        try {
          let current = first;
          while (current.done !== true) {
            const part = current.value;
            if (firstTokenAt === undefined && part.type !== "finish") firstTokenAt = now();
            if (answer !== undefined) {
              if (part.type === "text-delta") answer.push(part.text);
              else if (part.type === "tool-call") answer.push(`\n[tool call ${part.toolCall.name} ${part.toolCall.arguments}]`);
            }
            if (part.type === "finish") {
              usage = part.usage;
              finished = true;
              // Accounted before the finish part goes out: in strict audit mode the client sees
              // the end of its answer only once the audit entry is durable.
              accounted = true;
              release();
              settle(undefined);
              const pending = log(context, name, { status: 200, errorCode: null, usage, firstTokenAt, route, target, attempts: failures.length + 1, reservation, bodies: bodies() });
              if (pending !== undefined) await durable(pending);
            }
            yield part;
            current = await iterator.next();
          }
          if (!finished) throw new HearthError("upstream_error", "The model stream ended without finishing.");
        } catch (error) {
          failure = toHearthError(error);
          throw failure;
        } finally {
          if (!finished && failure === undefined) {
            // The consumer stopped early (client gone): tell the provider to stop too.
            await iterator.return?.();
          }
          if (accounted) return;
          // The 200 header is already out; the status logged is what the client saw, 499 if it left.
          // A client that left may surface as any error the provider rethrows (e.g. Node's "premature close").
          const clientLeft = !finished && (failure === undefined || failure.code === "aborted" || (context.signal.aborted && failure.code !== "timeout"));
          release();
          settle(clientLeft ? new HearthError("aborted", "The client left.") : failure);
          await logFailure(context, name, {
            status: clientLeft ? 499 : failure === undefined ? 200 : failure.status,
            errorCode: failure?.code ?? (clientLeft ? "aborted" : null),
            usage,
            firstTokenAt,
            route,
            target,
            attempts: failures.length + 1,
            reservation,
            bodies: bodies(),
          });
        }
      },
    };
  }

  /** For calls that answer at once (embeddings, token counts): route, run, log. */
  async function oneShot<Request extends GuardedRequest, Result>(
    kind: RequestKind,
    request: Request,
    capability: keyof ModelInfo["capabilities"],
    context: RequestContext,
    run: (entry: CatalogEntry, request: Request, signal: AbortSignal) => Promise<Result>,
    usageOf: (result: Result) => Usage,
  ): Promise<{ entry: CatalogEntry; route?: string | undefined; result: Result; policy?: string | undefined }> {
    const name = request.model;
    const resolved = resolveLogged(name, capability, context);
    const { route } = resolved;
    const admitting = admitted(context, name, route, resolved.targets, request, 0);
    const admission = admitting instanceof Promise ? await admitting : admitting;
    const { reservation } = admission;
    const screened = await screen(kind, request, context, route, admission.targets, reservation);
    const targets = screened?.targets ?? admission.targets;
    const attempts: AttemptRecord[] = [];
    let routed;
    try {
      routed = await runRouted(
        route.policy,
        targets,
        routing,
        context.signal,
        async (target) => {
          const attempt = attemptSignal(context, target);
          try {
            return await run(target.entry, screened === undefined ? request : screened.prepare(target).request, attempt.signal);
          } finally {
            attempt.release();
          }
        },
        attempts,
      );
    } catch (error) {
      const failure = toHearthError(error);
      await logFailure(context, name, { status: statusOf(failure, context.signal), errorCode: failure.code, route, target: lastTarget(targets, attempts), attempts: attempts.length, reservation });
      throw failure;
    }
    routed.settle();
    const bodies = keepBodies ? { request: JSON.stringify(request), response: undefined } : undefined;
    const pending = log(context, name, { status: 200, errorCode: null, usage: usageOf(routed.result), route, target: routed.target, attempts: routed.failures.length + 1, reservation, bodies });
    if (pending !== undefined) await durable(pending);
    return { entry: routed.target.entry, route: route.isRoute ? route.name : undefined, result: routed.result, policy: screened?.policy };
  }

  return {
    catalog,
    recordFailure,
    guard,

    /** The resolved targets a model name stands for (policy explanations). */
    targetsOf(name: string, capability: keyof ModelInfo["capabilities"]): { route: ResolvedRoute; targets: RouteTarget[] } {
      return resolve(name, capability);
    },

    chat(request: ChatRequest, context: RequestContext): Promise<Generation> {
      const stream = context.stream;
      return generate("chat", request, (entry, prepared, signal) => entry.provider.chat(withDefaults(prepared, entry), { signal, stream }), context);
    },

    complete(request: CompletionRequest, context: RequestContext): Promise<Generation> {
      const stream = context.stream;
      return generate("completion", request, (entry, prepared, signal) => entry.provider.complete(withDefaults(prepared, entry), { signal, stream }), context);
    },

    embed(request: EmbeddingRequest, context: RequestContext) {
      return oneShot(
        "embedding",
        request,
        "embedding",
        context,
        (entry, prepared, signal) => entry.provider.embed({ ...prepared, model: entry.upstreamModel ?? entry.info.name }, { signal }),
        (result: EmbeddingResult) => ({ inputTokens: result.usage.inputTokens, outputTokens: 0 }),
      );
    },

    /** Counts a chat request's prompt tokens on the model that would serve it (no generation). */
    async countTokens(request: ChatRequest, context: RequestContext): Promise<{ entry: CatalogEntry; route?: string | undefined; inputTokens: number; policy?: string | undefined }> {
      const served = await oneShot(
        "chat",
        request,
        "chat",
        context,
        async (entry, prepared, signal) => {
          const count = entry.provider.countTokens;
          if (count === undefined) {
            throw new HearthError("unsupported", `The model '${request.model}' (provider ${entry.provider.id}) cannot count tokens.`, { param: "model" });
          }
          return count.call(entry.provider, withDefaults(prepared, entry), { signal });
        },
        (inputTokens: number) => ({ inputTokens, outputTokens: 0 }),
      );
      return { entry: served.entry, route: served.route, inputTokens: served.result, policy: served.policy };
    },
  };
}

/** The target that failed last, for the log of a request no target could serve. */
function lastTarget(targets: readonly RouteTarget[], attempts: readonly AttemptRecord[]): RouteTarget | undefined {
  const key = attempts.at(-1)?.target;
  return key === undefined ? undefined : targets.find((target) => target.key === key);
}

export type Gateway = ReturnType<typeof createGateway>;
