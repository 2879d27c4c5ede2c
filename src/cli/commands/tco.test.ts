import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import type { LocalBenchResult } from "../../../bench/local.ts";
import { localBenchFile, type TcoResult } from "../../core/usage/tco.ts";
import { escapeHtml } from "./tco-html.ts";
import { parsePriceFlag, parseTokenVolume, runTco, tcoDefaults, type TcoCommandOptions } from "./tco.ts";

type Run = { code: number; stdout: string; stderr: string };

async function tco(options: Omit<TcoCommandOptions, "output" | "errorOutput">): Promise<Run> {
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let stdout = "";
  let stderr = "";
  output.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  errorOutput.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await runTco({ ...options, output, errorOutput });
  return { code, stdout, stderr };
}

function json(run: Run): TcoResult & { benchFile: { file: string; measuredAt: string } | null } {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as TcoResult & { benchFile: { file: string; measuredAt: string } | null };
}

function selfHostedThroughput(result: TcoResult): { promptTokensPerSecond: number; decodeTokensPerSecond: number } {
  const option = result.options.find((candidate) => candidate.kind === "self-hosted");
  assert.ok(option !== undefined && option.kind === "self-hosted");
  return option.throughput;
}

/** A bench:local result as the benchmark types it (so a change to its shape breaks this test at type-check). */
function benchResult(overrides: Partial<LocalBenchResult> = {}): LocalBenchResult {
  const summary = { promptTokens: 270, completionTokens: 128, promptTokensPerSecond: 321, decodeTokensPerSecond: 12.5, timeToFirstTokenMilliseconds: 840, stoppedEarly: 0, runs: [] };
  return {
    machine: { cpuModel: "Test CPU 9000", cores: 8, platform: "linux-x64", node: "v24.0.0" },
    settings: {
      preset: "llama32_1b",
      tokens: 128,
      promptTokens: 256,
      threads: 4,
      repetitions: 5,
      contextSize: 4096,
      parallel: 4,
      concurrency: [1, 2, 4],
      seed: 42,
      directOnly: false,
      compiler: "cc",
      bandwidthMegabytes: undefined,
      llamaBench: false,
    },
    model: { path: "/tmp/bench.gguf", source: "llama32_1b", fileBytes: 1.3e9, tensorBytes: 1.29e9, bytesReadPerToken: 1.2e9, tiedEmbeddings: true, trainedContextLength: 131072 },
    bandwidth: undefined,
    decodeCeilingTokensPerSecond: Number.NaN,
    direct: { ...summary, promptTokensPerSecond: 350, decodeTokensPerSecond: 13, loadMilliseconds: 500 },
    llamaBench: undefined,
    hearth: { ...summary, serverStartMilliseconds: 900, residentBytesAfterWarmup: undefined, peakResidentBytes: undefined, idleCpuShareDuringDirect: 0 },
    timeToFirstTokenAddedMilliseconds: 3,
    serverTimeToFirstTokenAddedMilliseconds: undefined,
    ratios: {
      hearthDecodeToCeiling: Number.NaN,
      directDecodeToCeiling: Number.NaN,
      hearthDecodeToDirect: 0.96,
      hearthPromptToDirect: 0.92,
      hearthResidentToFile: Number.NaN,
      hearthPeakResidentToFile: Number.NaN,
      hearthPromptToLlamaBench: Number.NaN,
      hearthDecodeToLlamaBench: Number.NaN,
      directPromptToLlamaBench: Number.NaN,
      directDecodeToLlamaBench: Number.NaN,
      llamaBenchDecodeToCeiling: Number.NaN,
    },
    concurrency: [
      { streams: 1, completionTokens: 128, aggregateDecodeTokensPerSecond: 12.4, medianTimeToFirstTokenMilliseconds: 60, wallMilliseconds: 10_000, stoppedEarly: 0 },
      { streams: 4, completionTokens: 512, aggregateDecodeTokensPerSecond: 30, medianTimeToFirstTokenMilliseconds: 90, wallMilliseconds: 17_000, stoppedEarly: 0 },
    ],
    notes: [],
    ...overrides,
  };
}

