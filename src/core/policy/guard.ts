import { createHash } from "node:crypto";
import { HearthError } from "../../spec/errors.ts";
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingRequest, Passthrough, StreamPart } from "../../spec/model.ts";
import type { RequestContext, RouteTarget } from "../gateway.ts";
import type { PolicyOutcome } from "../accounting.ts";
import { dataTypes, isDataType } from "../guardrails/data-types.ts";
import { createRedactionSession, type RedactionSession } from "../guardrails/redaction.ts";
import type { SafetyClassifier, SafetyMessage, SafetyVerdict } from "../guardrails/safety/classifier.ts";
import { createStreamOutputChecker } from "../guardrails/safety/stream-checker.ts";
import type { Finding } from "../guardrails/types.ts";
import { decide, decideToolCall, describeTypes, hasToolRules, type DataFound, type Destination, type Policy, type PolicyDecision, type RequestFacts } from "./engine.ts";

/**
 * The guard applies the policy on the request path: it finds sensitive data in every text a
 * request carries (messages, tool-call arguments and results, embedding inputs, prompts, and
 * the string values of passed-through vendor fields), asks the engine where the request may go,
 * and hands the gateway the targets it may use plus, per target, the request to send (redacted
 * where a rule says so) and a wrapper that restores placeholders in the answer, streaming
 * included. Nothing here calls a model.
 */

/** One text of a request, with where it sits (for explanations; never the text itself). */
export interface Segment {
  where: string;
  text: string;
}

export type RequestKind = "chat" | "completion" | "embedding";

export type GuardedRequest = ChatRequest | CompletionRequest | EmbeddingRequest;

/** What the guard needs from the review queue (core/review). */
export interface ReviewGate {
  /** Holds the request until a reviewer decides; resolves with the decision. */
  hold(item: {
    /** A held request, or a tool call the model proposed (held before the client sees it). */
    kind: "request" | "tool_call";
    fingerprint: string;
    keyId: string | null;
    model: string;
    route: string | null;
    rule: string;
    reasons: string[];
    preview: string;
    signal: AbortSignal;
  }): Promise<"approved" | "denied" | "expired">;
}

/** Safety filters on the request path (config `safety`). */
export interface SafetyOptions {
  /** Checks the conversation before it is sent; `block` refuses an unsafe one, `log` only reports it. */
  input?: { classifier: SafetyClassifier; action: "block" | "log" } | undefined;
  /** Checks the answer as it streams (sliding window); `block` cuts it with an error event. */
  output?: { classifier: SafetyClassifier; action: "block" | "log"; windowChars?: number | undefined; strideChars?: number | undefined } | undefined;
  /** Told about every unsafe verdict (both actions), for the log. */
  onUnsafe?: ((stage: "input" | "output", verdict: SafetyVerdict, requestId: string) => void) | undefined;
}

export interface GuardOptions {
  policy: Policy;
  /** The detector: findings for one text. */
  scan(text: string): Finding[];
  /**
   * Optional model-based recognizer (person and organisation names, on a local model): findings
   * for one text. Runs after `scan`, once per text, so it adds a model call per request.
   */
  extractNames?: ((text: string, signal?: AbortSignal) => Promise<Finding[]>) | undefined;
  /** Locality, trust and region of a route target. */
  destinationOf(target: RouteTarget): Destination;
  /** The policy's local model as a route target, when configured. */
  localTarget?: (() => RouteTarget | undefined) | undefined;
  review?: ReviewGate | undefined;
  safety?: SafetyOptions | undefined;
}

export interface LocatedFinding {
  where: string;
  type: string;
  category: Finding["category"];
  start: number;
  end: number;
  confidence: number;
  recognizer: string;
}

export interface Prepared<Request> {
  request: Request;
  /** Restores placeholders in the model's answer (identity when nothing was redacted). */
  restore(parts: AsyncIterable<StreamPart>): AsyncIterable<StreamPart>;
  /** Types replaced for this target (empty when sent as is). */
  redacted: readonly string[];
}

