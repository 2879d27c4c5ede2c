import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { priceTable, type PriceEntry, type PriceTable, type VendorPrices } from "./price-table.ts";
import { candidateNames, createPriceBook } from "./prices.ts";

/** The bundled entry for a model, so expectations follow the table instead of repeating its numbers. */
function entry(model: string): PriceEntry & { vendor: VendorPrices } {
  for (const vendor of priceTable.vendors) {
    const found = vendor.models.find((candidate) => candidate.model === model);
    if (found !== undefined) return { ...found, vendor };
  }
  throw new Error(`no bundled entry ${model}`);
}

/** A small table with round prices, for arithmetic checked by hand. */
const handTable: PriceTable = {
  asOf: "2020-01-01",
  notice: "test",
  vendors: [
    {
      vendor: "anthropic",
      asOf: "2020-01-01",
      source: "https://example.test/prices",
      models: [
        { model: "m", input: 2, output: 8, cachedInput: 0.5, cacheWrite: 2.5 },
        { model: "plain", input: 1, output: 3 },
        { model: "long", input: 1, output: 4, longContext: { thresholdInputTokens: 200_000, input: 2, output: 6, cachedInput: 0.4 } },
      ],
    },
  ],
};

describe("bundled price table", () => {
  test("every vendor is dated and names a source page; the table date is the oldest vendor date", () => {
    for (const vendor of priceTable.vendors) {
      assert.match(vendor.asOf, /^\d{4}-\d{2}-\d{2}$/);
      assert.match(vendor.source, /^https:\/\//);
      assert.ok(vendor.asOf >= priceTable.asOf);
    }
    assert.ok(priceTable.vendors.some((vendor) => vendor.asOf === priceTable.asOf));
  });

  test("every price is a non-negative number and every model name and alias is unique", () => {
    const names = new Set<string>();
    for (const vendor of priceTable.vendors) {
      for (const model of vendor.models) {
        for (const name of [model.model, ...(model.aliases ?? [])]) {
          assert.ok(!names.has(name), `duplicate ${name}`);
          names.add(name);
        }
        for (const price of [model.input, model.output, model.cachedInput ?? 0, model.cacheWrite ?? 0]) assert.ok(Number.isFinite(price) && price >= 0);
        // A cache read is never dearer than an uncached token.
        if (model.cachedInput !== undefined) assert.ok(model.cachedInput <= model.input, model.model);
      }
    }
  });
});

describe("priceOf", () => {
  const book = createPriceBook();

  test("an exact name gets its table price with vendor, date and source", () => {
    const price = book.priceOf("gpt-4o");
    const expected = entry("gpt-4o");
    assert.ok(price !== undefined);
    assert.equal(price.input, expected.input);
    assert.equal(price.output, expected.output);
    assert.equal(price.cachedInput, expected.cachedInput);
    assert.equal(price.origin, "table");
    assert.equal(price.match, "exact");
    assert.equal(price.vendor, "openai");
    assert.equal(price.asOf, expected.vendor.asOf);
    assert.equal(price.source, expected.vendor.source);
  });

  test("dated snapshots, -latest, version suffixes and routing prefixes resolve to the base model", () => {
    const cases: Array<[string, string]> = [
      ["gpt-4o-2024-08-06", "gpt-4o"],
      ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"],
      ["o3-2025-04-16", "o3"],
      ["gpt-5-mini-2025-08-07", "gpt-5-mini"],
      ["claude-3-5-sonnet-latest", "claude-3-5-sonnet"],
      ["claude-3-5-sonnet-20241022", "claude-3-5-sonnet"],
      ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
      ["claude-opus-4-1-20250805", "claude-opus-4-1"],
      ["claude-opus-4-20250514", "claude-opus-4"],
      ["claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"],
      ["anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"],
      ["gemini-1.5-pro-002", "gemini-1.5-pro"],
      ["gemini-2.0-flash-001", "gemini-2.0-flash"],
      ["models/gemini-2.5-flash", "gemini-2.5-flash"],
      ["openai/gpt-4.1-mini", "gpt-4.1-mini"],
      ["GPT-4o", "gpt-4o"],
    ];
    for (const [name, base] of cases) {
      const price = book.priceOf(name);
      assert.ok(price !== undefined, name);
      assert.equal(price.matched, base, name);
      assert.equal(price.input, entry(base).input, name);
      assert.equal(price.output, entry(base).output, name);
      assert.equal(price.requested, name);
    }
    assert.equal(book.priceOf("gpt-4o-2024-08-06")?.match, "normalised");
  });

  test("an alias is an exact match of its model", () => {
    const price = book.priceOf("claude-sonnet-4-0");
    assert.equal(price?.matched, "claude-sonnet-4");
    assert.equal(price?.match, "exact");
  });

  test("an exact snapshot entry wins over its base model", () => {
    const price = book.priceOf("gpt-4o-2024-05-13");
    assert.equal(price?.matched, "gpt-4o-2024-05-13");
    assert.equal(price?.input, entry("gpt-4o-2024-05-13").input);
    assert.notEqual(price?.input, entry("gpt-4o").input);
  });

  test("unknown models and different variants of a known model have no price", () => {
    for (const name of ["llama-3.1-8b-instruct", "gpt-4o-realtime-preview-2024-12-17", "gpt-4o-audio-preview", "gemini-2.5-flash-preview-05-20", "claude-4", "", "gpt-4o-mini-tts"]) {
      assert.equal(book.priceOf(name), undefined, name);
      assert.equal(book.costOf(name, { inputTokens: 10, outputTokens: 10 }), undefined, name);
    }
  });

  test("candidate names go from most to least specific", () => {
    assert.deepEqual(candidateNames("openai/GPT-4o-2024-08-06"), ["openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o"]);
    assert.deepEqual(candidateNames("claude-3-5-sonnet-20240620-v1:0"), ["claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet-20240620", "claude-3-5-sonnet"]);
  });
});

describe("costOf", () => {
  const book = createPriceBook({ table: handTable });

  test("uncached input, cache reads, cache writes and output at their own prices", () => {
    // 700 uncached × $2 + 200 cached × $0.5 + 100 written × $2.5 + 500 output × $8 = $5,750 per 1M requests like it.
    assert.equal(book.costOf("m", { inputTokens: 1000, cachedInputTokens: 200, cacheWriteTokens: 100, outputTokens: 500 }), 0.00575);
    assert.equal(book.costOf("m", { inputTokens: 1_000_000, outputTokens: 0 }), 2);
    assert.equal(book.costOf("m", { inputTokens: 0, outputTokens: 1_000_000 }), 8);
  });

  test("without a cache price, cached tokens cost the input price", () => {
    // 1000 input (400 of them cached, no cache price) × $1 + 1000 output × $3 = $0.004.
    assert.equal(book.costOf("plain", { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 1000 }), 0.004);
  });

  test("a prompt over the long-context threshold is billed wholly at the higher tier", () => {
    // At the threshold: 200,000 × $1 + 1,000 × $4 = $0.204.
    assert.equal(book.costOf("long", { inputTokens: 200_000, outputTokens: 1000 }), 0.204);
    // Above: (250,000 − 50,000) × $2 + 50,000 × $0.4 + 1,000 × $6 = $0.426.
    assert.equal(book.costOf("long", { inputTokens: 250_000, cachedInputTokens: 50_000, outputTokens: 1000 }), 0.426);
  });

  test("rounds to a billionth of a dollar", () => {
    const rounding = createPriceBook({ table: handTable, overrides: [{ model: "odd", input: 0.1234567, output: 0 }] });
    // 3 × $0.1234567 ÷ 1M = $0.0000003703701 → $0.000000370.
    assert.equal(rounding.costOf("odd", { inputTokens: 3, outputTokens: 0 }), 3.7e-7);
  });

  test("bundled prices: one million input and half a million output tokens of gpt-4o", () => {
    const price = entry("gpt-4o");
    assert.equal(createPriceBook().costOf("gpt-4o-2024-11-20", { inputTokens: 1_000_000, outputTokens: 500_000 }), price.input + price.output / 2);
  });

  test("cached tokens beyond the input and negative counts are programming errors", () => {
    assert.throws(() => book.costOf("m", { inputTokens: 10, cachedInputTokens: 11, outputTokens: 0 }), RangeError);
    assert.throws(() => book.costOf("m", { inputTokens: -1, outputTokens: 0 }), RangeError);
  });
});

describe("price overrides", () => {
  test("an override wins over the table, for the name and its snapshots", () => {
    const book = createPriceBook({ overrides: [{ model: "gpt-4o", input: 1, output: 2 }] });
    const exact = book.priceOf("gpt-4o");
    assert.equal(exact?.origin, "override");
    assert.equal(exact?.input, 1);
    assert.equal(exact?.cachedInput, undefined);
    const snapshot = book.priceOf("gpt-4o-2024-08-06");
    assert.equal(snapshot?.origin, "override");
    assert.equal(snapshot?.match, "normalised");
    assert.equal(book.costOf("gpt-4o-2024-08-06", { inputTokens: 1_000_000, outputTokens: 1_000_000 }), 3);
    // Other models keep their table price.
    assert.equal(book.priceOf("gpt-4o-mini")?.origin, "table");
  });

  test("a * prefix covers a family, the longest prefix wins, and an exact override beats any prefix", () => {
    const book = createPriceBook({
      overrides: [
        { model: "claude-*", input: 1, output: 1 },
        { model: "claude-opus-*", input: 9, output: 9 },
        { model: "claude-opus-4-5", input: 5, output: 5 },
      ],
    });
    assert.equal(book.priceOf("claude-3-haiku-20240307")?.input, 1);
    assert.equal(book.priceOf("claude-3-haiku-20240307")?.match, "prefix");
    assert.equal(book.priceOf("anthropic/claude-haiku-4-5")?.input, 1);
    assert.equal(book.priceOf("claude-opus-4-1")?.input, 9);
    assert.equal(book.priceOf("claude-opus-4-5-20251101")?.input, 5);
    assert.equal(book.priceOf("gpt-4o")?.origin, "table");
  });

  test("a lone * prices every model, including ones the table lacks; a later override of the same name wins", () => {
    const book = createPriceBook({
      overrides: [
        { model: "*", input: 0.01, output: 0.02 },
        { model: "my-local", input: 7, output: 7 },
        { model: "my-local", input: 0.5, output: 1.5, cachedInput: 0.1 },
      ],
    });
    assert.equal(book.priceOf("some-new-model")?.input, 0.01);
    assert.deepEqual(
      { input: book.priceOf("my-local")?.input, output: book.priceOf("my-local")?.output, cached: book.priceOf("my-local")?.cachedInput },
      { input: 0.5, output: 1.5, cached: 0.1 },
    );
  });

  test("malformed overrides are rejected with invalid_request naming the field", () => {
    const cases: Array<[unknown, string]> = [
      [{ model: "x", input: -1, output: 1 }, "overrides[0].input"],
      [{ model: "x", input: 1, output: Number.NaN }, "overrides[0].output"],
      [{ model: "x", input: 1 }, "overrides[0].output"],
      [{ model: "x", input: 1, output: 1, cachedInput: -0.1 }, "overrides[0].cachedInput"],
      [{ model: "cl*ude", input: 1, output: 1 }, "overrides[0].model"],
      [{ model: " ", input: 1, output: 1 }, "overrides[0].model"],
    ];
    for (const [override, param] of cases) {
      assert.throws(
        () => createPriceBook({ overrides: [override as never] }),
        (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request" && error.param === param,
        param,
      );
    }
  });
});
