import { providerContract } from "../contract-suite.ts";
import { startMockOpenAI } from "../../../test/support/mock-vendors/openai.ts";
import { createOpenAIProvider } from "./index.ts";

providerContract("openai (mock)", async () => {
  const mock = await startMockOpenAI();
  const provider = createOpenAIProvider({ id: "openai-mock", baseUrl: `${mock.url}/v1`, apiKey: mock.apiKey });
  return {
    subject: {
      provider,
      model: "gpt-4o-mini",
      embeddingModel: "text-embedding-3-small",
      supports: { tools: true, json: true, completion: true, embeddings: true },
    },
    async close() {
      await provider.close();
      await mock.close();
    },
  };
});
