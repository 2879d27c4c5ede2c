import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { defaultLlamaBenchBinary, llamaBenchArguments, parseLlamaBenchOutput } from "./llama-bench.ts";
import { parseOptions } from "./local.ts";

/** A trimmed `llama-bench -o json` output as llama.cpp prints it: one prompt test, one generation test. */
const recordedOutput = `[
  {
    "build_commit": "abc1234",
    "build_number": 1,
    "backends": "CPU",
    "model_filename": "/tmp/model.gguf",
    "n_threads": 2,
    "n_prompt": 256,
    "n_gen": 0,
    "n_depth": 0,
    "avg_ns": 2534000000,
    "stddev_ns": 12000000,
    "avg_ts": 101.02,
    "stddev_ts": 0.48,
    "samples_ns": [ 2530000000, 2525000000, 2547000000 ],
    "samples_ts": [ 101.18, 101.38, 100.51 ]
  },
  {
    "build_commit": "abc1234",
    "build_number": 1,
    "backends": "CPU",
    "model_filename": "/tmp/model.gguf",
    "n_threads": 2,
    "n_prompt": 0,
    "n_gen": 128,
    "n_depth": 0,
    "avg_ns": 8590000000,
    "stddev_ns": 40000000,
    "avg_ts": 14.9,
    "stddev_ts": 0.07,
    "samples_ns": [ 8550000000, 8600000000, 8620000000 ],
    "samples_ts": [ 14.97, 14.88, 14.85 ]
  }
]
`;

describe("parseLlamaBenchOutput", () => {
  test("tells the prompt test (n_gen 0) from the generation test (n_prompt 0) and keeps their rates", () => {
    const parsed = parseLlamaBenchOutput(recordedOutput);
    assert.equal(parsed.kind, "parsed");
    if (parsed.kind !== "parsed") return;
    assert.equal(parsed.tests.length, 2);
    assert.deepEqual(
      { tokens: parsed.prompt?.promptTokens, generated: parsed.prompt?.generatedTokens, rate: parsed.prompt?.tokensPerSecond },
      { tokens: 256, generated: 0, rate: 101.02 },
    );
    assert.deepEqual(
      { tokens: parsed.decode?.promptTokens, generated: parsed.decode?.generatedTokens, rate: parsed.decode?.tokensPerSecond },
      { tokens: 0, generated: 128, rate: 14.9 },
    );
    assert.equal(parsed.decode?.standardDeviation, 0.07);
    assert.equal(parsed.decode?.samples, 3);
    assert.equal(parsed.prompt?.threads, 2);
    assert.equal(parsed.prompt?.buildCommit, "abc1234");
  });

  test("the order of the tests does not matter", () => {
    const entries = JSON.parse(recordedOutput) as unknown[];
    const parsed = parseLlamaBenchOutput(JSON.stringify(entries.toReversed()));
    assert.equal(parsed.kind, "parsed");
    if (parsed.kind !== "parsed") return;
    assert.equal(parsed.prompt?.promptTokens, 256);
    assert.equal(parsed.decode?.generatedTokens, 128);
  });

  test("a stray line before the JSON array is skipped", () => {
    assert.equal(parseLlamaBenchOutput(`warning: something\n${recordedOutput}`).kind, "parsed");
  });

  test("output with only a generation test parses, with no prompt test", () => {
    const entries = JSON.parse(recordedOutput) as unknown[];
    const parsed = parseLlamaBenchOutput(JSON.stringify(entries.slice(1)));
    assert.equal(parsed.kind, "parsed");
    if (parsed.kind !== "parsed") return;
    assert.equal(parsed.prompt, undefined);
    assert.equal(parsed.decode?.generatedTokens, 128);
  });

  test("a missing stddev_ts gives NaN, not a failure", () => {
    const parsed = parseLlamaBenchOutput(`[{"n_prompt": 0, "n_gen": 16, "avg_ts": 12.5}]`);
    assert.equal(parsed.kind, "parsed");
    if (parsed.kind !== "parsed") return;
    assert.ok(Number.isNaN(parsed.decode?.standardDeviation));
  });

  test("text that is not llama-bench's JSON comes back as invalid with a reason", () => {
    for (const output of ["", "| model | size |\n| --- | --- |", "[{", `{"n_prompt": 1}`, "[1, 2]", `[{"n_prompt": 0, "n_gen": 16}]`]) {
      const parsed = parseLlamaBenchOutput(output);
      assert.equal(parsed.kind, "invalid", output);
      if (parsed.kind === "invalid") assert.ok(parsed.reason.length > 0);
    }
  });
});

describe("llama-bench invocation", () => {
  test("passes model, threads, prompt and generated tokens, repetitions and JSON output", () => {
    const args = llamaBenchArguments({ modelPath: "/m.gguf", threads: 2, promptTokens: 272, generatedTokens: 128, repetitions: 3 });
    const valueAfter = (flag: string) => args[args.indexOf(flag) + 1];
    assert.deepEqual(
      ["-m", "-t", "-p", "-n", "-r", "-o"].map(valueAfter),
      ["/m.gguf", "2", "272", "128", "3", "json"],
    );
  });

  test("the cached binary lives under llama.cpp-<tag>/build/bin in the cache directory", () => {
    assert.equal(defaultLlamaBenchBinary("/cache", "b1234"), join("/cache", "llama.cpp-b1234", "build", "bin", "llama-bench"));
  });
});

describe("bench:local --llama-bench", () => {
  test("defaults to the cached binary (undefined), takes a path, and --no-llama-bench turns it off", () => {
    assert.equal(parseOptions(["--quick"]).llamaBench, undefined);
    assert.equal(parseOptions(["--llama-bench", "/opt/llama-bench"]).llamaBench, "/opt/llama-bench");
    assert.equal(parseOptions(["--no-llama-bench"]).llamaBench, false);
  });
});
