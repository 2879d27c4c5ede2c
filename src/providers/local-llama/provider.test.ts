import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateLlamaModel, presets, type GeneratedModel } from "../../dev/gguf/index.ts";
import { HearthError, type ErrorCode } from "../../spec/errors.ts";
import { collect, type ChatRequest, type StreamPart, type ToolDefinition } from "../../spec/model.ts";
import { createLocalLlamaProvider, type LocalLlamaProvider } from "./index.ts";

/**
 * Real node-llama-cpp on a tiny random-weight model (1 thread, small context). Random weights
 * make the words meaningless, so these tests assert structure: token counts, finish reasons,
 * JSON validity, dimensions, and what happens around queues, aborts and limits.
 */

const never = new AbortController().signal;
let generated: GeneratedModel;
let provider: LocalLlamaProvider;

before(async () => {
  generated = await generateLlamaModel({ ...presets.tiny, path: join(tmpdir(), `hearth-provider-test-${process.pid}.gguf`), seed: 7 });
  provider = createLocalLlamaProvider({
    models: [{ name: "tiny", path: generated.path, contextSize: 1024, parallel: 2, threads: 1 }],
    threads: 1,
    maxQueue: 8,
  });
});

after(async () => {
  await provider.close();
  await rm(generated.path, { force: true });
});

function ask(overrides: Partial<ChatRequest> = {}): ChatRequest {
  // Greedy by default: tests that expect "length" must not meet a sampled end-of-text token.
  return { model: "tiny", messages: [{ role: "user", content: "Say something." }], maxTokens: 8, temperature: 0, ...overrides };
}

