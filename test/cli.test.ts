import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

// The real user path: `hearth serve --demo` as a process, then the CLI clients against it.
const root = path.resolve(import.meta.dirname, "..");
const node = process.execPath;
const main = path.join(root, "src/cli/main.ts");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-cli-"));
const env = { ...process.env, HEARTH_LOG_LEVEL: "warn", HEARTH_CONFIG: "", HEARTH_URL: "" };

let server: ChildProcess;
let url: string;

function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [main, ...args], { env, cwd: dataDir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

before(async () => {
  server = spawn(node, [main, "serve", "--demo", "--port", "0", "--data-dir", dataDir], { env, cwd: dataDir });
  url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${seen}`)), 60_000);
    server.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    server.on("exit", (code) => reject(new Error(`server exited with ${code}: ${seen}`)));
  });
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("hearth CLI against `hearth serve --demo`", () => {
  test("the demo model is generated, cached and served", async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; models: number };
    assert.equal(health.status, "ok");
    assert.equal(health.models, 1);
    const files = fs.readdirSync(path.join(dataDir, "models", "demo"));
    assert.equal(files.filter((file) => file.endsWith(".gguf")).length, 1);
  });

  test("`hearth models --json` lists hearth-demo", async () => {
    const result = await run(["models", "--json", "--url", url]);
    assert.equal(result.code, 0, result.stderr);
    const list = JSON.parse(result.stdout) as { data: Array<{ id: string }> };
    assert.deepEqual(list.data.map((model) => model.id), ["hearth-demo"]);
  });

  test("`hearth chat` reads stdin when it is not a terminal and streams the answer", async () => {
    const result = await run(["chat", "--url", url, "--max-tokens", "8", "--temperature", "0"], "Hello there");
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.endsWith("\n"));
    const json = await run(["chat", "--url", url, "--max-tokens", "4", "--temperature", "0", "--json"], "Hello again");
    assert.equal(json.code, 0, json.stderr);
    const completion = JSON.parse(json.stdout) as { object: string; usage: { completion_tokens: number } };
    assert.equal(completion.object, "chat.completion");
    assert.ok(completion.usage.completion_tokens <= 4);
  });

  test("serve refuses a non-loopback bind without API keys", async () => {
    const result = await run(["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0 without authentication/);
  });

  test("a bad config file stops serve with the key named", async () => {
    const file = path.join(dataDir, "bad.yaml");
    fs.writeFileSync(file, "server:\n  port: many\n");
    const result = await run(["serve", "--config", file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /server\.port/);
  });
});
