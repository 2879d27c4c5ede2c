import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { geminiModelName, toGeminiModel, toGeminiModelList, type GeminiModelListing } from "./models.ts";

const chat: GeminiModelListing = { name: "qwen3:8b", provider: "local", contextLength: 8192, locality: "in-process", capabilities: { chat: true, completion: true, embedding: false }, countsTokens: true };
const embedder: GeminiModelListing = { name: "nomic", provider: "openai", locality: "self-hosted", capabilities: { chat: false, completion: false, embedding: true }, countsTokens: false };

describe("Gemini model listing", () => {
  test("names are models/<name> and methods follow capabilities", () => {
    assert.deepEqual(toGeminiModel(chat), {
      name: "models/qwen3:8b",
      baseModelId: "qwen3:8b",
      version: "hearth",
      displayName: "qwen3:8b",
      description: "Served by Hearth (provider local, in-process).",
      inputTokenLimit: 8192,
      supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"],
    });
    assert.deepEqual(toGeminiModel(embedder).supportedGenerationMethods, ["embedContent", "batchEmbedContents"]);
    assert.equal("inputTokenLimit" in toGeminiModel(embedder), false);
  });

  test("pages by pageSize with an offset token", () => {
    const models = [chat, embedder, { ...chat, name: "third" }];
    const first = toGeminiModelList(models, { pageSize: 2 });
    assert.deepEqual(first.models.map((model) => model.name), ["models/qwen3:8b", "models/nomic"]);
    assert.equal(first.nextPageToken, "2");
    const second = toGeminiModelList(models, { pageSize: 2, pageToken: first.nextPageToken });
    assert.deepEqual(second.models.map((model) => model.name), ["models/third"]);
    assert.equal("nextPageToken" in second, false);
    assert.equal(toGeminiModelList(models).models.length, 3);
  });

  test("model names arrive with or without the models/ prefix", () => {
    assert.equal(geminiModelName("models/qwen/qwen3:8b"), "qwen/qwen3:8b");
    assert.equal(geminiModelName("qwen3:8b"), "qwen3:8b");
  });
});
