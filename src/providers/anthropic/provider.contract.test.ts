import { providerContract } from "../contract-suite.ts";
import { startMockAnthropic } from "../../../test/support/mock-vendors/anthropic.ts";
import { createAnthropicProvider } from "./provider.ts";

// The shared provider contract, run against the loopback mock of Anthropic's Messages API.
providerContract("anthropic (mock Messages API)", async () => {
  const mock = await startMockAnthropic();
  const provider = createAnthropicProvider({ id: "anthropic", baseUrl: mock.url, apiKey: mock.apiKey });
  return {
    subject: { provider, model: "claude-sonnet-4-6", supports: { tools: true, json: true, completion: false, embeddings: false } },
    async close() {
      await provider.close();
      await mock.close();
    },
  };
});
