import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { z } from "zod";

/**
 * Where the CLI finds the server. Users type the server's root (`http://127.0.0.1:8411`), the
 * OpenAI SDK wants the API prefix (`…/v1`); both forms are accepted so neither has to be learned.
 */
export interface ServerAddress {
  /** The server's root, as shown to the user in messages. */
  root: string;
  /** The OpenAI API prefix the SDK sends requests under. */
  api: string;
}

export type ServerAddressResult = { ok: true; address: ServerAddress } | { ok: false; message: string };

export function resolveServerAddress(baseUrl: string): ServerAddressResult {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return { ok: false, message: `Error: not a server address: ${toSingleLine(baseUrl)}` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, message: `Error: the server address must start with http:// or https:// (got ${toSingleLine(baseUrl)})` };
  }
  const path = url.pathname.replace(/\/+$/, "");
  const rootPath = path.endsWith("/v1") ? path.slice(0, -"/v1".length) : path;
  const root = `${url.origin}${rootPath}`;
  return { ok: true, address: { root, api: `${root}/v1` } };
}

/**
 * An OpenAI SDK client pointed at Hearth. Every credential the SDK would otherwise pick up from
 * OPENAI_* environment variables is pinned here, so a real OpenAI key is never sent to Hearth by
 * accident; without an API key no Authorization header is sent at all. No retries: a local server
 * that is down or refusing should be reported at once, not after seconds of back-off.
 */
export function createApiClient(address: ServerAddress, apiKey: string | undefined): OpenAI {
  return new OpenAI({
    baseURL: address.api,
    apiKey: apiKey ?? "no-key",
    adminAPIKey: null,
    organization: null,
    project: null,
    maxRetries: 0,
    logLevel: "off",
    ...(apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
  });
}

export function unreachableMessage(address: ServerAddress): string {
  return `Cannot reach Hearth at ${address.root} — start it with \`hearth serve\` (or \`npm start -- --demo\`).`;
}

/** What went wrong with a request, as one line fit for stderr. */
export function describeFailure(error: unknown, address: ServerAddress): string {
  if (error instanceof APIConnectionTimeoutError) {
    return `Error: Hearth at ${address.root} did not answer in time.`;
  }
  if (error instanceof APIUserAbortError) return "Error: the request was cancelled.";
  if (error instanceof APIConnectionError) return unreachableMessage(address);
  if (error instanceof APIError) {
    const body: unknown = error.error;
    const serverMessage =
      typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
        ? (body as { message: string }).message
        : undefined;
    const message = serverMessage ?? (error.status === undefined ? error.message : `the server answered ${error.status}`);
    return `Error: ${toSingleLine(message)}`;
  }
  if (error instanceof SyntaxError) return `Error: Hearth sent a response that is not valid JSON (${toSingleLine(error.message)})`;
  if (error instanceof Error) return `Error: ${toSingleLine(error.message)}`;
  return `Error: ${toSingleLine(String(error))}`;
}

// C0 controls except tab and newline, DEL and C1 controls: the bytes a terminal may act on.
const terminalControls = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text from the server (model output, model names) made safe to show on a terminal: random-weight
 * models emit arbitrary characters, and an escape sequence must not be able to drive the terminal.
 */
export function sanitizeForTerminal(text: string): string {
  return text.toWellFormed().replace(/\r/g, "").replace(terminalControls, "\uFFFD");
}

export function toSingleLine(text: string): string {
  return sanitizeForTerminal(text).replace(/\s*\n\s*/g, " ").trim();
}

const hearthModelSchema = z.object({
  state: z.enum(["loaded", "unloaded", "loading", "available"]).optional().catch(undefined),
  provider: z.string().optional().catch(undefined),
  locality: z.string().optional().catch(undefined),
});

const modelSchema = z.object({
  id: z.string(),
  owned_by: z.string().optional().catch(undefined),
  context_length: z.number().int().positive().optional().catch(undefined),
  hearth: hearthModelSchema.optional().catch(undefined),
});

const modelListSchema = z.object({ data: z.array(modelSchema) });

/**
 * One entry of `GET /v1/models`. `context_length` and `hearth` are Hearth's additions to OpenAI's
 * model object; other servers (and older Hearths) leave them out, so every extra is optional and a
 * malformed extra is dropped rather than failing the whole listing.
 */
export type ModelEntry = z.infer<typeof modelSchema>;

export type ModelListResult =
  | { ok: true; raw: unknown; models: ModelEntry[] }
  | { ok: false; message: string };

/** `GET /v1/models`, keeping the body exactly as sent (for `--json`) beside a validated view. */
export async function fetchModelList(client: OpenAI, address: ServerAddress): Promise<ModelListResult> {
  let raw: unknown;
  try {
    raw = await client.get<unknown>("/models");
  } catch (error) {
    return { ok: false, message: describeFailure(error, address) };
  }
  const parsed = modelListSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, message: `Error: ${address.api}/models did not answer with an OpenAI model list.` };
  }
  return { ok: true, raw, models: parsed.data.data };
}
