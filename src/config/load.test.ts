import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { environmentVariables } from "./env.ts";
import { ConfigError, isLoopback, loadConfig } from "./load.ts";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "hearth-config-"));
}

describe("loadConfig", () => {
  test("defaults bind loopback on port 8411 with no file", () => {
    const { config, file } = loadConfig({}, {}, tempDir());
    assert.equal(file, undefined);
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.server.port, 8411);
    assert.equal(config.engine.gpu, false);
    assert.equal(config.engine.idleTimeout, 300_000);
    assert.deepEqual(config.models, []);
  });

  test("file < environment < flags, with sizes, durations and relative model paths resolved", () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, "hearth.yaml"),
      ["server: { port: 9000, maxBodyBytes: 1MiB }", "engine: { idleTimeout: 30s }", "models:", "  - name: small", "    path: models/small.gguf", "    contextSize: 1024"].join("\n"),
    );
    const { config } = loadConfig({ port: 9100 }, { HEARTH_PORT: "9050", HEARTH_IDLE_TIMEOUT: "2m", HEARTH_GPU: "off" }, dir);
    assert.equal(config.server.port, 9100);
    assert.equal(config.server.maxBodyBytes, 1024 * 1024);
    assert.equal(config.engine.idleTimeout, 120_000);
    assert.equal(config.models[0]?.path, path.join(dir, "models/small.gguf"));
    assert.equal(config.models[0]?.contextSize, 1024);
    assert.equal(config.models[0]?.parallel, 2);
  });

  test("errors name the file and the bad key", () => {
    const dir = tempDir();
    const file = path.join(dir, "hearth.yaml");
    fs.writeFileSync(file, "models:\n  - name: x\n    path: a.gguf\n    contextSize: -5\n");
    assert.throws(() => loadConfig({}, {}, dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      assert.match(error.message, /models\.0\.contextSize/);
      return true;
    });
    fs.writeFileSync(file, "servr: {}\n");
    assert.throws(() => loadConfig({}, {}, dir), /servr/);
    fs.writeFileSync(file, "models:\n  - name: x\n");
    assert.throws(() => loadConfig({}, {}, dir), /exactly one of `path`/);
    fs.writeFileSync(file, "models: [\n");
    assert.throws(() => loadConfig({}, {}, dir), /not valid YAML/);
    assert.throws(() => loadConfig({ configPath: "missing.yaml" }, {}, dir), /Config file not found/);
    assert.throws(() => loadConfig({}, { HEARTH_PORT: "eighty" }, tempDir()), /HEARTH_PORT/);
  });

  test("duplicate model names are refused", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "hearth.yaml"), "models:\n  - { name: a, path: a.gguf }\n  - { name: a, path: b.gguf }\n");
    assert.throws(() => loadConfig({}, {}, dir), /used twice/);
  });

  test("loopback detection", () => {
    assert.ok(isLoopback("127.0.0.1"));
    assert.ok(isLoopback("localhost"));
    assert.ok(isLoopback("::1"));
    assert.ok(!isLoopback("0.0.0.0"));
    assert.ok(!isLoopback("192.168.1.2"));
  });

  test("every environment variable is documented in docs/configuration.md", () => {
    const docs = fs.readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const variable of environmentVariables) assert.ok(docs.includes(`\`${variable.name}\``), `${variable.name} is missing from docs/configuration.md`);
  });
});
