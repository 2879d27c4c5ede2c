import { createHash, randomBytes } from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, pullCommand, type PullCommandOptions } from "./pull.ts";

const content = randomBytes(200_000);
const contentSha256 = createHash("sha256").update(content).digest("hex");
const uri = "hf:acme/Tiny-GGUF/tiny-q8_0.gguf";
const token = "hf_NeverPrintThisToken123";

/** Answers like Hugging Face: a 302 with x-linked-etag from /resolve/, bytes from the CDN in small chunks. */
function fakeHub(options: { status?: number; checksum?: boolean } = {}): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname.includes("/resolve/")) {
      if (options.status !== undefined) return new Response("no", { status: options.status });
      const headers: Record<string, string> = { location: "https://cdn.example/blob" };
      if (options.checksum !== false) {
        headers["x-linked-etag"] = `"${contentSha256}"`;
        headers["x-linked-size"] = String(content.length);
      }
      return new Response(null, { status: 302, headers });
    }
    const chunks = Array.from({ length: 10 }, (_, index) => content.subarray(index * 20_000, (index + 1) * 20_000));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
    return new Response(body, { status: 200, headers: { "content-length": String(content.length) } });
  };
}

let temporary = "";
let counter = 0;

before(async () => {
  temporary = await fsp.mkdtemp(path.join(os.tmpdir(), "hearth-pull-cli-"));
});

after(async () => {
  await fsp.rm(temporary, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(options: Partial<PullCommandOptions> & { fetch: typeof fetch; uri?: string }, errorStream?: PassThrough): Promise<Run> {
  counter += 1;
  const output = new PassThrough();
  const errorOutput = errorStream ?? new PassThrough();
  let stdout = "";
  let stderr = "";
  output.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  errorOutput.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const { uri: given, ...rest } = options;
  const code = await pullCommand(given ?? uri, {
    modelsDir: path.join(temporary, `models-${counter}`),
    endpoint: "https://hub.example",
    output,
    errorOutput,
    isTTY: false,
    ...rest,
  });
  return { code, stdout, stderr };
}

describe("pullCommand", () => {
  test("--json prints exactly one JSON result object on stdout and exits 0", async () => {
    const result = await run({ fetch: fakeHub(), json: true, token });
    assert.equal(result.code, 0);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    assert.equal(parsed.bytes, content.length);
    assert.equal(parsed.sha256, contentSha256);
    assert.equal(parsed.verified, true);
    assert.equal(typeof parsed.path, "string");
    assert.deepEqual(await fsp.readFile(String(parsed.path)), content);
    assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), "the token is never printed");
  });

  test("without a terminal prints plain progress lines ending at 100%", async () => {
    const result = await run({ fetch: fakeHub(), progressIntervalMs: 0 });
    assert.equal(result.code, 0);
    const lines = result.stderr.trim().split("\n");
    assert.match(lines[0] ?? "", /^Downloading tiny-q8_0\.gguf \(200\.0 KB\)$/);
    assert.ok(lines.length >= 3, `several progress lines, got ${lines.length}`);
    assert.match(lines.at(-1) ?? "", /^ {2}100% \(200\.0 KB of 200\.0 KB\)/);
    assert.doesNotMatch(result.stderr, /\u001b\[/, "no terminal escapes in CI logs");
    assert.match(result.stdout, /sha256 [0-9a-f]{64} \(verified against the checksum Hugging Face reports\)/);
    assert.match(result.stdout, /models: \[\{ name: tiny-q8_0, hf: "hf:acme\/Tiny-GGUF\/tiny-q8_0\.gguf" \}\]/);
  });

  test("on a terminal draws a cli-progress bar on stderr", async () => {
    const terminal = new PassThrough() as PassThrough & { isTTY?: boolean };
    terminal.isTTY = true;
    const result = await run({ fetch: fakeHub(), isTTY: true }, terminal);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /tiny-q8_0\.gguf \|[█░]+\| 100% \| 200\.0 KB \/ 200\.0 KB/);
  });

  test("says plainly when the file could not be verified", async () => {
    const result = await run({ fetch: fakeHub({ checksum: false }) });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /NOT verified: Hugging Face reported no checksum/);
  });

  test("a failure is one line on stderr, no stack trace, exit code 1", async () => {
    const result = await run({ fetch: fakeHub({ status: 404 }), json: true });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^hearth pull: Not found on Hugging Face \(404\): .*\n$/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test("a 401 with a token mentions HF_TOKEN but never the token itself", async () => {
    const result = await run({ fetch: fakeHub({ status: 401 }), token });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /HF_TOKEN/);
    assert.ok(!result.stderr.includes(token));
  });

  test("offline: the message says how to use a local file instead", async () => {
    const offline: typeof fetch = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("getaddrinfo ENOTFOUND hub.example"), { code: "ENOTFOUND" }) });
    };
    const result = await run({ fetch: offline });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "hearth pull: Could not reach https://hub.example (getaddrinfo ENOTFOUND hub.example). Hearth runs offline on local files: download the .gguf elsewhere and set `models: [{ name: my-model, path: /path/to/file.gguf }]` in hearth.yaml, or run `hearth serve --demo`.\n",
    );
  });

  test("a malformed URI exits 1 with what a valid one looks like", async () => {
    const result = await run({ fetch: fakeHub(), uri: "hf:acme/tiny.gguf" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^hearth pull: Malformed Hugging Face URI .*A valid one looks like hf:<owner>\/<repo>\/<path\/to\/file>\.gguf/);
  });
});

test("formatBytes uses decimal units", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1500), "1.50 KB");
  assert.equal(formatBytes(4_370_000_000), "4.37 GB");
});
