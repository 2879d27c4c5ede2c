import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import type { ChatRequest, ModelProvider, StreamPart } from "../../spec/model.ts";
import type { CatalogEntry, RequestContext, RouteTarget } from "../gateway.ts";
import type { Finding } from "../guardrails/types.ts";
import type { Destination, Policy } from "./engine.ts";
import { createGuard, segmentsOf, type ReviewGate } from "./guard.ts";

// The guard's own logic under test; the detector is stood in for by a tiny e-mail / "SECRET-n"
// finder so these tests do not depend on the real recognizers (test/policy.test.ts uses those).
function scan(text: string): Finding[] {
  const findings: Finding[] = [];
  for (const match of text.matchAll(/[a-z]+@[a-z]+\.[a-z]+/g)) findings.push({ type: "email", category: "pii", start: match.index, end: match.index + match[0].length, confidence: 0.95, recognizer: "test" });
  for (const match of text.matchAll(/SECRET-\d+/g)) findings.push({ type: "private_key", category: "secret", start: match.index, end: match.index + match[0].length, confidence: 0.99, recognizer: "test" });
  return findings;
}

function target(key: string, locality: Destination["locality"], trust: string[] = []): RouteTarget & { destination: Destination } {
  const entry = { info: { name: key, provider: key.split("/")[0] as string, locality, capabilities: { chat: true, completion: true, embedding: true } }, provider: {} as ModelProvider, created: 0, state: () => "available" } as CatalogEntry;
  return { key, weight: 1, entry, timeouts: {}, destination: { key, model: key, provider: key.split("/")[0] as string, locality, trust } };
}

const vendor = target("openai/gpt", "third-party", ["zero-retention"]);
const cheap = target("cheap/x", "third-party");
const local = target("engine/llama", "in-process");

const policy: Policy = {
  rules: [
    { name: "keys-never", when: { data: ["private_key"] }, action: "block" },
    { name: "emails-redacted", when: { data: ["email"], destination: { trust: ["zero-retention"] } }, action: "redact" },
    { name: "pii-local", when: { data: ["pii"], destination: { locality: ["third-party"] } }, action: "route_local" },
  ],
  default: "allow",
  localTrust: "trusted",
};

function guardWith(options: { review?: ReviewGate; localModel?: RouteTarget } = {}) {
  return createGuard({
    policy: { ...policy, localModel: options.localModel === undefined ? undefined : "llama" },
    scan,
    destinationOf: (routeTarget) => (routeTarget as RouteTarget & { destination: Destination }).destination,
    localTarget: () => options.localModel,
    review: options.review,
  });
}

const context = (): RequestContext => ({ requestId: "r", endpoint: "chat.completions", stream: true, signal: new AbortController().signal, startedAt: 0, receivedAt: 0, tags: [] });
const route = { name: "gpt", isRoute: false };

async function* parts(...items: StreamPart[]): AsyncGenerator<StreamPart> {
  yield* items;
}

async function all(source: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of source) out.push(part);
  return out;
}

const conversation: ChatRequest = {
  model: "gpt",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: [{ type: "text", text: "Mail ann@corp.com about it" }, { type: "image", url: "https://x/y.png" }] },
    { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "send", arguments: '{"to":"ann@corp.com"}' }] },
    { role: "tool", toolCallId: "c1", content: "sent to ann@corp.com and bob@corp.com" },
  ],
  passthrough: { format: "openai", fields: { user: "bob@corp.com", metadata: { n: 1 } } },
};

