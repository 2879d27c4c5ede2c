import { providerContract } from "../contract-suite.ts";
import { startMockGemini } from "../../../test/support/mock-vendors/gemini.ts";
import { createGeminiProvider } from "./index.ts";

providerContract("gemini (mock)", async () => {
  const mock = await startMockGemini();
  const provider = createGeminiProvider({ id: "gemini-mock", baseUrl: mock.url, apiKey: mock.apiKey });
  return {
    subject: {
      provider,
      model: "gemini-2.5-flash",
      embeddingModel: "gemini-embedding-001",
      supports: { tools: true, json: true, completion: false, embeddings: true },
    },
    async close() {
      await provider.close();
      await mock.close();
    },
  };
});

// The same contract on a Gemini 3 model, where replayed function calls need thought signatures.
providerContract("gemini 3 (mock)", async () => {
  const mock = await startMockGemini();
  const provider = createGeminiProvider({ id: "gemini-mock", baseUrl: mock.url, apiKey: mock.apiKey });
  return {
    subject: {
      provider,
      model: "gemini-3-pro-preview",
      supports: { tools: true, json: true, completion: false, embeddings: false },
    },
    async close() {
      await provider.close();
      await mock.close();
    },
  };
});
