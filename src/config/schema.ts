import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { parseHfUri } from "../core/models/hf-uri.ts";
import { parseBytes, parseDuration } from "./units.ts";

/** A size in bytes: a number or text such as "8GB" / "512MiB". */
const bytes = z.union([z.number(), z.string()]).transform((value, context) => {
  const parsed = parseBytes(value);
  if (parsed === undefined) {
    context.addIssue({ code: "custom", message: `expected a size such as 8GB or 512MiB, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

/** A duration in milliseconds: a number of ms or text such as "5m" / "30s" / "250ms". */
const duration = z.union([z.number(), z.string()]).transform((value, context) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    context.addIssue({ code: "custom", message: `expected a duration such as 5m, 30s or 250ms, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

const positiveInt = z.number().int().positive();

const generationDefaults = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: positiveInt.optional(),
  seed: z.number().int().optional(),
});

export const gpuSetting = z.union([z.literal(false), z.enum(["off", "auto", "cuda", "vulkan", "metal"])]).transform((value) => (value === "off" ? false : value));

const modelSchema = z
  .strictObject({
    /** The name clients send as `model`. */
    name: z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "use letters, digits and . _ : / -"),
    /** A local GGUF file. Relative paths are resolved against the config file's folder. */
    path: z.string().min(1).optional(),
    /** `hf:<owner>/<repo>[@revision]/<file>.gguf`, fetched with `hearth pull`. */
    hf: z
      .string()
      .refine((uri) => {
        try {
          parseHfUri(uri);
          return true;
        } catch {
          return false;
        }
      }, "expected hf:<owner>/<repo>[@revision]/<file>.gguf")
      .optional(),
    /** Context window in tokens; prompts longer than this are refused, never truncated. */
    contextSize: positiveInt.default(4096),
    /** Requests served at once on one context (parallel sequences, continuous batching). */
    parallel: positiveInt.max(64).default(2),
    threads: positiveInt.optional(),
    gpuLayers: z.union([z.number().int().min(0), z.literal("auto")]).optional(),
    /** Whether `/v1/embeddings` may use this model. */
    embedding: z.boolean().default(true),
    defaults: generationDefaults.prefault({}),
  })
  .refine((model) => (model.path === undefined) !== (model.hf === undefined), {
    message: "give exactly one of `path` (a local .gguf file) or `hf` (an hf: URI)",
  });

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8411),
      /** Bearer keys accepted from clients. Required when binding beyond loopback. */
      apiKeys: z.array(z.string().min(16, "API keys must be at least 16 characters")).default([]),
      maxBodyBytes: bytes.default(8_000_000),
      /** Longest a single request may run, first byte to last. */
      requestTimeout: duration.default(600_000),
    })
    .prefault({}),
  dataDir: z.string().min(1).default(path.join(os.homedir(), ".hearth")),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  engine: z
    .strictObject({
      threads: z.union([positiveInt, z.literal("auto")]).default("auto"),
      gpu: gpuSetting.default(false),
      memoryBudget: z.union([bytes, z.literal("auto")]).default("auto"),
      idleTimeout: duration.default(300_000),
      maxQueue: z.number().int().min(0).default(64),
    })
    .prefault({}),
  huggingFace: z
    .strictObject({
      endpoint: z.url().default("https://huggingface.co"),
      token: z.string().optional(),
    })
    .prefault({}),
  models: z.array(modelSchema).default([]),
});

export type Config = z.output<typeof configSchema>;
export type ModelConfig = Config["models"][number];
export type ConfigInput = z.input<typeof configSchema>;
