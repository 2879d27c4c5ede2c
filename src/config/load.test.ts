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

  test("providers, remote models and routes: defaults, key from the environment, references checked", () => {
    const dir = tempDir();
    const file = path.join(dir, "hearth.yaml");
    fs.writeFileSync(
      file,
      [
        "providers:",
        "  - { name: oa, type: openai, apiKeyEnv: TEST_OA_KEY, timeouts: { firstToken: 5s } }",
        "  - { name: vllm, type: openai, baseUrl: 'http://10.0.0.5:8000/v1', locality: self-hosted, quirks: { maxTokensField: max_tokens } }",
        "models:",
        "  - { name: local, path: a.gguf }",
        "  - { name: gpt, provider: oa, model: gpt-4o-mini }",
        "  - { name: big, provider: vllm }",
        "routes:",
        "  - name: smart",
        "    targets: [gpt, { model: big, weight: 3, timeouts: { total: 1m } }, local]",
      ].join("\n"),
    );
    const { config } = loadConfig({}, { TEST_OA_KEY: "sk-test-0123456789" }, dir);
    const [oa, vllm] = config.providers;
    assert.equal(oa?.apiKey, "sk-test-0123456789", "the key is read from the named variable");
    assert.equal(oa?.locality, "third-party", "remote providers default to third-party");
    assert.equal(oa?.retries, 2);
    assert.equal(oa?.timeouts.firstToken, 5_000);
    assert.equal(vllm?.locality, "self-hosted");
    const route = config.routes[0];
    assert.equal(route?.strategy, "fallback");
    assert.deepEqual(route?.targets.map((target) => [target.model, target.weight]), [["gpt", 1], ["big", 3], ["local", 1]]);
    assert.equal(route?.targets[1]?.timeouts.total, 60_000);
    assert.equal(route?.retries.attempts, 1);
    assert.equal(route?.circuitBreaker.cooldown, 30_000);

    assert.throws(() => loadConfig({}, {}, dir), /apiKeyEnv: the environment variable TEST_OA_KEY is not set/);
    const write = (lines: string[]) => fs.writeFileSync(file, lines.join("\n"));
    write(["providers: [{ name: p, type: openai }]", "models: [{ name: m, provider: q }]"]);
    assert.throws(() => loadConfig({}, {}, dir), /models\.m\.provider: no provider named "q"/);
    write(["providers: [{ name: p, type: openai }]", "models: [{ name: m, provider: p }]", "routes: [{ name: r, targets: [nope] }]"]);
    assert.throws(() => loadConfig({}, {}, dir), /routes\.r\.targets: "nope" is not a configured model/);
    write(["providers: [{ name: p, type: openai }]", "models: [{ name: m, provider: p }]", "routes: [{ name: m, targets: [m] }]"]);
    assert.throws(() => loadConfig({}, {}, dir), /a model has the same name/);
    write(["providers: [{ name: p, type: anthropic, quirks: { streamUsage: false } }]"]);
    assert.throws(() => loadConfig({}, {}, dir), /quirks apply to type openai only/);
    write(["providers: [{ name: p, type: mistral }]"]);
    assert.throws(() => loadConfig({}, {}, dir), /providers\.0\.type/);
  });

  test("policy: references and data classes are checked, dictionary files resolved next to the config", () => {
    const dir = tempDir();
    const write = (policy: string) =>
      fs.writeFileSync(
        path.join(dir, "hearth.yaml"),
        `providers:\n  - { name: oa, type: openai, apiKey: k, trust: [zero-retention], region: eu }\nmodels:\n  - { name: local, path: a.gguf }\n  - { name: gpt, provider: oa }\npolicy:\n${policy}`,
      );
    write("  localModel: local\n  dictionaries: [{ type: customer, file: customers.txt }]\n  rules:\n    - { name: r1, when: { data: [email, customer, pii] }, action: redact }\n");
    const { config } = loadConfig({}, {}, dir);
    assert.equal(config.policy?.dictionaries[0]?.file, path.join(dir, "customers.txt"));
    assert.deepEqual(config.providers[0]?.trust, ["zero-retention"]);
    write("  rules:\n    - { name: r1, when: { data: [emial] }, action: block }\n");
    assert.throws(() => loadConfig({}, {}, dir), /policy\.rules\.r1\.when\.data: "emial" is not a data type/);
    write("  localModel: nope\n");
    assert.throws(() => loadConfig({}, {}, dir), /policy\.localModel: "nope"/);
    write("  names: { model: gpt }\n");
    assert.throws(() => loadConfig({}, {}, dir), /policy\.names\.model: "gpt" is a remote model/);
    write("  rules:\n    - { name: r1, when: { tools: [send] }, action: redact }\n");
    assert.throws(() => loadConfig({}, {}, dir), /can only allow, review or block/);
    write("  rules:\n    - { name: r1, action: block }\n    - { name: r1, action: allow }\n");
    assert.throws(() => loadConfig({}, {}, dir), /"r1" is used twice/);
  });

  test("keys, teams, costs, audit and storage: defaults, paths resolved, inconsistent settings refused", () => {
    const dir = tempDir();
    const write = (lines: string[]) => fs.writeFileSync(path.join(dir, "hearth.yaml"), lines.join("\n"));
    write(["server: { adminKeys: [admin-key-0123456789abcdef] }", "teams: [{ name: web, rpm: 60, budget: { day: 5 } }]", "audit: { signingKey: keys/audit.pem, durability: strict }"]);
    const { config } = loadConfig({}, {}, dir);
    assert.equal(config.audit.signingKey, path.join(dir, "keys/audit.pem"));
    assert.equal(config.audit.durability, "strict");
    assert.equal(config.audit.enabled, true);
    assert.equal(config.audit.bodies, "off");
    assert.equal(config.usage.enabled, true);
    assert.equal(config.usage.reconcileInterval, 300_000, "budget counters are reconciled with usage every 5 minutes by default");
    assert.deepEqual(config.teams, [{ name: "web", rpm: 60, budget: { day: 5 } }]);
    assert.equal(config.storage.redisPrefix, "hearth:");
    const refused = (lines: string[], pattern: RegExp) => {
      write(lines);
      assert.throws(() => loadConfig({}, {}, dir), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    };
    refused(["audit: { bodies: full }"], /audit\.encryptionKey: .*32-byte key/);
    refused(["audit: { bodies: redacted, encryptionKey: c2hvcnQ= }"], /audit\.encryptionKey/);
    refused(["teams: [{ name: web, budget: { month: 10 } }]", "usage: { enabled: false }"], /usage\.enabled: budgets/);
    refused(["teams: [{ name: web }, { name: web }]"], /"web" is listed twice/);
    refused(["server: { apiKeys: [{ key: client-key-0123456789, localities: [cloud] }] }"], /localities/);
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
