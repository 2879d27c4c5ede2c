import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { fromBatchEmbedContentsBody, fromEmbedContentBody, toBatchEmbedContentsResponse, toEmbedContentResponse } from "./embed.ts";

function fails(run: () => unknown, code: string, param: string): void {
  assert.throws(run, (error: unknown) => HearthError.isInstance(error) && error.code === code && error.param === param);
}

const content = (...texts: string[]) => ({ parts: texts.map((text) => ({ text })) });

describe("embedContent and batchEmbedContents", () => {
  test("one content is one input; its text parts are joined", () => {
    const parsed = fromEmbedContentBody("e", { model: "models/e", content: content("a", "b"), outputDimensionality: 3, taskType: "RETRIEVAL_QUERY" });
    assert.deepEqual(parsed.request, { model: "e", input: ["a\nb"], dimensions: 3, passthrough: { format: "gemini", fields: { taskType: "RETRIEVAL_QUERY" } } });
    assert.equal(parsed.dimensions, 3);
  });

  test("a batch is one call with every text, in order", () => {
    const parsed = fromBatchEmbedContentsBody("e", { requests: [{ model: "models/e", content: content("x") }, { content: content("y") }] });
    assert.deepEqual(parsed.request.input, ["x", "y"]);
    assert.equal(parsed.request.passthrough, undefined);
  });

  test("mismatched models, mixed settings, non-text and empty text are refused", () => {
    fails(() => fromEmbedContentBody("e", { model: "models/other", content: content("x") }), "invalid_request", "model");
    fails(() => fromBatchEmbedContentsBody("e", { requests: [{ content: content("x") }, { model: "f", content: content("y") }] }), "invalid_request", "requests[1].model");
    fails(
      () => fromBatchEmbedContentsBody("e", { requests: [{ content: content("x"), outputDimensionality: 2 }, { content: content("y") }] }),
      "unsupported",
      "requests[1].outputDimensionality",
    );
    fails(() => fromEmbedContentBody("e", { content: { parts: [{ inlineData: { mimeType: "image/png", data: "" } }] } }), "unsupported", "content.parts[0]");
    fails(() => fromEmbedContentBody("e", { content: content("") }), "invalid_request", "content.parts");
    fails(() => fromBatchEmbedContentsBody("e", { requests: [] }), "invalid_request", "requests");
  });

  test("responses carry the vectors; a size the model cannot produce is refused", () => {
    const result = { embeddings: [[1, 2], [3, 4]], usage: { inputTokens: 2 } };
    assert.deepEqual(toBatchEmbedContentsResponse(result, undefined), { embeddings: [{ values: [1, 2] }, { values: [3, 4] }] });
    assert.deepEqual(toEmbedContentResponse(result, 2), { embedding: { values: [1, 2] } });
    fails(() => toEmbedContentResponse(result, 8), "unsupported", "outputDimensionality");
  });
});