async function drain(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

function isHearthError(code: ErrorCode, param?: string) {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected HearthError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (param !== undefined) assert.equal(error.param, param);
    return true;
  };
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** Waits (briefly) until the model has no active lease: proof a request gave its slot back. */
async function waitForIdle(target: LocalLlamaProvider, name = "tiny"): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    if (target.status().find((model) => model.name === name)?.activeLeases === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail("the lease was not released");
}

describe("local-llama provider: chat", () => {
  test("streams text deltas that join to the collected text, then exactly one finish", async () => {
    const parts = await drain(provider.chat(ask({ maxTokens: 12 }), { signal: never }));
    const finishes = parts.filter((part) => part.type === "finish");
    assert.equal(finishes.length, 1);
    assert.equal(parts.at(-1)?.type, "finish");
    const streamed = parts.flatMap((part) => (part.type === "text-delta" ? [part.text] : [])).join("");
    assert.ok(parts.every((part) => part.type !== "text-delta" || part.text.length > 0), "no empty deltas");
    const collected = await collect(provider.chat(ask({ maxTokens: 12 }), { signal: never }));
    assert.equal(streamed, collected.text); // greedy decoding is deterministic
  });

  test("maxTokens stops with finishReason length after exactly that many output tokens", async () => {
    const result = await collect(provider.chat(ask({ maxTokens: 5 }), { signal: never }));
    assert.equal(result.finishReason, "length");
    assert.equal(result.usage.outputTokens, 5);
  });

  test("usage counts the rendered prompt and stays consistent across requests", async () => {
    const short = await collect(provider.chat(ask({ maxTokens: 3 }), { signal: never }));
    const longer = await collect(provider.chat(ask({ maxTokens: 6 }), { signal: never }));
    assert.ok(short.usage.inputTokens > 0);
    assert.equal(short.usage.inputTokens, longer.usage.inputTokens);
    assert.equal(short.usage.outputTokens, 3);
    assert.equal(longer.usage.outputTokens, 6);
    const withSystem = await collect(
      provider.chat(ask({ maxTokens: 3, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say something." }] }), { signal: never }),
    );
    assert.ok(withSystem.usage.inputTokens > short.usage.inputTokens);
  });

  test("countTokens equals the prompt tokens a generation reports, and passthrough n>1 is refused", async () => {
    const request = ask({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Count my tokens, please." }] });
    const counted = await provider.countTokens(request, { signal: never });
    const result = await collect(provider.chat(request, { signal: never }));
    assert.equal(counted, result.usage.inputTokens);
    await assert.rejects(
      collect(provider.chat(ask({ passthrough: { format: "openai", fields: { n: 2 } } }), { signal: never })),
      isHearthError("unsupported", "n"),
    );
  });

  test("a stop sequence ends generation with finishReason stop and is not returned", async () => {
    const free = await collect(provider.chat(ask({ maxTokens: 16 }), { signal: never }));
    const stop = free.text.slice(2, 3);
    assert.ok(stop.length === 1, "the free-running text is long enough to pick a stop sequence from");
    const stopped = await collect(provider.chat(ask({ maxTokens: 16, stop: [stop] }), { signal: never }));
    assert.equal(stopped.finishReason, "stop");
    assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(stop)));
    assert.ok(stopped.usage.outputTokens < 16);
  });

  test("json_schema output parses and matches the schema's enum and boolean fields", async () => {
    const result = await collect(
      provider.chat(
        ask({
          maxTokens: 300,
          responseFormat: {
            type: "json_schema",
            name: "verdict",
            strict: true,
            schema: {
              type: "object",
              properties: { mood: { type: "string", enum: ["happy", "sad"] }, ok: { type: "boolean" }, version: { const: 2 } },
              required: ["mood", "ok", "version"],
              additionalProperties: false,
            },
          },
        }),
        { signal: never },
      ),
    );
    assert.equal(result.finishReason, "stop");
    const value = JSON.parse(result.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value).sort(), ["mood", "ok", "version"]);
    assert.ok(value.mood === "happy" || value.mood === "sad");
    assert.equal(typeof value.ok, "boolean");
    assert.equal(value.version, 2);
  });

  test("json_object output parses as a JSON object", async () => {
    const result = await collect(provider.chat(ask({ maxTokens: 300, responseFormat: { type: "json_object" } }), { signal: never }));
    if (result.finishReason === "stop") {
      const value: unknown = JSON.parse(result.text);
      assert.ok(typeof value === "object" && value !== null && !Array.isArray(value));
    } else {
      // A random model may ramble inside a string until the limit; what it wrote is still a JSON prefix.
      assert.equal(result.finishReason, "length");
      assert.ok(result.text.trimStart().startsWith("{"));
    }
  });

  test("an unsupported schema is refused before any output, naming the param", async () => {
    const parts = provider.chat(
      ask({ responseFormat: { type: "json_schema", name: "x", strict: true, schema: { type: "string", pattern: "^a+$" } } }),
      { signal: never },
    );
    await assert.rejects(drain(parts), isHearthError("invalid_request", "response_format.json_schema.schema"));
  });

  const tools: ToolDefinition[] = [
    { name: "weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Rome"] } }, required: ["city"] } },
    { name: "clock", parameters: { type: "object", properties: { utc: { type: "boolean" } }, required: ["utc"] } },
  ];

  test("tool_choice required yields one tool call with JSON arguments matching that tool", async () => {
    const result = await collect(provider.chat(ask({ maxTokens: 300, tools, toolChoice: "required" }), { signal: never }));
    assert.equal(result.finishReason, "tool_calls");
    assert.equal(result.text, "");
    assert.equal(result.toolCalls.length, 1);
    const [call] = result.toolCalls;
    assert.ok(call !== undefined && /^call_[0-9a-f]{24}$/.test(call.id));
    const args = JSON.parse(call.arguments) as Record<string, unknown>;
    if (call.name === "weather") assert.ok(args.city === "Oslo" || args.city === "Rome");
    else {
      assert.equal(call.name, "clock");
      assert.equal(typeof args.utc, "boolean");
    }
    assert.ok(result.usage.outputTokens > 0);
  });

  test("a named tool_choice calls exactly that tool", async () => {
    const result = await collect(provider.chat(ask({ maxTokens: 300, tools, toolChoice: { name: "clock" } }), { signal: never }));
    assert.equal(result.finishReason, "tool_calls");
    assert.equal(result.toolCalls[0]?.name, "clock");
    assert.equal(typeof (JSON.parse(result.toolCalls[0]?.arguments ?? "null") as { utc?: unknown }).utc, "boolean");
  });

  test("tool_choice auto runs native function calling; any call it makes carries complete JSON", async () => {
    const result = await collect(provider.chat(ask({ maxTokens: 10, tools, toolChoice: "auto" }), { signal: never }));
    assert.ok(["stop", "length", "tool_calls"].includes(result.finishReason));
    for (const call of result.toolCalls) JSON.parse(call.arguments);
    assert.equal(result.finishReason === "tool_calls", result.toolCalls.length > 0);
  });

  test("a conversation with a tool round trip is accepted", async () => {
    const result = await collect(
      provider.chat(
        ask({
          tools,
          maxTokens: 4,
          messages: [
            { role: "user", content: "Weather in Oslo?" },
            { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] },
            { role: "tool", toolCallId: "call_1", content: '{"celsius":-3}' },
          ],
        }),
        { signal: never },
      ),
    );
    assert.ok(result.usage.inputTokens > 0);
  });

  test("a prompt longer than the context fails with context_length_exceeded before any output", async () => {
    const seen: StreamPart[] = [];
    const long = "lorem ipsum dolor sit amet ".repeat(400);
    await assert.rejects(
      (async () => {
        for await (const part of provider.chat(ask({ messages: [{ role: "user", content: long }] }), { signal: never })) seen.push(part);
      })(),
      (error: unknown) => {
        isHearthError("context_length_exceeded", "messages")(error);
        assert.match((error as Error).message, /context is 1024 tokens; the prompt uses \d+ tokens/);
        return true;
      },
    );
    assert.deepEqual(seen, []);
    await waitForIdle(provider);
  });

  test("an unknown model is model_not_found", async () => {
    await assert.rejects(drain(provider.chat(ask({ model: "nope" }), { signal: never })), isHearthError("model_not_found", "model"));
    await assert.rejects(provider.embed({ model: "nope", input: ["x"] }, { signal: never }), isHearthError("model_not_found", "model"));
  });

  test("four concurrent requests on two parallel slots all complete, two running and two queued", async () => {
    let maxActive = 0;
    let maxQueued = 0;
    const sampler = setInterval(() => {
      const status = provider.status()[0];
      maxActive = Math.max(maxActive, status?.activeLeases ?? 0);
      maxQueued = Math.max(maxQueued, status?.queued ?? 0);
    }, 1);
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map((index) =>
          collect(provider.chat(ask({ maxTokens: 40, messages: [{ role: "user", content: `Request number ${index}.` }] }), { signal: never })),
        ),
      );
      for (const result of results) {
        assert.equal(result.finishReason, "length");
        assert.equal(result.usage.outputTokens, 40);
      }
    } finally {
      clearInterval(sampler);
    }
    assert.equal(maxActive, 2);
    assert.ok(maxQueued >= 1, `saw ${maxQueued} queued`);
    await waitForIdle(provider);
  });

  test("aborting mid-stream stops at once, ends the stream with an AbortError and frees the slot", async () => {
    const controller = new AbortController();
    const iterator = provider.chat(ask({ maxTokens: 600 }), { signal: controller.signal })[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    const started = performance.now();
    controller.abort();
    await assert.rejects(
      (async () => {
        for (;;) if ((await iterator.next()).done === true) return;
      })(),
      isAbortError,
    );
    assert.ok(performance.now() - started < 1000, "stopped quickly");
    await waitForIdle(provider);
    const next = await collect(provider.chat(ask({ maxTokens: 3 }), { signal: never }));
    assert.equal(next.usage.outputTokens, 3);
  });

  test("a consumer that stops reading early aborts generation and frees the slot", async () => {
    let count = 0;
    for await (const part of provider.chat(ask({ maxTokens: 600 }), { signal: never })) {
      assert.ok(part.type === "text-delta");
      if (++count === 2) break;
    }
    await waitForIdle(provider);
    const next = await collect(provider.chat(ask({ maxTokens: 3 }), { signal: never }));
    assert.equal(next.finishReason, "length");
  });

  test("an already aborted signal never takes a slot", async () => {
    await assert.rejects(drain(provider.chat(ask(), { signal: AbortSignal.abort() })), isAbortError);
    assert.equal(provider.status()[0]?.activeLeases, 0);
  });
});