export interface GuardPlan<Request> {
  decision: PolicyDecision;
  findings: LocatedFinding[];
  /** The targets the request may go to, in route order (the local model when rerouted). */
  targets: RouteTarget[];
  prepare(target: RouteTarget): Prepared<Request>;
  /** A short header value: "allow", "redact:email", "route_local", "review:approved"... */
  summary: string;
}

// ---------------------------------------------------------------------------------------------
// Texts in requests: one walk that both lists the texts and rebuilds the request with new ones,
// so extraction and redaction can never disagree about what a request contains.

type TextMapper = (text: string, where: string) => string;

function mapParts(content: string | ChatMessage["content"], where: string, map: TextMapper): typeof content {
  if (content === null || typeof content === "string") return content === null ? null : map(content, where);
  return content.map((part, index) => (part.type === "text" ? { ...part, text: map(part.text, `${where}[${index}]`) } : part));
}

function mapJsonStrings(value: unknown, where: string, map: TextMapper): unknown {
  if (typeof value === "string") return map(value, where);
  if (Array.isArray(value)) return value.map((item, index) => mapJsonStrings(item, `${where}[${index}]`, map));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapJsonStrings(item, `${where}.${key}`, map)]));
  }
  return value;
}

function mapPassthrough(passthrough: Passthrough | undefined, map: TextMapper): Passthrough | undefined {
  if (passthrough === undefined) return undefined;
  return { ...passthrough, fields: mapJsonStrings(passthrough.fields, "passthrough", map) as Record<string, unknown> };
}

function mapChat(request: ChatRequest, map: TextMapper): ChatRequest {
  const messages = request.messages.map((message, index): ChatMessage => {
    const where = `messages[${index}]`;
    switch (message.role) {
      case "system":
        return { ...message, content: map(message.content, `${where}.content`) };
      case "user":
        return { ...message, content: mapParts(message.content, `${where}.content`, map) as typeof message.content };
      case "tool":
        return { ...message, content: mapParts(message.content, `${where}.content`, map) as typeof message.content };
      case "assistant":
        // Reasoning blocks are left alone: providers verify their signatures.
        return {
          ...message,
          content: message.content === null ? null : map(message.content, `${where}.content`),
          toolCalls: message.toolCalls?.map((call, callIndex) => ({ ...call, arguments: map(call.arguments, `${where}.tool_calls[${callIndex}].arguments`) })),
        };
    }
  });
  return { ...request, messages, passthrough: mapPassthrough(request.passthrough, map) };
}

function mapRequest<Request extends GuardedRequest>(kind: RequestKind, request: Request, map: TextMapper): Request {
  switch (kind) {
    case "chat":
      return mapChat(request as ChatRequest, map) as Request;
    case "completion": {
      const completion = request as CompletionRequest;
      return { ...completion, prompt: map(completion.prompt, "prompt"), passthrough: mapPassthrough(completion.passthrough, map) } as Request;
    }
    case "embedding": {
      const embedding = request as EmbeddingRequest;
      return { ...embedding, input: embedding.input.map((text, index) => map(text, `input[${index}]`)), passthrough: mapPassthrough(embedding.passthrough, map) } as Request;
    }
  }
}

export function segmentsOf(kind: RequestKind, request: GuardedRequest): Segment[] {
  const segments: Segment[] = [];
  mapRequest(kind, request, (text, where) => {
    if (text.length > 0) segments.push({ where, text });
    return text;
  });
  return segments;
}

// ---------------------------------------------------------------------------------------------
// Restoring answers.

