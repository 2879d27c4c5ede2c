import { createInterface } from "node:readline";
import type OpenAI from "openai";
import type { ChatCompletionCreateParamsBase, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import {
  createApiClient,
  describeFailure,
  fetchModelList,
  resolveServerAddress,
  sanitizeForTerminal,
  toSingleLine,
  type ServerAddress,
} from "./hearth-api.ts";

/**
 * `hearth chat`: a terminal client of the server's own OpenAI API, so what the user sees is exactly
 * what any other client would get. Streams are injected so tests (and embedders) can drive it
 * without a terminal.
 */
export interface ChatCommandOptions {
  /** The server's root (`http://127.0.0.1:8411`) or its API prefix (`…/v1`). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Defaults to the first model the server lists. */
  model?: string | undefined;
  system?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  /** Scripting only: print the whole `chat.completion` object instead of streaming text. */
  json?: boolean | undefined;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
  /** A person at a terminal gets a conversation; anything else is one message read from `input`. */
  isTTY: boolean;
}

/** What one request is sent with; `model` changes under `/model`. */
interface ChatSettings {
  client: OpenAI;
  address: ServerAddress;
  model: string;
  system: string | undefined;
  temperature: number | undefined;
  maxTokens: number | undefined;
}

type ReplyOutcome =
  | { kind: "completed"; text: string; finishReason: string | undefined }
  | { kind: "aborted"; text: string }
  | { kind: "failed"; message: string };

/** Lines closer together than this were pasted, not typed. */
const pasteWindowMs = 25;

const helpText = [
  "Commands:",
  "  /model          show the current model and list the server's models",
  "  /model <name>   switch to another model (the conversation is kept)",
  "  /reset          forget the conversation so far",
  "  /exit           quit (or press Ctrl-D)",
  "Ctrl-C while a reply streams stops that reply.",
].join("\n");

/** Runs `hearth chat`; returns the process exit code. */
export async function chatCommand(options: ChatCommandOptions): Promise<number> {
  const resolved = resolveServerAddress(options.baseUrl);
  if (!resolved.ok) {
    options.errorOutput.write(`${resolved.message}\n`);
    return 1;
  }
  if (options.json === true && options.isTTY) {
    options.errorOutput.write('Error: --json answers one message read from stdin; pipe it in, e.g. echo "Hello" | hearth chat --json\n');
    return 1;
  }
  const { address } = resolved;
  const client = createApiClient(address, options.apiKey);
  const model = await resolveModel(client, address, options.model);
  if (!model.ok) {
    options.errorOutput.write(`${model.message}\n`);
    return 1;
  }
  const settings: ChatSettings = {
    client,
    address,
    model: model.name,
    system: options.system,
    temperature: options.temperature,
    maxTokens: options.maxTokens,
  };
  return options.isTTY ? runConversation(settings, options) : runOnce(settings, options);
}

async function resolveModel(
  client: OpenAI,
  address: ServerAddress,
  requested: string | undefined,
): Promise<{ ok: true; name: string } | { ok: false; message: string }> {
  if (requested !== undefined && requested.trim() !== "") return { ok: true, name: requested.trim() };
  const list = await fetchModelList(client, address);
  if (!list.ok) return list;
  const first = list.models[0];
  if (first === undefined) return { ok: false, message: `Error: Hearth at ${address.root} has no models configured.` };
  return { ok: true, name: first.id };
}

/** Scripting: all of stdin is one user message; the answer goes to stdout. */
async function runOnce(settings: ChatSettings, options: ChatCommandOptions): Promise<number> {
  const message = (await readAll(options.input)).trimEnd();
  if (message.trim() === "") {
    options.errorOutput.write("Error: nothing to send — stdin was empty.\n");
    return 1;
  }
  const messages: ChatCompletionMessageParam[] = [{ role: "user", content: message }];
  const writer = createTextWriter(options.output);
  if (options.json === true) {
    try {
      const completion = await settings.client.chat.completions.create({ ...requestBody(settings, messages), stream: false });
      await writer.write(`${JSON.stringify(completion, null, 2)}\n`);
      return 0;
    } catch (error) {
      options.errorOutput.write(`${describeFailure(error, settings.address)}\n`);
      return 1;
    }
  }
  const outcome = await streamReply(settings, messages, new AbortController().signal, writer, isTerminal(options.output));
  switch (outcome.kind) {
    case "completed":
      if (!outcome.text.endsWith("\n")) await writer.write("\n");
      return 0;
    case "aborted":
      return 1;
    case "failed":
      if (!writer.atLineStart) await writer.write("\n");
      options.errorOutput.write(`${outcome.message}\n`);
      return 1;
  }
}

/** A person at a terminal: a conversation with history, commands, and Ctrl-C to stop a reply. */
async function runConversation(settings: ChatSettings, options: ChatCommandOptions): Promise<number> {
  const writer = createTextWriter(options.output);
  const say = (text: string): Promise<void> => writer.write(`${text}\n`);
  const readline = createInterface({ input: options.input, output: options.output, terminal: true, historySize: 200 });
  readline.setPrompt(">>> ");

  let replying: AbortController | undefined;
  let waiting: ((line: string | null) => void) | undefined;
  let closed = false;

  // Lines that arrive together (a multi-line paste) form one message. Lines typed while a reply
  // streams are dropped: only an answer to the prompt is a message.
  const pasted: string[] = [];
  let pasteTimer: NodeJS.Timeout | undefined;
  readline.on("line", (line: string) => {
    if (waiting === undefined) return;
    pasted.push(line);
    pasteTimer ??= setTimeout(() => {
      pasteTimer = undefined;
      const resolve = waiting;
      waiting = undefined;
      resolve?.(pasted.splice(0).join("\n"));
    }, pasteWindowMs);
  });
  readline.on("close", () => {
    closed = true;
    replying?.abort();
    clearTimeout(pasteTimer);
    pasteTimer = undefined;
    const resolve = waiting;
    waiting = undefined;
    resolve?.(null);
  });
  readline.on("SIGINT", () => {
    if (replying !== undefined) {
      replying.abort();
      return;
    }
    if (readline.line.length > 0) {
      readline.write(null, { ctrl: true, name: "e" });
      readline.write(null, { ctrl: true, name: "u" });
      return;
    }
    options.output.write("\n(To exit, press Ctrl-D or type /exit)\n");
    readline.prompt();
  });

  const nextLine = (): Promise<string | null> => {
    if (closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      waiting = resolve;
      readline.prompt();
    });
  };

  await say(
    `Chatting with ${toSingleLine(settings.model)} at ${settings.address.root}. Type /help for commands; Ctrl-C stops a reply, Ctrl-D quits.`,
  );
  const history: ChatCompletionMessageParam[] = [];

  while (!closed) {
    const line = await nextLine();
    if (line === null) break;
    const text = line.trim();
    if (text === "") continue;

    if (text.startsWith("/") && !text.includes("\n")) {
      const [command = "", ...rest] = text.split(/\s+/);
      const argument = rest.join(" ");
      if (command === "/exit" || command === "/quit" || command === "/bye") break;
      if (command === "/reset") {
        history.length = 0;
        await say("Conversation cleared.");
      } else if (command === "/model" && argument !== "") {
        settings.model = argument;
        await say(`Now chatting with ${toSingleLine(argument)}.`);
      } else if (command === "/model") {
        await say(`Current model: ${toSingleLine(settings.model)}`);
        const list = await fetchModelList(settings.client, settings.address);
        if (list.ok) await say(`Available: ${list.models.map((model) => toSingleLine(model.id)).join(", ") || "none"}`);
        else options.errorOutput.write(`${list.message}\n`);
      } else if (command === "/help" || command === "/?") {
        await say(helpText);
      } else {
        await say(`Unknown command ${toSingleLine(command)}. Type /help for commands.`);
      }
      continue;
    }

    history.push({ role: "user", content: text });
    const controller = new AbortController();
    replying = controller;
    const outcome = await streamReply(settings, history, controller.signal, writer, true);
    replying = undefined;
    if (!writer.atLineStart) await writer.write("\n");
    if (outcome.kind === "completed") {
      history.push({ role: "assistant", content: outcome.text });
      if (outcome.finishReason === "length") await say("[reply cut short: the token limit was reached]");
    } else {
      // A stopped or failed turn is forgotten, so the next message does not follow a dangling one.
      history.pop();
      if (outcome.kind === "aborted") {
        if (!closed) await say("[reply stopped]");
      } else {
        options.errorOutput.write(`${outcome.message}\n`);
      }
    }
    if (writer.broken) break;
  }
  // Ctrl-D leaves the cursor on the prompt line; the shell's prompt should start on its own.
  if (closed) await writer.write("\n");
  readline.close();
  return 0;
}