describe("policy guard", () => {
  test("every text a chat request carries is scanned: parts, tool-call arguments, tool results, passthrough strings", () => {
    assert.deepEqual(
      segmentsOf("chat", conversation).map((segment) => segment.where),
      ["messages[0].content", "messages[1].content[0]", "messages[2].tool_calls[0].arguments", "messages[3].content", "passthrough.user"],
    );
    assert.deepEqual(segmentsOf("embedding", { model: "e", input: ["a", "b"] }).map((segment) => segment.where), ["input[0]", "input[1]"]);
  });

  test("redacts consistently for the trusted vendor and restores the streamed answer, placeholders split across chunks", async () => {
    const guard = guardWith();
    const plan = await guard.plan("chat", conversation, context(), route, [vendor, local]);
    assert.deepEqual(plan.targets.map((entry) => entry.key), ["openai/gpt", "engine/llama"]);
    const prepared = plan.prepare(vendor);
    assert.deepEqual(prepared.redacted, ["email"]);
    const sent = JSON.stringify(prepared.request);
    assert.doesNotMatch(sent, /ann@corp\.com|bob@corp\.com/);
    const messages = prepared.request.messages;
    assert.deepEqual(messages[1]?.content, [{ type: "text", text: "Mail <EMAIL_1> about it" }, { type: "image", url: "https://x/y.png" }]);
    assert.equal((messages[2] as { toolCalls: Array<{ arguments: string }> }).toolCalls[0]?.arguments, '{"to":"<EMAIL_1>"}');
    assert.equal(messages[3]?.content, "sent to <EMAIL_1> and <EMAIL_2>");
    assert.deepEqual(prepared.request.passthrough?.fields, { user: "<EMAIL_2>", metadata: { n: 1 } });

    const answer = await all(
      prepared.restore(
        parts(
          { type: "text-delta", text: "Sure, <EM" },
          { type: "text-delta", text: "AIL_1> and <email_2" },
          { type: "text-delta", text: ">." },
          { type: "tool-call", toolCall: { id: "c2", name: "send", arguments: '{"to":["<EMAIL_1>","<EMAIL_2>"],"note":"say \\"hi\\""}' } },
          { type: "finish", finishReason: "tool_calls", usage: { inputTokens: 1, outputTokens: 1 } },
        ),
      ),
    );
    const text = answer.filter((part) => part.type === "text-delta").map((part) => (part as { text: string }).text).join("");
    assert.equal(text, "Sure, ann@corp.com and bob@corp.com.");
    const call = answer.find((part) => part.type === "tool-call") as { toolCall: { arguments: string } };
    assert.deepEqual(JSON.parse(call.toolCall.arguments), { to: ["ann@corp.com", "bob@corp.com"], note: 'say "hi"' });
    assert.equal(answer.at(-1)?.type, "finish");

    // The local target gets the request untouched.
    assert.equal(plan.prepare(local).request, conversation);
  });

  test("text held back at the end of a stream is released before the finish part", async () => {
    const plan = await guardWith().plan("chat", conversation, context(), route, [vendor]);
    const answer = await all(plan.prepare(vendor).restore(parts({ type: "text-delta", text: "ends with <" }, { type: "finish", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 1 } })));
    assert.deepEqual(answer.map((part) => part.type), ["text-delta", "text-delta", "finish"]);
    assert.equal(answer.filter((part) => part.type === "text-delta").map((part) => (part as { text: string }).text).join(""), "ends with <");
  });

  test("an untrusted vendor is dropped from the route; without a local target the request is blocked naming the data, not its value", async () => {
    const plan = await guardWith().plan("chat", conversation, context(), route, [cheap, local]);
    assert.deepEqual(plan.targets.map((entry) => entry.key), ["engine/llama"]);
    await assert.rejects(guardWith().plan("chat", conversation, context(), route, [cheap]), (error: unknown) => {
      assert.ok(HearthError.isInstance(error));
      assert.equal(error.code, "policy_blocked");
      assert.equal(error.status, 403);
      assert.match(error.message, /e-mail address/);
      assert.match(error.message, /'pii-local'/);
      assert.doesNotMatch(error.message, /ann@corp/);
      return true;
    });
  });

  test("route_local with a configured local model reroutes instead of blocking", async () => {
    const plan = await guardWith({ localModel: local }).plan("chat", conversation, context(), route, [cheap]);
    assert.deepEqual(plan.targets.map((entry) => entry.key), ["engine/llama"]);
    assert.equal(plan.summary, "route_local");
  });

  test("a private key blocks everywhere", async () => {
    const request: ChatRequest = { model: "gpt", messages: [{ role: "user", content: "here: SECRET-42" }] };
    await assert.rejects(guardWith({ localModel: local }).plan("chat", request, context(), route, [vendor, local]), /private key/);
  });

  test("review: the gate sees a masked preview; approval proceeds, denial refuses", async () => {
    const reviewPolicy: Policy = { rules: [{ name: "emails-reviewed", when: { data: ["email"] }, action: "review" }], default: "allow", localTrust: "trusted" };
    const seen: Array<Parameters<ReviewGate["hold"]>[0]> = [];
    const make = (answer: "approved" | "denied" | "expired") =>
      createGuard({
        policy: reviewPolicy,
        scan,
        destinationOf: (routeTarget) => (routeTarget as RouteTarget & { destination: Destination }).destination,
        review: {
          async hold(item) {
            seen.push(item);
            return answer;
          },
        },
      });
    const request: ChatRequest = { model: "gpt", messages: [{ role: "user", content: "write to ann@corp.com" }] };
    const plan = await make("approved").plan("chat", request, context(), route, [vendor]);
    assert.equal(plan.summary, "review:approved");
    assert.equal(seen[0]?.rule, "emails-reviewed");
    assert.equal(seen[0]?.preview, "messages[0].content: write to [EMAIL]");
    assert.deepEqual(seen[0]?.reasons, ["1 × e-mail address"]);
    assert.match(seen[0]?.fingerprint ?? "", /^[0-9a-f]{64}$/);
    await assert.rejects(make("denied").plan("chat", request, context(), route, [vendor]), (error: unknown) => HearthError.isInstance(error) && error.code === "review_denied");
    await assert.rejects(make("expired").plan("chat", request, context(), route, [vendor]), /in time/);
  });

  test("explain reports findings by position and type, never the values", async () => {
    const explained = await guardWith().explain("chat", conversation, {}, [vendor, cheap]);
    assert.equal(explained.outcome, "redact");
    assert.deepEqual(explained.targets, ["openai/gpt"]);
    assert.deepEqual(explained.findings[0], { where: "messages[1].content[0]", type: "email", category: "pii", start: 5, end: 17, confidence: 0.95, recognizer: "test" });
    assert.doesNotMatch(JSON.stringify(explained), /ann@corp|bob@corp/);
  });

  test("a model-based name recognizer adds findings the rules can act on", async () => {
    const guard = createGuard({
      policy: { rules: [{ name: "names-stay-local", when: { data: ["person_name"] }, action: "route_local" }], default: "allow", localTrust: "trusted" },
      scan,
      // Stands in for the local model: finds "Ada Lovelace" wherever it occurs.
      extractNames: async (text) => {
        const at = text.indexOf("Ada Lovelace");
        return at === -1 ? [] : [{ type: "person_name", category: "name", start: at, end: at + 12, confidence: 0.8, recognizer: "local-model-names" }];
      },
      destinationOf: (routeTarget) => (routeTarget as RouteTarget & { destination: Destination }).destination,
    });
    const request: ChatRequest = { model: "gpt", messages: [{ role: "user", content: "Write a bio of Ada Lovelace" }] };
    const plan = await guard.plan("chat", request, context(), route, [vendor, local]);
    assert.deepEqual(plan.targets.map((entry) => entry.key), ["engine/llama"]);
    assert.deepEqual(plan.findings.map((finding) => [finding.type, finding.start, finding.end]), [["person_name", 15, 27]]);
  });
});
