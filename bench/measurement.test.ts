import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPrompt, measurementFrom } from "./measurement.ts";
import { bootstrapInterval, geometricMean, median, ratio } from "./statistics.ts";
import { formatTable } from "./table.ts";

describe("measurementFrom", () => {
  test("prompt rate is prompt tokens over TTFT; decode rate counts tokens after the first over first-to-last", () => {
    const measurement = measurementFrom({ started: 1000, firstToken: 1500, lastToken: 2500, finished: 2600 }, 100, 11, 16, "length");
    assert.equal(measurement.timeToFirstTokenMilliseconds, 500);
    assert.equal(measurement.promptTokensPerSecond, 200);
    assert.equal(measurement.decodeMilliseconds, 1000);
    assert.equal(measurement.decodeTokensPerSecond, 10);
    assert.equal(measurement.totalMilliseconds, 1600);
    assert.equal(measurement.finishReason, "length");
  });

  test("a single generated token gives no decode rate", () => {
    const measurement = measurementFrom({ started: 0, firstToken: 10, lastToken: 10, finished: 12 }, 5, 1, 16, "stop");
    assert.ok(Number.isNaN(measurement.decodeTokensPerSecond));
  });

  test("no token at all gives no TTFT and no rates", () => {
    const measurement = measurementFrom({ started: 0, firstToken: undefined, lastToken: undefined, finished: 12 }, 5, 0, 16, "stop");
    assert.ok(Number.isNaN(measurement.timeToFirstTokenMilliseconds));
    assert.ok(Number.isNaN(measurement.promptTokensPerSecond));
  });
});

describe("buildPrompt", () => {
  const characters = (text: string) => [...text];
  const join = (tokens: readonly string[]) => tokens.join("");

  test("is cut to exactly the requested number of tokens", () => {
    for (const length of [40, 256, 1000]) assert.equal(characters(buildPrompt(3, length, characters, join)).length, length);
  });

  test("each measurement index opens differently, so no cached prefix can be reused", () => {
    const openings = new Set([0, 1, 2, 3, 1000, 1001].map((index) => buildPrompt(index, 300, characters, join).split("\n")[0]));
    assert.equal(openings.size, 6);
  });
});

describe("statistics", () => {
  test("median of odd and even counts, ignoring non-finite values", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([Number.NaN, 5, Number.POSITIVE_INFINITY]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  test("ratio is NaN when an operand is missing or the denominator is not positive", () => {
    assert.equal(ratio(3, 4), 0.75);
    assert.ok(Number.isNaN(ratio(undefined, 4)));
    assert.ok(Number.isNaN(ratio(3, 0)));
  });

  test("geometric mean of ratios, ignoring values that are not finite and positive", () => {
    assert.ok(Math.abs(geometricMean([1, 4]) - 2) < 1e-12);
    assert.ok(Math.abs(geometricMean([0.5, 2, Number.NaN, 0]) - 1) < 1e-12);
    assert.ok(Number.isNaN(geometricMean([])));
  });

  test("bootstrap interval: seeded, ordered, around the statistic, narrowing with more data", () => {
    const spread = [0.62, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 1.0, 1.05, 1.2, 1.51];
    const [low, high] = bootstrapInterval(spread, median);
    assert.ok(low < median(spread) && median(spread) < high, `${low} < ${median(spread)} < ${high}`);
    assert.ok(low >= Math.min(...spread) && high <= Math.max(...spread));
    assert.deepEqual(bootstrapInterval(spread, median), [low, high]);
    // The same spread observed four times as often gives a narrower interval.
    const [moreLow, moreHigh] = bootstrapInterval([...spread, ...spread, ...spread, ...spread], median);
    assert.ok(moreHigh - moreLow < high - low, `${moreHigh - moreLow} < ${high - low}`);
    // No spread, no interval width.
    assert.deepEqual(bootstrapInterval([0.9, 0.9, 0.9], geometricMean).map((value) => Number(value.toFixed(12))), [0.9, 0.9]);
    assert.ok(bootstrapInterval([0.9], median).every(Number.isNaN));
  });
});

test("formatTable aligns every column to its widest cell", () => {
  const lines = formatTable(["name", "value"], [["a", "1.0"], ["longer", "22.5"]]).split("\n");
  assert.equal(lines.length, 4);
  assert.equal(new Set(lines.map((line) => line.length)).size, 1);
  assert.ok(lines[3]?.endsWith("22.5"));
});