function requestBody(settings: ChatSettings, messages: readonly ChatCompletionMessageParam[]): ChatCompletionCreateParamsBase {
  return {
    model: settings.model,
    messages: settings.system === undefined ? [...messages] : [{ role: "system", content: settings.system }, ...messages],
    ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
    ...(settings.maxTokens === undefined ? {} : { max_tokens: settings.maxTokens }),
  };
}

/**
 * Streams one reply to the writer as its tokens arrive. Aborting `signal` cancels the HTTP request,
 * which is how the server learns to stop generating.
 */
async function streamReply(
  settings: ChatSettings,
  messages: readonly ChatCompletionMessageParam[],
  signal: AbortSignal,
  writer: TextWriter,
  forTerminal: boolean,
): Promise<ReplyOutcome> {
  let text = "";
  let finishReason: string | undefined;
  try {
    const stream = await settings.client.chat.completions.create({ ...requestBody(settings, messages), stream: true }, { signal });
    for await (const chunk of stream) {
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      const delta = choice?.delta?.content;
      if (typeof delta === "string" && delta !== "") {
        text += delta;
        await writer.write(forTerminal ? sanitizeForTerminal(delta) : delta.toWellFormed());
      }
      if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
      // Nobody reads the output any more (a closed pipe): stop the generation too.
      if (writer.broken) break;
    }
  } catch (error) {
    if (signal.aborted) return { kind: "aborted", text };
    return { kind: "failed", message: describeFailure(error, settings.address) };
  }
  // The SDK ends an aborted stream quietly instead of throwing.
  if (signal.aborted || writer.broken) return { kind: "aborted", text };
  return { kind: "completed", text, finishReason };
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  for await (const chunk of input) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

interface TextWriter {
  /** Resolves once the stream can take more, so a fast model never outruns a slow reader. */
  write(text: string): Promise<void>;
  /** The last character written was a newline (or nothing was written yet). */
  readonly atLineStart: boolean;
  /** The stream failed, e.g. the reading end of a pipe went away. */
  readonly broken: boolean;
}

function createTextWriter(stream: NodeJS.WritableStream): TextWriter {
  let broken = false;
  let atLineStart = true;
  stream.on("error", () => {
    broken = true;
  });
  return {
    get atLineStart() {
      return atLineStart;
    },
    get broken() {
      return broken;
    },
    async write(text: string): Promise<void> {
      if (broken || text === "") return;
      atLineStart = text.endsWith("\n");
      if (stream.write(text)) return;
      await new Promise<void>((resolve) => {
        const settle = (): void => {
          stream.off("drain", settle);
          stream.off("close", settle);
          stream.off("error", settle);
          resolve();
        };
        stream.on("drain", settle);
        stream.on("close", settle);
        stream.on("error", settle);
      });
    },
  };
}

function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: unknown }).isTTY === true;
}