async function* restoreParts(parts: AsyncIterable<StreamPart>, session: RedactionSession): AsyncGenerator<StreamPart> {
  const texts = new Map<number, ReturnType<RedactionSession["createStreamRestorer"]>>();
  let reasoning: ReturnType<RedactionSession["createStreamRestorer"]> | undefined;
  for await (const part of parts) {
    switch (part.type) {
      case "text-delta": {
        const choice = part.choice ?? 0;
        let restorer = texts.get(choice);
        if (restorer === undefined) {
          restorer = session.createStreamRestorer();
          texts.set(choice, restorer);
        }
        const text = restorer.push(part.text);
        if (text.length > 0) yield { ...part, text };
        break;
      }
      case "reasoning-delta": {
        reasoning ??= session.createStreamRestorer();
        const text = reasoning.push(part.text);
        if (text.length > 0) yield { ...part, text };
        break;
      }
      case "reasoning-end":
      case "reasoning-redacted": {
        const rest = reasoning?.flush() ?? "";
        reasoning = undefined;
        if (rest.length > 0) yield { type: "reasoning-delta", text: rest };
        yield part;
        break;
      }
      case "tool-call": {
        // A tool call ends the text before it in this choice: release what was held back first.
        const choice = part.choice ?? 0;
        const rest = texts.get(choice)?.flush() ?? "";
        if (rest.length > 0) yield { type: "text-delta", text: rest, ...(part.choice === undefined ? {} : { choice: part.choice }) };
        yield { ...part, toolCall: { ...part.toolCall, arguments: restoreArguments(part.toolCall.arguments, session) } };
        break;
      }
      case "finish": {
        for (const [choice, restorer] of texts) {
          const rest = restorer.flush();
          if (rest.length > 0) yield { type: "text-delta", text: rest, ...(choice === 0 ? {} : { choice }) };
        }
        texts.clear();
        yield part;
        break;
      }
    }
  }
}

/** Tool-call arguments are JSON text: restore inside the parsed value so quotes stay escaped. */
function restoreArguments(text: string, session: RedactionSession): string {
  try {
    return JSON.stringify(session.restoreJson(JSON.parse(text) as unknown));
  } catch {
    return session.restore(text);
  }
}

// ---------------------------------------------------------------------------------------------

function fingerprintOf(kind: RequestKind, request: GuardedRequest, caller: string | null): string {
  return createHash("sha256").update(JSON.stringify({ kind, caller, request })).digest("hex");
}

function summarize(found: readonly DataFound[]): string[] {
  return found.map((entry) => `${entry.count} × ${isDataType(entry.type) ? dataTypes[entry.type].label : entry.type}`);
}

/** The conversation as the safety classifiers see it. */
function safetyMessages(kind: RequestKind, request: GuardedRequest): SafetyMessage[] {
  if (kind === "completion") return [{ role: "user", text: (request as CompletionRequest).prompt }];
  if (kind === "embedding") return (request as EmbeddingRequest).input.map((text) => ({ role: "user", text }));
  return (request as ChatRequest).messages.map((message) => {
    const content = message.content;
    const text = content === null ? "" : typeof content === "string" ? content : content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    const calls = message.role === "assistant" ? (message.toolCalls ?? []).map((call) => call.arguments).join("\n") : "";
    return { role: message.role, text: calls === "" ? text : `${text}\n${calls}` };
  });
}

function unsafeError(stage: "input" | "output", verdict: SafetyVerdict): HearthError {
  const what = verdict.categories.length > 0 ? verdict.categories.join(", ") : "unsafe content";
  const why = verdict.reasons.length > 0 ? ` (${verdict.reasons.slice(0, 3).join("; ")})` : "";
  return stage === "input"
    ? new HearthError("policy_blocked", `Blocked by the safety filter: ${what}${why}. Nothing was sent to any model.`)
    : new HearthError("policy_blocked", `The answer was stopped by the safety filter: ${what}${why}.`);
}

/** Runs the output check over an answer's text as it streams; an unsafe verdict ends it with an error. */
async function* checkedParts(parts: AsyncIterable<StreamPart>, safety: NonNullable<SafetyOptions["output"]>, context: SafetyMessage[], signal: AbortSignal, report: (verdict: SafetyVerdict) => void): AsyncGenerator<StreamPart> {
  const checker = createStreamOutputChecker({ classifier: safety.classifier, context, windowChars: safety.windowChars, strideChars: safety.strideChars, signal });
  let reported = false;
  const flag = (verdict: SafetyVerdict): boolean => {
    if (!reported) report(verdict);
    reported = true;
    return safety.action === "block";
  };
  try {
    for await (const part of parts) {
      if (part.type === "text-delta" && (part.choice ?? 0) === 0 && part.text.length > 0) {
        const verdict = await checker.push(part.text);
        if (verdict !== undefined && !verdict.safe && flag(verdict)) throw unsafeError("output", verdict);
      }
      if (part.type === "finish") {
        const verdict = await checker.end();
        if (!verdict.safe && flag(verdict)) throw unsafeError("output", verdict);
      }
      yield part;
    }
  } finally {
    checker.cancel();
  }
}

