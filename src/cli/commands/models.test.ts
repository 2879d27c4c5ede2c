import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { modelsCommand } from "./models.ts";
import { startFakeServer, unusedServerUrl } from "../../../test/support/fake-openai-server.ts";

async function runModels(options: { baseUrl: string; json?: boolean; apiKey?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let stdout = "";
  let stderr = "";
  output.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  errorOutput.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await modelsCommand({ ...options, output, errorOutput });
  return { code, stdout, stderr };
}

/** Splits a printed table into cells; columns are separated by at least two spaces. */
function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/ {2,}/));
}

const hearthModels = [
  {
    id: "qwen-0.5b",
    object: "model",
    created: 1,
    owned_by: "hearth",
    context_length: 4096,
    hearth: { state: "loaded", provider: "local-llama", locality: "local" },
  },
  {
    id: "gpt-remote",
    object: "model",
    created: 1,
    owned_by: "openai",
    context_length: 128000,
    hearth: { state: "available", provider: "openai", locality: "third-party" },
  },
  { id: "plain-openai-model", object: "model", created: 1, owned_by: "someone" },
  { id: "bare-model", object: "model", created: 1 },
];

describe("modelsCommand", () => {
  test("prints one row per model with provider, locality, context length and state, '-' where the server says nothing", async () => {
    const server = await startFakeServer({ models: hearthModels });
    try {
      const result = await runModels({ baseUrl: server.url });
      assert.equal(result.code, 0);
      assert.equal(result.stderr, "");
      const rows = cells(result.stdout);
      assert.deepEqual(rows[0], ["MODEL", "PROVIDER", "LOCALITY", "CONTEXT", "STATE"]);
      assert.equal(rows.length, hearthModels.length + 1);
      for (const [index, model] of hearthModels.entries()) {
        const extras = "hearth" in model ? model.hearth : undefined;
        assert.deepEqual(rows[index + 1], [
          model.id,
          extras?.provider ?? ("owned_by" in model ? model.owned_by : "-"),
          extras?.locality ?? "-",
          "context_length" in model ? String(model.context_length) : "-",
          extras?.state ?? "-",
        ]);
      }
      assert.deepEqual(server.requests.map((request) => `${request.method} ${request.path}`), ["GET /v1/models"]);
    } finally {
      await server.close();
    }
  });

  test("lines the columns up", async () => {
    const server = await startFakeServer({ models: hearthModels });
    try {
      const lines = (await runModels({ baseUrl: server.url })).stdout.trimEnd().split("\n");
      const header = lines[0] ?? "";
      for (const column of ["PROVIDER", "LOCALITY", "CONTEXT", "STATE"]) {
        const start = header.indexOf(column);
        for (const line of lines.slice(1)) {
          assert.notEqual(line[start - 1], undefined);
          assert.equal(line[start - 1], " ", `column ${column} starts at the same place in "${line}"`);
          assert.notEqual(line[start], " ");
        }
      }
    } finally {
      await server.close();
    }
  });

  test("ignores extras of the wrong type instead of failing the listing", async () => {
    const server = await startFakeServer({
      models: [{ id: "odd", object: "model", created: 1, owned_by: 7, context_length: "big", hearth: { state: "exploded", provider: ["x"] } }],
    });
    try {
      const result = await runModels({ baseUrl: server.url });
      assert.equal(result.code, 0);
      assert.deepEqual(cells(result.stdout)[1], ["odd", "-", "-", "-", "-"]);
    } finally {
      await server.close();
    }
  });

  test("--json prints the server's model list unchanged", async () => {
    const server = await startFakeServer({ models: hearthModels });
    try {
      const result = await runModels({ baseUrl: server.url, json: true });
      assert.equal(result.code, 0);
      assert.deepEqual(JSON.parse(result.stdout), { object: "list", data: hearthModels });
    } finally {
      await server.close();
    }
  });

  test("says so when the server has no models", async () => {
    const server = await startFakeServer({ models: [] });
    try {
      const result = await runModels({ baseUrl: server.url });
      assert.equal(result.code, 0);
      assert.match(result.stdout, /no models/);
    } finally {
      await server.close();
    }
  });

  test("says how to start Hearth and exits 1 when nothing listens", async () => {
    const url = await unusedServerUrl();
    const result = await runModels({ baseUrl: url });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `Cannot reach Hearth at ${url} — start it with \`hearth serve\` (or \`npm start -- --demo\`).\n`);
  });

  test("prints the server's error message and exits 1 when the server refuses", async () => {
    const server = await startFakeServer();
    try {
      // The fake answers 404 with an OpenAI error body for paths it does not know.
      const result = await runModels({ baseUrl: `${server.url}/elsewhere` });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "Error: No route for GET /elsewhere/v1/models\n");
    } finally {
      await server.close();
    }
  });
});