/** Written the way bench/local.ts saves it: the result with a timestamp, NaN as null. */
async function writeBench(file: string, result: LocalBenchResult, measuredAt = "2025-03-04T05:06:07.000Z"): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ measuredAt, ...result }, null, 2));
}

let directory: string;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "hearth-tco-test-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("parsing", () => {
  test("token volumes in the forms people write them", () => {
    const cases: Array<[string | number, number]> = [
      ["5e8", 5e8],
      ["500M", 5e8],
      ["500m", 5e8],
      ["2B", 2e9],
      ["2G", 2e9],
      ["1.5T", 1.5e12],
      ["750k", 7.5e5],
      ["500_000_000", 5e8],
      ["1,000,000", 1e6],
      [" 3e9 ", 3e9],
      [42, 42],
    ];
    for (const [text, expected] of cases) assert.equal(parseTokenVolume(text), expected, String(text));
    for (const text of ["", "abc", "-5", "0", "5X", "M", "1.2.3", Number.NaN, -1]) assert.equal(parseTokenVolume(text), undefined, String(text));
  });

  test("--price model=input:output[:cached]", () => {
    assert.deepEqual(parsePriceFlag("gpt-4o=2.5:10:1.25"), { model: "gpt-4o", input: 2.5, output: 10, cachedInput: 1.25 });
    assert.deepEqual(parsePriceFlag("claude-*=1:5"), { model: "claude-*", input: 1, output: 5 });
    for (const bad of ["gpt-4o", "gpt-4o=1", "gpt-4o=a:b", "=1:2", "x=1:-2"]) assert.throws(() => parsePriceFlag(bad), Error, bad);
  });
});