/** Masks findings in a text as [TYPE] (previews for reviewers). */
function masked(text: string, findings: readonly Finding[]): string {
  let out = "";
  let at = 0;
  for (const finding of [...findings].sort((left, right) => left.start - right.start)) {
    if (finding.start < at) continue;
    out += `${text.slice(at, finding.start)}[${finding.type.toUpperCase()}]`;
    at = finding.end;
  }
  return out + text.slice(at);
}

export function createGuard(options: GuardOptions) {
  const { policy } = options;
  const safety = options.safety;
  const watchesTools = hasToolRules(policy);

  /**
   * Holds or refuses tool calls the model proposes, per `when.tools` rules, before the client
   * sees them (it is the client that would execute them). Arguments reach the reviewer masked.
   */
  async function* watchToolCalls(
    parts: AsyncIterable<StreamPart>,
    facts: RequestFacts,
    destination: Destination,
    context: RequestContext,
    route: { name: string; isRoute: boolean },
    model: string,
    /** Computed only when a call is held: hashing the whole request is not free. */
    requestFingerprint: () => string,
  ): AsyncGenerator<StreamPart> {
    for await (const part of parts) {
      if (part.type === "tool-call") {
        const verdict = decideToolCall(policy, facts, destination, part.toolCall.name);
        if (verdict?.action === "block") {
          throw new HearthError("policy_blocked", `Blocked by policy (rule '${verdict.rule}'): the model proposed a call to the tool '${part.toolCall.name}', which the policy does not allow.`);
        }
        if (verdict?.action === "review") {
          const gate = options.review;
          if (gate === undefined) throw new HearthError("policy_blocked", `Blocked by policy (rule '${verdict.rule}'): the tool call needs a human review and no review queue is configured.`);
          const outcome = await gate.hold({
            kind: "tool_call",
            // The conversation is part of it: the same call proposed in another conversation is reviewed anew.
            fingerprint: createHash("sha256").update(JSON.stringify({ request: requestFingerprint(), tool: part.toolCall.name, arguments: part.toolCall.arguments })).digest("hex"),
            keyId: facts.caller?.key ?? null,
            model,
            route: route.isRoute ? route.name : null,
            rule: verdict.rule,
            reasons: [`the model proposes to call ${part.toolCall.name}`],
            preview: `${part.toolCall.name}(${masked(part.toolCall.arguments, options.scan(part.toolCall.arguments)).slice(0, 4_000)})`,
            signal: context.signal,
          });
          if (outcome !== "approved") {
            throw new HearthError("review_denied", outcome === "denied" ? `A reviewer denied the model's call to '${part.toolCall.name}'.` : `No reviewer approved the model's call to '${part.toolCall.name}' in time.`);
          }
        }
      }
      yield part;
    }
  }

  async function inspect(kind: RequestKind, request: GuardedRequest, signal?: AbortSignal): Promise<{ findings: LocatedFinding[]; found: DataFound[]; byWhere: Map<string, Finding[]>; characters: number }> {
    const findings: LocatedFinding[] = [];
    const byWhere = new Map<string, Finding[]>();
    const counts = new Map<string, DataFound>();
    let characters = 0;
    for (const segment of segmentsOf(kind, request)) {
      characters += segment.text.length;
      let found = options.scan(segment.text);
      if (options.extractNames !== undefined) {
        const names = await options.extractNames(segment.text, signal);
        // A name inside something already found (an e-mail's local part) adds nothing.
        const fresh = names.filter((name) => !found.some((finding) => finding.start <= name.start && name.end <= finding.end));
        if (fresh.length > 0) found = [...found, ...fresh].sort((left, right) => left.start - right.start);
      }
      if (found.length === 0) continue;
      byWhere.set(segment.where, found);
      for (const finding of found) {
        findings.push({ where: segment.where, type: finding.type, category: finding.category, start: finding.start, end: finding.end, confidence: finding.confidence, recognizer: finding.recognizer });
        const entry = counts.get(finding.type);
        if (entry === undefined) counts.set(finding.type, { type: finding.type, category: finding.category, count: 1 });
        else entry.count += 1;
      }
    }
    return { findings, found: [...counts.values()], byWhere, characters };
  }

  /** Decides without holding for review or throwing: for explanations and for `plan`. */
  async function evaluate<Request extends GuardedRequest>(kind: RequestKind, request: Request & { model: string }, context: Pick<RequestContext, "caller" | "tags"> & { signal?: AbortSignal | undefined }, targets: readonly RouteTarget[]) {
    const inspected = await inspect(kind, request, context.signal);
    const facts: RequestFacts = {
      model: request.model,
      caller: context.caller,
      tags: context.tags ?? [],
      estimatedTokens: Math.ceil(inspected.characters / 4),
    };
    const local = options.localTarget?.();
    const decision = decide(policy, facts, inspected.found, targets.map(options.destinationOf), local === undefined ? undefined : options.destinationOf(local));
    const usable = decision.destinations.filter((entry) => entry.outcome !== "excluded").map((entry) => entry.destination.key);
    const candidates = decision.rerouted && local !== undefined ? [local] : targets.filter((target) => usable.includes(target.key));
    return { inspected, decision, candidates, facts };
  }

  function blockedError(decision: PolicyDecision): HearthError {
    const blocked = decision.blocked ?? { types: [], rules: [] };
    const what = blocked.types.length > 0 ? `the request contains data the policy does not allow to be sent there (${describeTypes(blocked.types)})` : "the policy does not allow this request to be sent there";
    return new HearthError("policy_blocked", `Blocked by policy (rule ${blocked.rules.map((rule) => `'${rule}'`).join(", ")}): ${what}. Nothing was sent to any model.`);
  }

  async function plan<Request extends GuardedRequest>(
    kind: RequestKind,
    request: Request & { model: string },
    context: RequestContext,
    route: { name: string; isRoute: boolean },
    targets: readonly RouteTarget[],
  ): Promise<GuardPlan<Request>> {
    const conversation = safety?.input !== undefined || safety?.output !== undefined ? safetyMessages(kind, request) : [];
    if (safety?.input !== undefined && kind !== "embedding") {
      const verdict = await safety.input.classifier.classify({ role: "input", messages: conversation }, context.signal);
      if (!verdict.safe) {
        safety.onUnsafe?.("input", verdict, context.requestId);
        context.policyOutcome = { rule: `safety:${verdict.classifier}`, action: safety.input.action === "block" ? "block" : "allow", dataClasses: Object.fromEntries(verdict.categories.map((category) => [category, 1])) };
        if (safety.input.action === "block") throw unsafeError("input", verdict);
      }
    }
    const { inspected, decision, candidates, facts } = await evaluate(kind, request, context, targets);
    context.policyOutcome = policyOutcomeOf(decision);
    if (decision.blocked !== undefined) throw blockedError(decision);
    let summary = decision.rerouted ? "route_local" : "allow";
    if (decision.review) {
      const gate = options.review;
      const reviewVerdict = decision.destinations.flatMap((entry) => entry.verdicts).find((verdict) => verdict.action === "review");
      if (gate === undefined) throw new HearthError("policy_blocked", `Blocked by policy (rule '${reviewVerdict?.rule ?? "default"}'): the request needs a human review and no review queue is configured. Nothing was sent to any model.`);
      const outcome = await gate.hold({
        kind: "request",
        fingerprint: fingerprintOf(kind, request, context.caller?.key ?? null),
        keyId: context.caller?.key ?? null,
        model: request.model,
        route: route.isRoute ? route.name : null,
        rule: reviewVerdict?.rule ?? "default",
        reasons: summarize(inspected.found),
        preview: previewOf(kind, request, inspected.byWhere),
        signal: context.signal,
      });
      if (outcome !== "approved") {
        throw new HearthError("review_denied", outcome === "denied" ? "A reviewer denied this request. Nothing was sent to any model." : "No reviewer approved this request in time. Nothing was sent to any model.");
      }
      summary = "review:approved";
    }
    const decisions = new Map(decision.destinations.map((entry) => [entry.destination.key, entry]));
    return {
      decision,
      findings: inspected.findings,
      targets: candidates,
      summary,
      prepare(target) {
        const output = safety?.output;
        const safetyCheck =
          output === undefined || kind === "embedding"
            ? (parts: AsyncIterable<StreamPart>) => parts
            : (parts: AsyncIterable<StreamPart>) => checkedParts(parts, output, conversation, context.signal, (verdict) => safety?.onUnsafe?.("output", verdict, context.requestId));
        const destination = options.destinationOf(target);
        const check =
          watchesTools && kind === "chat"
            ? (parts: AsyncIterable<StreamPart>) => watchToolCalls(safetyCheck(parts), facts, destination, context, route, request.model, () => fingerprintOf(kind, request, context.caller?.key ?? null))
            : safetyCheck;
        const redact = decisions.get(target.key)?.redact ?? [];
        if (redact.length === 0) return { request, restore: check, redacted: [] };
        const session = createRedactionSession();
        const types = new Set(redact);
        const redacted = mapRequest(kind, request, (text, where) => {
          // Every text goes through the session, also those without findings: it reserves
          // placeholder-like text the user typed, so restoring never turns it into someone's data.
          const found = inspected.byWhere.get(where)?.filter((finding) => types.has(finding.type)) ?? [];
          return session.redact(text, found);
        });
        return { request: redacted, restore: (parts) => check(restoreParts(parts, session)), redacted: [...types] };
      },
    };
  }

  return {
    policy,
    plan,
    /** The decision for a request, without calling any model or holding for review. */
    async explain<Request extends GuardedRequest>(kind: RequestKind, request: Request & { model: string }, context: Pick<RequestContext, "caller" | "tags">, targets: readonly RouteTarget[]) {
      const { inspected, decision, candidates } = await evaluate(kind, request, context, targets);
      return {
        findings: inspected.findings,
        decision,
        targets: candidates.map((target) => target.key),
        outcome: decision.blocked !== undefined ? "block" : decision.review ? "review" : decision.rerouted ? "route_local" : decision.destinations.some((entry) => entry.outcome === "redact") ? "redact" : "allow",
        message: decision.blocked !== undefined ? blockedError(decision).message : undefined,
      };
    },
  };
}

