import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../spec/errors.ts";
import { collect, type ChatRequest, type ModelProvider, type StreamPart, type ToolDefinition } from "../spec/model.ts";

/**
 * One behavioural contract every provider passes (local engine, OpenAI-compatible, Anthropic,
 * Gemini), run from each provider's `*.contract.test.ts` against a real upstream or a loopback
 * mock. It pins what the gateway relies on: part order, exactly one final `finish`, usage,
 * whole tool calls with valid JSON arguments, JSON mode, abort, and errors as HearthErrors.
 * Assertions are structural because the local test models have random weights.
 */
export interface ContractSubject {
  provider: ModelProvider;
  /** Provider-side chat model name. */
  model: string;
  /** Provider-side embedding model name, when the provider can embed. */
  embeddingModel?: string | undefined;
  supports: { tools: boolean; json: boolean; completion: boolean; embeddings: boolean };
}

export interface ContractFixture {
  subject: ContractSubject;
  close(): Promise<void>;
}

const never = new AbortController().signal;

const weatherTool: ToolDefinition = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Berlin"] }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
};

async function drain(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

function assertWellFormed(parts: StreamPart[]): void {
  const finishes = parts.filter((part) => part.type === "finish");
  assert.equal(finishes.length, 1, "exactly one finish part");
  assert.equal(parts.at(-1)?.type, "finish", "finish is the last part");
  const finish = finishes[0];
  assert.ok(finish !== undefined && finish.type === "finish");
  assert.ok(finish.usage.inputTokens > 0, "usage counts the prompt");
  assert.ok(finish.usage.outputTokens >= 0);
}

export function providerContract(name: string, setup: () => Promise<ContractFixture>): void {
  describe(`provider contract: ${name}`, () => {
    let fixture: ContractFixture | undefined;
    const subject = async (): Promise<ContractSubject> => {
      fixture ??= await setup();
      return fixture.subject;
    };
    const ask = (model: string, overrides: Partial<ChatRequest> = {}): ChatRequest => ({
      model,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hello." },
      ],
      maxTokens: 16,
      temperature: 0,
      ...overrides,
    });

    test("a streamed chat yields text deltas and ends with one finish part carrying usage", async () => {
      const { provider, model } = await subject();
      const parts = await drain(provider.chat(ask(model), { signal: never, stream: true }));
      assertWellFormed(parts);
      assert.ok(parts.some((part) => part.type === "text-delta"), "some text arrived");
    });

    test("a non-streamed chat yields the same shape", async () => {
      const { provider, model } = await subject();
      const parts = await drain(provider.chat(ask(model), { signal: never, stream: false }));
      assertWellFormed(parts);
      const result = await collect((async function* () { yield* parts; })());
      assert.ok(["stop", "length"].includes(result.finishReason), result.finishReason);
    });

    test("a required tool call arrives whole, with JSON arguments that match the schema", async (context) => {
      const { provider, model, supports } = await subject();
      if (!supports.tools) return context.skip("provider has no tools");
      for (const stream of [true, false]) {
        const parts = await drain(
          provider.chat(
            ask(model, { messages: [{ role: "user", content: "Weather in Paris, celsius?" }], tools: [weatherTool], toolChoice: "required", maxTokens: 256 }),
            { signal: never, stream },
          ),
        );
        assertWellFormed(parts);
        const calls = parts.flatMap((part) => (part.type === "tool-call" ? [part.toolCall] : []));
        assert.ok(calls.length >= 1, `a tool call arrived (stream=${stream})`);
        for (const call of calls) {
          assert.equal(call.name, "get_weather");
          assert.ok(call.id.length > 0, "the call has an id");
          const args = JSON.parse(call.arguments) as Record<string, unknown>;
          assert.ok(["Paris", "Berlin"].includes(String(args.city)));
          assert.ok(["c", "f"].includes(String(args.unit)));
        }
        const finish = parts.at(-1);
        assert.equal(finish?.type === "finish" ? finish.finishReason : undefined, "tool_calls");
      }
    });

    test("tool results in the history are accepted and answered with text", async (context) => {
      const { provider, model, supports } = await subject();
      if (!supports.tools) return context.skip("provider has no tools");
      const parts = await drain(
        provider.chat(
          ask(model, {
            messages: [
              { role: "user", content: "Weather in Paris?" },
              { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' }] },
              { role: "tool", toolCallId: "call_1", content: '{"temperature":21}' },
            ],
            tools: [weatherTool],
          }),
          { signal: never, stream: true },
        ),
      );
      assertWellFormed(parts);
    });

    test("JSON mode yields text that parses as JSON", async (context) => {
      const { provider, model, supports } = await subject();
      if (!supports.json) return context.skip("provider has no JSON mode");
      const result = await collect(
        provider.chat(
          ask(model, {
            messages: [{ role: "user", content: "Answer as a JSON object with key ok." }],
            maxTokens: 64,
            responseFormat: {
              type: "json_schema",
              name: "answer",
              schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false },
            },
          }),
          { signal: never, stream: true },
        ),
      );
      const value = JSON.parse(result.text) as { ok?: unknown };
      assert.equal(typeof value.ok, "boolean");
    });

    test("a text completion streams and finishes", async (context) => {
      const { provider, model, supports } = await subject();
      if (!supports.completion) return context.skip("provider has no text completion");
      const parts = await drain(provider.complete({ model, prompt: "Once upon a time", maxTokens: 8, temperature: 0 }, { signal: never, stream: true }));
      assertWellFormed(parts);
    });

    test("embeddings return one vector per input, all the same length", async (context) => {
      const { provider, embeddingModel, supports } = await subject();
      if (!supports.embeddings || embeddingModel === undefined) return context.skip("provider has no embeddings");
      const result = await provider.embed({ model: embeddingModel, input: ["first", "second text"] }, { signal: never });
      assert.equal(result.embeddings.length, 2);
      const [a, b] = result.embeddings;
      assert.ok(a !== undefined && b !== undefined && a.length > 0 && a.length === b.length);
      assert.ok(a.every(Number.isFinite));
      assert.ok(result.usage.inputTokens > 0);
    });

    test("aborting mid-stream ends the stream without a finish part", async () => {
      const { provider, model } = await subject();
      const controller = new AbortController();
      const seen: StreamPart[] = [];
      try {
        for await (const part of provider.chat(ask(model, { maxTokens: 200 }), { signal: controller.signal, stream: true })) {
          seen.push(part);
          if (part.type !== "finish") controller.abort();
        }
      } catch (error) {
        assert.ok(error instanceof Error, "a failure is an Error");
      }
      assert.ok(seen.length >= 1, "a part arrived before the abort");
      assert.notEqual(seen.at(-1)?.type, "finish", "no finish after the abort");
    });

    test("an unknown model fails as a HearthError before any part", async () => {
      const { provider } = await subject();
      await assert.rejects(drain(provider.chat(ask("no-such-model-anywhere"), { signal: never, stream: true })), (error: unknown) => {
        assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
        return true;
      });
    });

    test("closes cleanly", async () => {
      await subject();
      await fixture?.close();
      fixture = undefined;
    });
  });
}
