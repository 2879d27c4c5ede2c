import { describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { HearthError } from "../../spec/errors.ts";
import type { PriceTable } from "./price-table.ts";
import { createPriceBook } from "./prices.ts";
import { breakEvenVolumes, computeTco, defaultInputShare, localBenchFile, type SelfHostedOptionResult, type TcoResult } from "./tco.ts";

const table: PriceTable = {
  asOf: "2020-02-02",
  notice: "test",
  vendors: [
    {
      vendor: "openai",
      asOf: "2020-02-02",
      source: "https://example.test/prices",
      models: [
        // At 75% input: 0.75 × $4 + 0.25 × $12 = $6 per 1M tokens.
        { model: "api-six", input: 4, output: 12 },
        // At 75% input: 0.75 × $0.4 + 0.25 × $1.2 = $0.60 per 1M tokens.
        { model: "api-cheap", input: 0.4, output: 1.2, cachedInput: 0.1 },
      ],
    },
  ],
};
const priceBook = createPriceBook({ table });

function close(actual: number | undefined, expected: number, message?: string, tolerance = 1e-6): void {
  assert.ok(actual !== undefined, message);
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${message ?? ""} expected ${expected}, got ${actual}`);
}

function selfHosted(result: TcoResult): SelfHostedOptionResult {
  const option = result.options.find((candidate) => candidate.kind === "self-hosted");
  assert.ok(option !== undefined && option.kind === "self-hosted");
  return option;
}

describe("computeTco", () => {
  test("break-even of a fixed-cost machine against a per-token API, computed by hand", () => {
    // $12,000 over 12 months = $1,000/month, no power, one machine covers everything.
    // The API costs $6 per 1M tokens, so both cost the same at 1000 ÷ 6 × 1M = 166,666,667 tokens.
    const result = computeTco({
      tokensPerMonth: 1e9,
      priceBook,
      closedModels: ["api-six"],
      selfHosted: [{ name: "box", machine: { hardwareCost: 12_000, amortisationMonths: 12, powerWatts: 0, electricityPerKwh: 0 }, throughput: { promptTokensPerSecond: 1e6, decodeTokensPerSecond: 1e6 } }],
    });
    assert.equal(result.inputShare, defaultInputShare);
    assert.equal(result.breakEvens.length, 1);
    const [breakEven] = result.breakEvens;
    close(breakEven?.volume, (1000 / 6) * 1e6);
    close(breakEven?.costPerMonth, 1000);
    close(breakEven?.cheaperFromVolume, (1000 / 6) * 1e6);
    const api = result.options.find((option) => option.name === "api-six");
    close(api?.costPerMonth, 6000);
    close(api?.costPerMillionTokens, 6);
    const box = selfHosted(result);
    assert.equal(box.machines, 1);
    close(box.costPerMonth, 1000);
    close(box.costPerMillionTokens, 1);
  });

  test("energy per token, machines and utilisation at the volume", () => {
    // 50% input: 0.5 ÷ 1000 + 0.5 ÷ 100 = 0.0055 s per token. One machine at 50% utilisation
    // serves 730 × 3600 × 0.5 ÷ 0.0055 = 238,909,091 tokens/month; 500M tokens need 3 machines.
    // 1000 W at $0.36/kWh = $0.36/h → 0.0055 ÷ 3600 × 0.36 = $5.5e-7 per token.
    const result = computeTco({
      tokensPerMonth: 5e8,
      inputShare: 0.5,
      priceBook,
      closedModels: ["api-six"],
      selfHosted: [
        { name: "gpu", machine: { hourlyRate: 1, powerWatts: 1000, electricityPerKwh: 0.36 }, throughput: { promptTokensPerSecond: 1000, decodeTokensPerSecond: 100 } },
      ],
    });
    const gpu = selfHosted(result);
    close(gpu.tokensPerMachinePerMonth, (730 * 3600 * 0.5) / 0.0055);
    assert.equal(gpu.machines, 3);
    close(gpu.energyCostPerToken, 5.5e-7);
    close(gpu.fixedCostPerMachinePerMonth, 730);
    close(gpu.costPerMonth, 3 * 730 + 5e8 * 5.5e-7);
    close(gpu.busyHoursPerMonth, (5e8 * 0.0055) / 3600);
    close(gpu.utilisation, (5e8 * 0.0055) / 3600 / (3 * 730));
    close(gpu.breakdown.rental, 3 * 730);
    close(gpu.breakdown.energy, 5e8 * 5.5e-7);
    // The API at 50% input: 0.5 × $4 + 0.5 × $12 = $8 per 1M.
    close(result.options.find((option) => option.kind === "closed")?.costPerMonth, 500 * 8);
  });

  test("with machine steps: break-even and the volume from which self-hosting stays cheaper, checked by brute force", () => {
    // Rented at $1/h → F = $730 per machine; 100 tok/s both ways → 0.01 s per token;
    // T = 730 × 3600 × 0.5 ÷ 0.01 = 131.4M tokens per machine. The API is priced so that
    // b = F ÷ k = 0.6 T: self-hosting breaks even at 0.6 T, is dearer again just above T (2 machines),
    // breaks even again at 2b = 1.2 T and, from the 3rd machine on, stays cheaper.
    const tokensPerMachine = (730 * 3600 * 0.5) / 0.01;
    const perToken = 730 / (0.6 * tokensPerMachine);
    const book = createPriceBook({ table, overrides: [{ model: "api-steps", input: perToken * 1e6, output: perToken * 1e6 }] });
    const result = computeTco({
      tokensPerMonth: 1e8,
      priceBook: book,
      closedModels: ["api-steps"],
      selfHosted: [{ name: "rent", machine: { hourlyRate: 1, powerWatts: 0, electricityPerKwh: 0 }, throughput: { promptTokensPerSecond: 100, decodeTokensPerSecond: 100 } }],
    });
    const [breakEven] = result.breakEvens;
    close(breakEven?.volume, 0.6 * tokensPerMachine);
    close(breakEven?.cheaperFromVolume, 1.2 * tokensPerMachine);

    // Independent check: scan volumes with the cost written out directly.
    const selfCost = (volume: number) => Math.max(1, Math.ceil(volume / tokensPerMachine)) * 730;
    const apiCost = (volume: number) => perToken * volume;
    const step = tokensPerMachine / 1000;
    let firstCheaper: number | undefined;
    let lastDearer = 0;
    for (let volume = step; volume <= 20 * tokensPerMachine; volume += step) {
      const cheaper = selfCost(volume) <= apiCost(volume) * (1 + 1e-12);
      if (cheaper && firstCheaper === undefined) firstCheaper = volume;
      if (!cheaper) lastDearer = volume;
    }
    close(firstCheaper, 0.6 * tokensPerMachine, "first cheaper volume");
    assert.ok(Math.abs(lastDearer - 1.2 * tokensPerMachine) <= step * 1.01, `last dearer volume ${lastDearer}`);
    // …and the steps appear in the chart series.
    const series = result.series.find((entry) => entry.kind === "self-hosted");
    const verticalSteps = (series?.points ?? []).filter((point, index, points) => {
      const previous = points[index - 1];
      return previous !== undefined && point.tokensPerMonth / previous.tokensPerMonth < 1.00001 && point.costPerMonth - previous.costPerMonth >= 729;
    });
    assert.ok(verticalSteps.length >= 1);
    for (const point of verticalSteps) {
      const machines = Math.round(point.tokensPerMonth / tokensPerMachine);
      close(point.tokensPerMonth / tokensPerMachine, machines, "a step sits at a multiple of T", 1e-5);
      close(point.costPerMonth, (machines + 1) * 730, "the next machine is paid for right after it");
    }
  });

  test("break-even is never when self-hosting at full load costs more per token than the API", () => {
    assert.deepEqual(breakEvenVolumes(1000, 0, 1e8, 5e-6), { volume: undefined, cheaperFromVolume: undefined });
    assert.deepEqual(breakEvenVolumes(1000, 1e-5, 1e12, 5e-6), { volume: undefined, cheaperFromVolume: undefined });
    assert.deepEqual(breakEvenVolumes(0, 1e-6, 1e12, 5e-6), { volume: 0, cheaperFromVolume: 0 });
    const result = computeTco({
      tokensPerMonth: 1e9,
      priceBook,
      closedModels: ["api-cheap"],
      selfHosted: [{ name: "slow", machine: { hourlyRate: 3, powerWatts: 0, electricityPerKwh: 0 }, throughput: { promptTokensPerSecond: 20, decodeTokensPerSecond: 5 } }],
    });
    assert.equal(result.breakEvens[0]?.volume, undefined);
    assert.equal(result.breakEvens[0]?.cheaperFromVolume, undefined);
  });

  test("prompt caching lowers the closed price by the cached share", () => {
    // 75% input, half of it cached: 0.75 × (0.5 × $0.4 + 0.5 × $0.1) + 0.25 × $1.2 = $0.4875 per 1M.
    const result = computeTco({ tokensPerMonth: 1e6, cachedInputShare: 0.5, priceBook, closedModels: ["api-cheap"], selfHosted: [] });
    close(result.options[0]?.costPerMillionTokens, 0.4875);
    assert.ok(result.assumptions.some((assumption) => assumption.subject === "prompt caching" && assumption.text.includes("50.0%")));
  });

  test("models without a price are left out and reported, never priced", () => {
    const result = computeTco({ tokensPerMonth: 1e6, priceBook, closedModels: ["api-six", "mystery-model"], selfHosted: [] });
    assert.deepEqual(result.unpriced, ["mystery-model"]);
    assert.deepEqual(result.options.map((option) => option.name), ["api-six"]);
    assert.ok(result.assumptions.some((assumption) => assumption.text.includes("mystery-model")));
  });

  test("assumptions state the volume split, the default input share, the price date, each price and each machine", () => {
    const result = computeTco({
      tokensPerMonth: 2e9,
      priceBook,
      closedModels: ["api-six"],
      selfHosted: [
        {
          name: "box",
          machine: { hardwareCost: 3600, amortisationMonths: 36, powerWatts: 350, idlePowerWatts: 60, electricityPerKwh: 0.3 },
          throughput: { promptTokensPerSecond: 2000, decodeTokensPerSecond: 80 },
          throughputSource: "from a test",
        },
      ],
    });
    const text = result.assumptions.map((assumption) => `${assumption.subject}: ${assumption.text}`).join("\n");
    assert.match(text, /2B tokens per month: 1\.5B input \(75\.0%\), 500M output/);
    assert.match(text, /default 0\.75/);
    assert.match(text, /dated 2020-02-02/);
    assert.match(text, /price: api-six: \$4 input, \$12 output/);
    assert.match(text, /\$3,600\.00 per machine, written off over 36 months = \$100\.00 per month/);
    assert.match(text, /350 W while generating, 60 W idle/);
    assert.match(text, /2000 prompt tokens\/s and 80 generated tokens\/s per machine \(from a test\)/);
    assert.match(text, /busy more than 50%/);
    assert.equal(result.priceTableAsOf, "2020-02-02");
  });

  test("the chart series span the volume and the break-evens on a log scale; closed lines are k × V", () => {
    const result = computeTco({
      tokensPerMonth: 5e7,
      priceBook,
      closedModels: ["api-six", "api-cheap"],
      selfHosted: [{ name: "box", machine: { hardwareCost: 12_000, amortisationMonths: 12, powerWatts: 0, electricityPerKwh: 0 }, throughput: { promptTokensPerSecond: 1e6, decodeTokensPerSecond: 1e6 } }],
      pointsPerDecade: 10,
    });
    const { min, max } = result.volumeRange;
    assert.ok(min <= 5e7 && max >= 5e7);
    for (const entry of result.breakEvens) if (entry.volume !== undefined) assert.ok(entry.volume >= min && entry.volume <= max);
    assert.equal(result.series.length, 3);
    for (const series of result.series) {
      assert.equal(series.points[0]?.tokensPerMonth, min);
      close(series.points.at(-1)?.tokensPerMonth, max);
      for (let index = 1; index < series.points.length; index++) {
        assert.ok((series.points[index]?.tokensPerMonth ?? 0) > (series.points[index - 1]?.tokensPerMonth ?? 0));
      }
    }
    const api = result.series.find((series) => series.name === "api-six");
    for (const point of api?.points ?? []) close(point.costPerMonth, (point.tokensPerMonth * 6) / 1e6);
    // Ten points per factor of ten.
    const ratio = (api?.points[1]?.tokensPerMonth ?? 0) / (api?.points[0]?.tokensPerMonth ?? 1);
    close(ratio, 10 ** 0.1);
  });

  test("invalid inputs are invalid_request errors", () => {
    const machine = { powerWatts: 0, electricityPerKwh: 0 };
    const throughput = { promptTokensPerSecond: 1, decodeTokensPerSecond: 1 };
    const bad: Array<[() => unknown, string]> = [
      [() => computeTco({ tokensPerMonth: 0, priceBook, selfHosted: [] }), "tokensPerMonth"],
      [() => computeTco({ tokensPerMonth: 1e6, inputShare: 1.2, priceBook, selfHosted: [] }), "inputShare"],
      [() => computeTco({ tokensPerMonth: 1e6, priceBook, selfHosted: [{ name: "a", machine, throughput, maxUtilisation: 0 }] }), "selfHosted[0].maxUtilisation"],
      [() => computeTco({ tokensPerMonth: 1e6, priceBook, selfHosted: [{ name: "a", machine, throughput }, { name: "a", machine, throughput }] }), "selfHosted[1].name"],
      [() => computeTco({ tokensPerMonth: 1e6, priceBook, selfHosted: [{ name: "a", machine, throughput: { promptTokensPerSecond: 0, decodeTokensPerSecond: 1 } }] }), "promptTokensPerSecond"],
    ];
    for (const [run, param] of bad) {
      assert.throws(run, (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request" && error.param === param, param);
    }
  });

  test("the bench result lives under <dataDir>/bench", () => {
    assert.equal(localBenchFile("/srv/hearth"), path.join("/srv/hearth", "bench", "local-latest.json"));
  });
});