/** What a reviewer sees: the request's texts with every finding masked as [TYPE]. */
function previewOf(kind: RequestKind, request: GuardedRequest, byWhere: ReadonlyMap<string, Finding[]>): string {
  const lines: string[] = [];
  mapRequest(kind, request, (text, where) => {
    const shown = masked(text, byWhere.get(where) ?? []);
    if (shown.length > 0) lines.push(`${where}: ${shown.length > 2_000 ? `${shown.slice(0, 2_000)}…` : shown}`);
    return text;
  });
  return lines.join("\n").slice(0, 8_000);
}

export type Guard = ReturnType<typeof createGuard>;

const actionSeverity: Record<string, number> = { allow: 0, redact: 1, route_local: 2, review: 3, block: 4 };

/** The audit view of a decision: the strictest verdict's rule and action, and the data found (types and counts). */
export function policyOutcomeOf(decision: PolicyDecision): PolicyOutcome {
  let strictest: { rule: string; action: string } | undefined;
  for (const entry of decision.destinations) {
    for (const verdict of entry.verdicts) {
      if (strictest === undefined || (actionSeverity[verdict.action] ?? 0) > (actionSeverity[strictest.action] ?? 0)) strictest = { rule: verdict.rule, action: verdict.action };
    }
  }
  const action = decision.blocked !== undefined ? "block" : decision.rerouted ? "route_local" : (strictest?.action ?? "allow");
  const rule = decision.blocked !== undefined ? (decision.blocked.rules.join(",") || null) : (strictest?.rule ?? null);
  return { rule, action, dataClasses: Object.fromEntries(decision.found.map((found) => [found.type, found.count])) };
}