describe("local-llama provider: queueing", () => {
  test("a full queue answers overloaded with Retry-After while a request runs", async () => {
    const busy = createLocalLlamaProvider({
      models: [{ name: "tiny", path: generated.path, contextSize: 256, parallel: 1, threads: 1 }],
      threads: 1,
      maxQueue: 0,
    });
    try {
      const controller = new AbortController();
      const running = busy.chat(ask({ maxTokens: 200 }), { signal: controller.signal })[Symbol.asyncIterator]();
      assert.equal((await running.next()).done, false);
      await assert.rejects(drain(busy.chat(ask(), { signal: never })), (error: unknown) => {
        isHearthError("overloaded")(error);
        assert.ok((error as HearthError).retryAfterSeconds !== undefined && (error as HearthError).status === 503);
        return true;
      });
      controller.abort();
      await assert.rejects(drain({ [Symbol.asyncIterator]: () => running }), isAbortError);
      await waitForIdle(busy);
      assert.equal((await collect(busy.chat(ask({ maxTokens: 2 }), { signal: never }))).finishReason, "length");
    } finally {
      await busy.close();
    }
    assert.equal(busy.status()[0]?.state, "unloaded");
  });
});

describe("local-llama provider: model lifecycle", () => {
  test("a missing model file fails with model_load_failed naming the model", async () => {
    const broken = createLocalLlamaProvider({ models: [{ name: "ghost", path: join(tmpdir(), "hearth-no-such-model.gguf") }], threads: 1 });
    try {
      await assert.rejects(drain(broken.chat(ask({ model: "ghost" }), { signal: never })), (error: unknown) => {
        isHearthError("model_load_failed")(error);
        assert.match((error as Error).message, /ghost/);
        return true;
      });
      assert.equal(broken.status()[0]?.state, "unloaded");
    } finally {
      await broken.close();
    }
  });

  test("an idle model is unloaded after idleTimeoutMs and reloads on the next request", async () => {
    const idle = createLocalLlamaProvider({
      models: [{ name: "tiny", path: generated.path, contextSize: 256, threads: 1, embedding: false }],
      threads: 1,
      idleTimeoutMs: 50,
    });
    try {
      await collect(idle.chat(ask({ maxTokens: 2 }), { signal: never }));
      assert.equal(idle.status()[0]?.state, "loaded");
      const deadline = Date.now() + 3000;
      while (idle.status()[0]?.state !== "unloaded" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(idle.status()[0]?.state, "unloaded");
      assert.equal((await collect(idle.chat(ask({ maxTokens: 2 }), { signal: never }))).usage.outputTokens, 2);
      await assert.rejects(idle.embed({ model: "tiny", input: ["x"] }, { signal: never }), isHearthError("unsupported", "model"));
    } finally {
      await idle.close();
    }
  });
});

describe("local-llama provider: shutdown", () => {
  test("close() ends in-flight streams with an error and unloads the model", async () => {
    const closing = createLocalLlamaProvider({ models: [{ name: "tiny", path: generated.path, contextSize: 256, threads: 1 }], threads: 1 });
    const running = closing.chat(ask({ maxTokens: 200 }), { signal: never })[Symbol.asyncIterator]();
    assert.equal((await running.next()).done, false);
    await closing.close();
    await assert.rejects(drain({ [Symbol.asyncIterator]: () => running }), isHearthError("overloaded"));
    assert.equal(closing.status()[0]?.state, "unloaded");
    await assert.rejects(drain(closing.chat(ask(), { signal: never })), isHearthError("overloaded"));
  });
});

describe("local-llama provider: completion and embeddings", () => {
  test("text completion streams and counts tokens like chat", async () => {
    const parts = await drain(provider.complete({ model: "tiny", prompt: "Once upon a time", maxTokens: 5, temperature: 0 }, { signal: never }));
    const finish = parts.at(-1);
    assert.ok(finish?.type === "finish");
    assert.equal(finish.finishReason, "length");
    assert.equal(finish.usage.outputTokens, 5);
    assert.ok(finish.usage.inputTokens > 1);
    assert.ok(parts.slice(0, -1).every((part) => part.type === "text-delta"));
  });

  test("usage counts the tokens actually sampled, also after a chat left its tokens in the slot", async () => {
    // A chat first leaves its tokens in the slot's sequence; completions then reuse what they can.
    await drain(provider.chat(ask({ maxTokens: 4 }), { signal: never }));
    for (let round = 0; round < 4; round++) {
      const deltas: string[] = [];
      const parts = await drain(provider.complete({ model: "tiny", prompt: "Once upon a time", maxTokens: 5, temperature: round === 0 ? 0 : 0.8, seed: round }, { signal: never }));
      for (const part of parts) if (part.type === "text-delta") deltas.push(part.text);
      const finish = parts.at(-1);
      assert.ok(finish?.type === "finish");
      if (finish.finishReason !== "length") {
        assert.ok(finish.usage.outputTokens <= 5);
        continue;
      }
      // At the max_tokens boundary node-llama-cpp either completes a UTF-8 character that the
      // last token left open or drops the open bytes (random weights emit arbitrary bytes), so a
      // byte-level model may deliver up to 3 tokens more or fewer; usage counts the tokens
      // delivered. Output that is plain ASCII stops at exactly 5.
      assert.ok(Math.abs(finish.usage.outputTokens - 5) <= 3, `round ${round}: ${finish.usage.outputTokens}`);
      if (/^[\x20-\x7e]*$/.test(deltas.join(""))) assert.equal(finish.usage.outputTokens, 5);
    }
  });

  test("a completion prompt longer than the context is refused with param prompt", async () => {
    await assert.rejects(
      drain(provider.complete({ model: "tiny", prompt: "lorem ipsum ".repeat(800) }, { signal: never })),
      isHearthError("context_length_exceeded", "prompt"),
    );
  });

  test("embeddings have the model's hidden size, one per input, with token usage", async () => {
    const result = await provider.embed({ model: "tiny", input: ["hello world", "a second, longer input text"] }, { signal: never });
    assert.equal(result.embeddings.length, 2);
    for (const vector of result.embeddings) {
      assert.equal(vector.length, generated.hiddenSize);
      assert.ok(vector.every((value) => Number.isFinite(value)));
    }
    assert.ok(result.usage.inputTokens >= 4);
  });

  test("an embedding input longer than the context is refused with param input", async () => {
    await assert.rejects(
      provider.embed({ model: "tiny", input: ["short", "lorem ipsum ".repeat(800)] }, { signal: never }),
      isHearthError("context_length_exceeded", "input"),
    );
  });

  test("status and modelInfo describe the configured model", () => {
    const [status] = provider.status();
    assert.equal(status?.name, "tiny");
    assert.equal(status?.state, "loaded");
    assert.equal(status?.parallel, 2);
    assert.ok((status?.estimatedBytes ?? 0) > generated.bytes);
    assert.deepEqual(provider.modelInfo("tiny"), {
      name: "tiny",
      provider: "local-llama",
      contextLength: 1024,
      locality: "in-process",
      capabilities: { chat: true, completion: true, embedding: true },
    });
    assert.equal(provider.modelInfo("nope"), undefined);
  });
});