describe("runTco", () => {
  test("end to end: table, assumptions and a self-contained HTML page with escaped labels", async () => {
    const html = path.join(directory, "tco.html");
    const evilModel = `<b>evil&"co'</b>`;
    const evilName = `Rack "A" <GPU> & co`;
    const options = {
      tokensPerMonth: "500M",
      inputShare: "80%",
      models: `gpt-4o,${evilModel}`,
      prices: [`${evilModel}=1:2`],
      name: evilName,
      hardwareCost: "6000",
      amortisationMonths: "24",
      powerWatts: "450",
      idleWatts: "50",
      electricityPrice: "0.3",
      utilisation: "0.6",
      promptTps: "2500",
      decodeTps: "90",
    };
    const run = await tco({ ...options, html, now: () => new Date("2025-06-07T08:09:10.000Z") });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    // The text table: one row per option, with the kinds.
    assert.match(run.stdout, /^option\s+kind\s+per month\s+per 1M tokens\s+detail$/m);
    assert.match(run.stdout, new RegExp(`^${evilName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s+self-hosted\\s+\\$`, "m"));
    assert.match(run.stdout, /^gpt-4o\s+closed API\s+\$/m);
    assert.match(run.stdout, /Break-even/);
    assert.match(run.stdout, /Assumptions:/);
    assert.match(run.stdout, /HTML page written to/);

    const page = await readFile(html, "utf8");
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<svg [^>]*viewBox=/);
    assert.match(page, /<polyline /);
    assert.match(page, /your volume: 500M/);
    assert.match(page, /tokens per month \(log scale\)/);
    assert.match(page, /class="break-even"/);
    // Self-contained: nothing loaded from anywhere, no script.
    assert.doesNotMatch(page, /<script|<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    // Every label escaped, never raw.
    assert.ok(!page.includes(evilModel) && !page.includes(evilName));
    assert.ok(page.includes(escapeHtml(evilModel)));
    assert.ok(page.includes(escapeHtml(evilName)));
    assert.ok(page.includes("&lt;b&gt;evil&amp;&quot;co&#39;&lt;/b&gt;"));
    // Every assumption of the same comparison is on the page, and in the text report.
    const result = json(await tco({ ...options, json: true }));
    assert.ok(result.assumptions.length >= 10);
    for (const assumption of result.assumptions) {
      assert.ok(page.includes(`${escapeHtml(assumption.subject)}:</span> ${escapeHtml(assumption.text)}`), `page lacks assumption: ${assumption.subject}`);
      assert.ok(run.stdout.includes(`- ${assumption.subject}: ${assumption.text}`), `report lacks assumption: ${assumption.subject}`);
    }
    assert.match(page, /Price table dated \d{4}-\d{2}-\d{2}/);
    assert.match(page, /2025-06-07T08:09:10\.000Z/);
    assert.match(page, /80% input/);
  });

  test("--json prints the result; flags reach the cost model", async () => {
    const result = json(
      await tco({ tokensPerMonth: "2B", gpuHourly: "2.5", promptTps: "4000", decodeTps: "400", models: ["gpt-4o-mini", "claude-haiku-4-5"], json: true }),
    );
    assert.equal(result.tokensPerMonth, 2e9);
    assert.equal(result.inputShare, 0.75);
    assert.deepEqual(result.options.map((option) => option.name), ["rented GPU", "gpt-4o-mini", "claude-haiku-4-5"]);
    const rented = result.options[0];
    assert.ok(rented?.kind === "self-hosted");
    // Rent only (electricity counted as included): machines × $2.5 × 730 h.
    assert.equal(rented.costPerMonth, rented.machines * 2.5 * 730);
    assert.deepEqual(rented.throughput, { promptTokensPerSecond: 4000, decodeTokensPerSecond: 400 });
    assert.equal(result.breakEvens.length, 2);
    assert.equal(result.benchFile, null);
    assert.ok(result.assumptions.some((assumption) => assumption.text.includes("included in the hourly rate")));
  });

  test("without a bench file or flags the throughput is a labelled placeholder", async () => {
    const result = json(await tco({ tokensPerMonth: 1e8, dataDir: path.join(directory, "no-such-data-dir"), json: true }));
    assert.deepEqual(selfHostedThroughput(result), { promptTokensPerSecond: tcoDefaults.promptTokensPerSecond, decodeTokensPerSecond: tcoDefaults.decodeTokensPerSecond });
    const text = result.assumptions.map((assumption) => assumption.text).join("\n");
    assert.match(text, /PLACEHOLDER/);
    assert.match(text, /Not your figures, defaults: hardware cost \$2,000\.00/);
    assert.match(text, /npm run bench:local/);
  });

  test("the bench file in <dataDir>/bench is picked up, its source and date stated", async () => {
    const dataDir = path.join(directory, "data");
    const file = localBenchFile(dataDir);
    await writeBench(file, benchResult());
    const result = json(await tco({ tokensPerMonth: "1B", dataDir, json: true }));
    // Prompt rate through Hearth's API; decode rate: the best aggregate over concurrent streams.
    assert.deepEqual(selfHostedThroughput(result), { promptTokensPerSecond: 321, decodeTokensPerSecond: 30 });
    assert.deepEqual(result.benchFile, { file, measuredAt: "2025-03-04T05:06:07.000Z" });
    const benchmark = result.assumptions.find((assumption) => assumption.subject === "benchmark");
    assert.ok(benchmark !== undefined);
    assert.ok(benchmark.text.includes(file));
    assert.ok(benchmark.text.includes("2025-03-04T05:06:07.000Z"));
    assert.match(benchmark.text, /through Hearth's HTTP API/);
    assert.match(benchmark.text, /4 concurrent streams/);
    assert.match(benchmark.text, /llama32_1b-shaped model with random weights/);
    assert.match(benchmark.text, /Test CPU 9000/);
    assert.ok(!result.assumptions.some((assumption) => assumption.text.includes("PLACEHOLDER")));

    // A flag wins over the file for its own figure only.
    const mixed = json(await tco({ tokensPerMonth: "1B", dataDir, decodeTps: "75", json: true }));
    assert.deepEqual(selfHostedThroughput(mixed), { promptTokensPerSecond: 321, decodeTokensPerSecond: 75 });
    const source = mixed.assumptions.map((assumption) => assumption.text).join("\n");
    assert.match(source, /generated tok\/s from --decode-tps/);
    assert.ok(source.includes(`prompt tok/s from ${file}`));
  });

  test("--bench-file points elsewhere; a direct-only run uses the direct figures", async () => {
    const file = path.join(directory, "elsewhere", "direct.json");
    await writeBench(file, benchResult({ hearth: undefined, concurrency: [], settings: { ...benchResult().settings, directOnly: true } }), "2024-12-31T00:00:00.000Z");
    const result = json(await tco({ tokensPerMonth: "1B", benchFile: file, dataDir: path.join(directory, "data"), json: true }));
    assert.deepEqual(selfHostedThroughput(result), { promptTokensPerSecond: 350, decodeTokensPerSecond: 13 });
    const benchmark = result.assumptions.find((assumption) => assumption.subject === "benchmark");
    assert.ok(benchmark?.text.includes(file));
    assert.match(benchmark?.text ?? "", /node-llama-cpp directly/);
    assert.match(benchmark?.text ?? "", /one stream's rate/);
  });

  test("a quick-run bench file is flagged as not representative", async () => {
    const file = path.join(directory, "quick.json");
    await writeBench(file, benchResult({ settings: { ...benchResult().settings, preset: "tiny" } }));
    const result = json(await tco({ tokensPerMonth: "1B", benchFile: file, json: true }));
    assert.match(result.assumptions.find((assumption) => assumption.subject === "benchmark")?.text ?? "", /NOT representative/);
  });

  test("a broken bench file in the data dir is reported and ignored; a named one that is missing or broken fails", async () => {
    const dataDir = path.join(directory, "broken-data");
    await mkdir(path.dirname(localBenchFile(dataDir)), { recursive: true });
    await writeFile(localBenchFile(dataDir), "{ not json");
    const ignored = await tco({ tokensPerMonth: "1B", dataDir, json: true });
    assert.equal(ignored.code, 0);
    assert.match(ignored.stderr, /ignoring .*local-latest\.json: .*not JSON/);

    const missing = await tco({ tokensPerMonth: "1B", benchFile: path.join(directory, "nope.json") });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.json/);
    const broken = await tco({ tokensPerMonth: "1B", benchFile: localBenchFile(dataDir) });
    assert.equal(broken.code, 1);
    const wrongShape = path.join(directory, "wrong.json");
    await writeFile(wrongShape, JSON.stringify({ hearth: { decodeTokensPerSecond: "fast" } }));
    const shape = await tco({ tokensPerMonth: "1B", benchFile: wrongShape });
    assert.equal(shape.code, 1);
    assert.match(shape.stderr, /not a bench:local result/);
  });

  test("bad options exit 2 with a message naming the flag", async () => {
    const cases: Array<[Omit<TcoCommandOptions, "output" | "errorOutput">, RegExp]> = [
      [{ tokensPerMonth: "lots" }, /--tokens-per-month/],
      [{ tokensPerMonth: "1B", inputShare: "1.5" }, /--input-share/],
      [{ tokensPerMonth: "1B", inputShare: "150%" }, /--input-share/],
      [{ tokensPerMonth: "1B", utilisation: "0" }, /--utilisation/],
      [{ tokensPerMonth: "1B", gpuHourly: "-2" }, /--gpu-hourly/],
      [{ tokensPerMonth: "1B", decodeTps: "0" }, /--decode-tps/],
      [{ tokensPerMonth: "1B", powerWatts: "100", idleWatts: "200" }, /--idle-watts/],
      [{ tokensPerMonth: "1B", prices: ["bad"] }, /--price/],
      [{ tokensPerMonth: "1B", models: "gpt-4o,no-such-model-anywhere" }, /no price known for no-such-model-anywhere.*--price/],
      [{ tokensPerMonth: "1B", priceOverrides: [{ model: "x", input: -1, output: 1 }] }, /overrides\[0\]\.input/],
    ];
    for (const [options, message] of cases) {
      const run = await tco(options);
      assert.equal(run.code, 2, JSON.stringify(options));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, "");
    }
  });

  test("an unwritable --html path exits 1", async () => {
    const run = await tco({ tokensPerMonth: "1B", html: path.join(directory, "missing-dir", "deeper", "x.html") });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot write/);
  });
});
