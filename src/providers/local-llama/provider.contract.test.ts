import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateLlamaModel, presets } from "../../dev/gguf/index.ts";
import { providerContract } from "../contract-suite.ts";
import { createLocalLlamaProvider } from "./index.ts";

// The in-process engine on a generated random-weight model: real llama.cpp, real tokenizer.
providerContract("local-llama (tiny generated model)", async () => {
  const generated = await generateLlamaModel({ ...presets.tiny, path: join(tmpdir(), `hearth-contract-${process.pid}.gguf`), seed: 11 });
  const provider = createLocalLlamaProvider({
    models: [{ name: "tiny", path: generated.path, contextSize: 1024, parallel: 2, threads: 1 }],
    threads: 1,
  });
  return {
    subject: { provider, model: "tiny", embeddingModel: "tiny", supports: { tools: true, json: true, completion: true, embeddings: true } },
    async close() {
      await provider.close();
      await rm(generated.path, { force: true });
    },
  };
});
