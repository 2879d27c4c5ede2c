import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeLlamaModel, generateLlamaModel, type LlamaModelOptions } from "./model.ts";

/**
 * The model `hearth serve --demo` runs: generated once into a cache directory (no download), small
 * enough to load in well under a second and generate quickly on one or two threads, large enough
 * (4 layers, hidden 256, q8_0, ~3.5 MB) that it exercises the same code paths as a real model.
 */

/** Bump when the options below change, so an old cached file is never mistaken for the new one. */
export const demoModelVersion = 1;

export const demoModelFileName = `hearth-demo-v${demoModelVersion}.gguf`;

export const demoModelOptions: Omit<LlamaModelOptions, "path"> = {
  seed: 20261122,
  hiddenSize: 256,
  layers: 4,
  heads: 8,
  kvHeads: 4,
  ffnSize: 768,
  contextLength: 4096,
  tensorType: "q8_0",
  name: "hearth-demo",
};

const pending = new Map<string, Promise<string>>();

/**
 * Returns the path of the demo model inside `cacheDir`, generating it first when it is missing
 * or has the wrong size. The file is written under a temporary name and renamed, so a crash never
 * leaves a half-written model; concurrent calls in one process share one generation.
 */
export function ensureDemoModel(cacheDir: string): Promise<string> {
  const path = join(cacheDir, demoModelFileName);
  const running = pending.get(path);
  if (running !== undefined) return running;
  const work = (async () => {
    const options: LlamaModelOptions = { ...demoModelOptions, path };
    const expected = describeLlamaModel(options).bytes;
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isFile() === true && existing.size === expected) return path;
    await mkdir(cacheDir, { recursive: true });
    await generateLlamaModel(options);
    return path;
  })();
  pending.set(path, work);
  const forget = (): void => {
    pending.delete(path);
  };
  work.then(forget, forget);
  return work;
}
