import { mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { describeLlamaModel, generateLlamaModel, presets } from "../src/dev/gguf/index.ts";
import type { Progress } from "./progress.ts";

/** The model a benchmark runs, with the sizes the bandwidth ceiling is computed from. */
export interface BenchModel {
  path: string;
  /** How it was obtained, for the report: a preset name or "file". */
  source: string;
  fileBytes: number;
  /** Sum of all tensor data in the file. */
  tensorBytes: number;
  /**
   * Weight bytes read to decode one token: every tensor, except `token_embd` when the file has a
   * separate `output` matrix (then only one embedding row is read per token). With tied embeddings
   * (no `output`), `token_embd` doubles as the output projection and is read whole.
   */
  bytesReadPerToken: number;
  tiedEmbeddings: boolean;
  /** `llama.context_length`, when the file states it. */
  trainedContextLength: number | undefined;
}

export type PresetName = keyof typeof presets;

/**
 * Returns the cached generated model for `preset` and `seed`, generating it on first use.
 * The cache lives in `cacheDirectory` and is keyed by preset and seed; a file whose size differs
 * from what the generator would write now (a partial or stale file) is regenerated.
 */
export async function ensureGeneratedModel(
  preset: PresetName,
  seed: number,
  cacheDirectory: string,
  progress: Progress,
): Promise<string> {
  await mkdir(cacheDirectory, { recursive: true });
  const path = join(cacheDirectory, `${preset}-seed${seed}.gguf`);
  const options = { ...presets[preset], path, seed };
  const expectedBytes = describeLlamaModel(options).bytes;
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size === expectedBytes) {
    progress.line(`model: cached ${path} (${formatBytes(expectedBytes)})`);
    return path;
  }
  progress.status(`model: generating ${preset} (seed ${seed}, ${formatBytes(expectedBytes)}) into ${path} ...`);
  const started = performance.now();
  await generateLlamaModel(options);
  progress.line(`model: generated ${path} (${formatBytes(expectedBytes)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

/** Reads the GGUF header and measures tensor bytes from the tensors' offsets in the file. */
export async function describeModelFile(path: string, source: string): Promise<BenchModel> {
  const absolute = resolve(path);
  const fileBytes = (await stat(absolute)).size;
  const info = await readGgufFileInfo(absolute, { readTensorInfo: true, sourceType: "filesystem", logWarnings: false });
  const tensors = (info.fullTensorInfo ?? info.tensorInfo ?? []).map((tensor) => ({
    name: tensor.name,
    offset: Number(tensor.fileOffset),
  }));
  if (tensors.length === 0) throw new Error(`${path}: no tensors found in the GGUF header`);
  tensors.sort((left, right) => left.offset - right.offset);
  const sizes = new Map<string, number>();
  tensors.forEach((tensor, index) => {
    const end = tensors[index + 1]?.offset ?? fileBytes;
    sizes.set(tensor.name, end - tensor.offset);
  });
  const tensorBytes = fileBytes - (tensors[0]?.offset ?? 0);
  const tiedEmbeddings = !sizes.has("output.weight");
  const embeddingBytes = sizes.get("token_embd.weight") ?? 0;
  const bytesReadPerToken = tiedEmbeddings ? tensorBytes : tensorBytes - embeddingBytes;
  const metadata = info.metadata as { general?: { architecture?: string } } & Record<string, unknown>;
  const architecture = metadata.general?.architecture;
  const architectureMetadata = architecture === undefined ? undefined : (metadata[architecture] as { context_length?: number } | undefined);
  return {
    path: absolute,
    source,
    fileBytes,
    tensorBytes,
    bytesReadPerToken,
    tiedEmbeddings,
    trainedContextLength: architectureMetadata?.context_length,
  };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}
