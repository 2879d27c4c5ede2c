import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { chatCommand, type ChatCommandOptions } from "./chat.ts";
import { startFakeServer, unusedServerUrl, type FakeServer } from "../../../test/support/fake-openai-server.ts";

interface Captured {
  output: PassThrough;
  errorOutput: PassThrough;
  text(): string;
  errors(): string;
}

function capture(): Captured {
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let text = "";
  let errors = "";
  output.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  errorOutput.on("data", (chunk: Buffer) => (errors += chunk.toString("utf8")));
  return { output, errorOutput, text: () => text, errors: () => errors };
}

/** Runs chat the way a script does: `echo text | hearth chat`. */
async function runPiped(
  stdin: string,
  options: Partial<ChatCommandOptions> & { baseUrl: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const input = new PassThrough();
  input.end(stdin);
  const streams = capture();
  const code = await chatCommand({ input, output: streams.output, errorOutput: streams.errorOutput, isTTY: false, ...options });
  return { code, stdout: streams.text(), stderr: streams.errors() };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function completionRequests(server: FakeServer): Array<Record<string, unknown>> {
  return server.requests.filter((request) => request.path === "/v1/chat/completions").map((request) => request.body ?? {});
}

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("chatCommand with piped stdin", () => {
  test("sends all of stdin as one user message and streams the reply's deltas to stdout, ending in a newline", async () => {
    const deltas = ["The", " answer", " is", " 42", "."];
    const server = await startFakeServer({ reply: () => ({ kind: "text", deltas }) });
    try {
      const result = await runPiped("What is the answer?\nThink hard.\n", { baseUrl: server.url, model: "tiny-model" });
      assert.equal(result.code, 0);
      assert.equal(result.stderr, "");
      assert.equal(result.stdout, `${deltas.join("")}\n`);
      const [body] = completionRequests(server);
      assert.equal(body?.["model"], "tiny-model");
      assert.equal(body?.["stream"], true);
      assert.deepEqual(body?.["messages"], [{ role: "user", content: "What is the answer?\nThink hard." }]);
    } finally {
      await server.close();
    }
  });

  test("uses the first model the server lists when no model is given", async () => {
    const server = await startFakeServer({
      models: [
        { id: "first-model", object: "model", created: 1, owned_by: "hearth" },
        { id: "second-model", object: "model", created: 1, owned_by: "hearth" },
      ],
    });
    try {
      const result = await runPiped("hi", { baseUrl: server.url });
      assert.equal(result.code, 0);
      assert.deepEqual(
        server.requests.map((request) => `${request.method} ${request.path}`),
        ["GET /v1/models", "POST /v1/chat/completions"],
      );
      assert.equal(completionRequests(server)[0]?.["model"], "first-model");
    } finally {
      await server.close();
    }
  });

  test("sends the system prompt first, and temperature and max_tokens when given", async () => {
    const server = await startFakeServer();
    try {
      const result = await runPiped("hi", { baseUrl: server.url, model: "m", system: "Be brief.", temperature: 0.25, maxTokens: 16 });
      assert.equal(result.code, 0);
      const [body] = completionRequests(server);
      assert.deepEqual(body?.["messages"], [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ]);
      assert.equal(body?.["temperature"], 0.25);
      assert.equal(body?.["max_tokens"], 16);
    } finally {
      await server.close();
    }
  });

  test("leaves temperature and max_tokens to the server when not given", async () => {
    const server = await startFakeServer();
    try {
      await runPiped("hi", { baseUrl: server.url, model: "m" });
      const [body] = completionRequests(server);
      assert.equal(body !== undefined && "temperature" in body, false);
      assert.equal(body !== undefined && "max_tokens" in body, false);
    } finally {
      await server.close();
    }
  });

  test("--json prints the server's whole chat.completion object from a non-streaming request", async () => {
    const deltas = ["four", " words", " in", " total"];
    const server = await startFakeServer({ reply: () => ({ kind: "text", deltas }) });
    try {
      const result = await runPiped("hi", { baseUrl: server.url, model: "tiny-model", json: true });
      assert.equal(result.code, 0);
      const printed = JSON.parse(result.stdout) as Record<string, unknown>;
      assert.equal(printed["object"], "chat.completion");
      assert.equal(printed["model"], "tiny-model");
      const choices = printed["choices"] as Array<{ message: { content: string }; finish_reason: string }>;
      assert.equal(choices[0]?.message.content, deltas.join(""));
      assert.equal(choices[0]?.finish_reason, "stop");
      assert.notEqual(completionRequests(server)[0]?.["stream"], true);
    } finally {
      await server.close();
    }
  });

  test("says how to start Hearth, in one line, and exits 1 when nothing listens", async () => {
    const url = await unusedServerUrl();
    const result = await runPiped("hi", { baseUrl: url });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `Cannot reach Hearth at ${url} — start it with \`hearth serve\` (or \`npm start -- --demo\`).\n`);
  });

  test("reports an unreachable server the same way when the model is given (no model listing first)", async () => {
    const url = await unusedServerUrl();
    const result = await runPiped("hi", { baseUrl: url, model: "m" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Cannot reach Hearth at .* `hearth serve`.*\n$/);
  });

  test("prints the server's error message as one line on stderr and exits 1 when the API refuses", async () => {
    const message = "This model's context is 2048 tokens,\nbut the prompt has 5000 tokens.";
    const server = await startFakeServer({
      reply: () => ({ kind: "error", status: 400, message, code: "context_length_exceeded" }),
    });
    try {
      for (const json of [false, true]) {
        const result = await runPiped("a very long prompt", { baseUrl: server.url, model: "m", json });
        assert.equal(result.code, 1);
        assert.equal(result.stdout, "");
        assert.equal(result.stderr, `Error: ${message.replace("\n", " ")}\n`);
      }
    } finally {
      await server.close();
    }
  });

  test("reports an error event sent in the middle of a stream and exits 1", async () => {
    const server = await startFakeServer({
      reply: () => ({ kind: "text", deltas: ["partial"], errorAfterDeltas: "The model crashed." }),
    });
    try {
      const result = await runPiped("hi", { baseUrl: server.url, model: "m" });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "partial\n");
      assert.equal(result.stderr, "Error: The model crashed.\n");
    } finally {
      await server.close();
    }
  });

  test("reports a missing model with the server's message", async () => {
    const server = await startFakeServer({
      reply: (body) => ({ kind: "error", status: 404, message: `The model '${String(body["model"])}' does not exist.`, code: "model_not_found" }),
    });
    try {
      const result = await runPiped("hi", { baseUrl: server.url, model: "nope" });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "Error: The model 'nope' does not exist.\n");
    } finally {
      await server.close();
    }
  });

  test("refuses empty stdin without calling the server", async () => {
    const server = await startFakeServer();
    try {
      const result = await runPiped(" \n\n", { baseUrl: server.url, model: "m" });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /stdin was empty/);
      assert.equal(completionRequests(server).length, 0);
    } finally {
      await server.close();
    }
  });

  test("passes arbitrary model output through without crashing: control bytes, escapes, lone surrogates", async () => {
    const deltas = ["\u0000\u0007", "\u001b[2J\u001b]0;title\u0007", "\ud800", "é\u{1F600}", "\r\n", "\uFFFF"];
    const server = await startFakeServer({ reply: () => ({ kind: "text", deltas, usageChunk: true }) });
    try {
      const result = await runPiped("hi", { baseUrl: server.url, model: "m" });
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${deltas.join("").toWellFormed()}\n`);
    } finally {
      await server.close();
    }
  });

  test("accepts the API prefix (…/v1) as the base URL too", async () => {
    const server = await startFakeServer();
    try {
      const result = await runPiped("hi", { baseUrl: `${server.url}/v1/`, model: "m" });
      assert.equal(result.code, 0);
      assert.equal(completionRequests(server).length, 1);
    } finally {
      await server.close();
    }
  });

  test("sends the API key as a bearer token, and no Authorization header (not even OPENAI_API_KEY) without one", async () => {
    const server = await startFakeServer();
    const saved = process.env["OPENAI_API_KEY"];
    process.env["OPENAI_API_KEY"] = "sk-must-not-be-sent";
    try {
      await runPiped("hi", { baseUrl: server.url, model: "m", apiKey: "hearth-key" });
      await runPiped("hi", { baseUrl: server.url, model: "m" });
      const [withKey, withoutKey] = server.requests;
      assert.equal(withKey?.headers.authorization, "Bearer hearth-key");
      assert.equal(withoutKey?.headers.authorization, undefined);
    } finally {
      if (saved === undefined) delete process.env["OPENAI_API_KEY"];
      else process.env["OPENAI_API_KEY"] = saved;
      await server.close();
    }
  });

  test("rejects an address that is not a URL", async () => {
    const result = await runPiped("hi", { baseUrl: "not a url" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Error: not a server address/);
  });
});

describe("chatCommand at a terminal", () => {
  /** A terminal session on in-memory streams; readline sees `terminal: true` just as with a TTY. */
  function startSession(server: FakeServer, options: Partial<ChatCommandOptions> = {}) {
    const input = new PassThrough();
    const streams = capture();
    const done = chatCommand({
      baseUrl: server.url,
      input,
      output: streams.output,
      errorOutput: streams.errorOutput,
      isTTY: true,
      ...options,
    });
    let prompts = 0;
    const waitForPrompt = async (): Promise<void> => {
      const expected = ++prompts;
      await waitFor(() => countOf(streams.text(), ">>> ") >= expected, `prompt ${expected}`);
    };
    return {
      done,
      streams,
      /** Waits until the next prompt is shown. */
      waitForPrompt,
      /** Waits for the next prompt, then types a line and Enter. */
      async type(line: string): Promise<void> {
        await waitForPrompt();
        input.write(`${line}\r`);
      },
      /** Sends keys at once, prompt or not. */
      press(keys: string): void {
        input.write(keys);
      },
    };
  }

  test("keeps the conversation, and /reset, /model and /exit do what they say", async () => {
    const server = await startFakeServer({ reply: (_body, index) => ({ kind: "text", deltas: [`reply`, ` ${index}`] }) });
    try {
      const session = startSession(server, { model: "first", system: "sys" });
      await session.type("hello");
      await session.type("again");
      await session.type("/reset");
      await session.type("fresh start");
      await session.type("/model second");
      await session.type("on the second model");
      await session.type("/exit");
      assert.equal(await session.done, 0);

      const bodies = completionRequests(server);
      assert.equal(bodies.length, 4);
      assert.deepEqual(bodies[1]?.["messages"], [
        { role: "system", content: "sys" },
        { role: "user", content: "hello" },
        { role: "assistant", content: "reply 0" },
        { role: "user", content: "again" },
      ]);
      assert.deepEqual(bodies[2]?.["messages"], [
        { role: "system", content: "sys" },
        { role: "user", content: "fresh start" },
      ]);
      assert.deepEqual(
        bodies.map((body) => body["model"]),
        ["first", "first", "first", "second"],
      );
      assert.deepEqual(bodies[3]?.["messages"], [
        { role: "system", content: "sys" },
        { role: "user", content: "fresh start" },
        { role: "assistant", content: "reply 2" },
        { role: "user", content: "on the second model" },
      ]);
      for (let index = 0; index < 4; index++) assert.ok(session.streams.text().includes(`reply ${index}`));
      assert.equal(session.streams.errors(), "");
    } finally {
      await server.close();
    }
  });

  test("Ctrl-C during a reply cancels the request, forgets that turn and returns to the prompt; Ctrl-D exits", async () => {
    const server = await startFakeServer({
      reply: (_body, index) => (index === 0 ? { kind: "endless", delta: "blah " } : { kind: "text", deltas: ["ok"] }),
    });
    try {
      const session = startSession(server, { model: "m" });
      await session.type("talk forever");
      await waitFor(() => session.streams.text().includes("blah "), "the reply to start");
      session.press("\u0003");
      await waitFor(() => server.abortedStreams === 1, "the server to see the request cancelled");
      await waitFor(() => session.streams.text().includes("[reply stopped]"), "the stop notice");
      await session.type("next question");
      await session.waitForPrompt();
      session.press("\u0004");
      assert.equal(await session.done, 0);

      const bodies = completionRequests(server);
      assert.equal(bodies.length, 2);
      assert.deepEqual(bodies[1]?.["messages"], [{ role: "user", content: "next question" }]);
    } finally {
      await server.close();
    }
  });

  test("Ctrl-C at an empty prompt explains how to quit instead of quitting", async () => {
    const server = await startFakeServer();
    try {
      const session = startSession(server, { model: "m" });
      await session.waitForPrompt();
      session.press("\u0003");
      await waitFor(() => session.streams.text().includes("Ctrl-D"), "the hint");
      await session.type("still here");
      await session.type("/exit");
      assert.equal(await session.done, 0);
      assert.equal(completionRequests(server).length, 1);
    } finally {
      await server.close();
    }
  });

  test("lines pasted together are sent as one message", async () => {
    const server = await startFakeServer();
    try {
      const session = startSession(server, { model: "m" });
      await session.type("first line\rsecond line\r/not a command");
      await session.type("/exit");
      assert.equal(await session.done, 0);
      const bodies = completionRequests(server);
      assert.equal(bodies.length, 1);
      assert.deepEqual(bodies[0]?.["messages"], [{ role: "user", content: "first line\nsecond line\n/not a command" }]);
    } finally {
      await server.close();
    }
  });

  test("an API error is shown on stderr and the conversation goes on without the failed turn", async () => {
    const server = await startFakeServer({
      reply: (_body, index) =>
        index === 0 ? { kind: "error", status: 400, message: "The prompt is too long." } : { kind: "text", deltas: ["fine"] },
    });
    try {
      const session = startSession(server, { model: "m" });
      await session.type("too long");
      await session.type("short");
      await session.type("/exit");
      assert.equal(await session.done, 0);
      assert.equal(session.streams.errors(), "Error: The prompt is too long.\n");
      assert.deepEqual(completionRequests(server)[1]?.["messages"], [{ role: "user", content: "short" }]);
    } finally {
      await server.close();
    }
  });

  test("keeps terminal control sequences from model output off the terminal", async () => {
    const server = await startFakeServer({ reply: () => ({ kind: "text", deltas: ["a\u001b[2Jb", "\u0007c"] }) });
    try {
      const session = startSession(server, { model: "m" });
      await session.type("hi");
      await session.type("/exit");
      assert.equal(await session.done, 0);
      const text = session.streams.text();
      assert.ok(text.includes("a\uFFFD[2Jb\uFFFDc"));
      assert.ok(!text.includes("\u001b[2J"));
    } finally {
      await server.close();
    }
  });

  test("--json at a terminal is refused, since it answers one piped message", async () => {
    const server = await startFakeServer();
    try {
      const session = startSession(server, { model: "m", json: true });
      assert.equal(await session.done, 1);
      assert.match(session.streams.errors(), /--json/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });
});
