import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatReport, joinIntoChunks, parseOptions, runPiiThroughput, summarize } from "./pii-throughput.ts";

describe("bench:pii options", () => {
  test("defaults to 64 MB and 5 repetitions; --quick shrinks both", () => {
    assert.deepEqual(parseOptions([]), { quick: false, megabytes: 64, repetitions: 5, perRecognizerMegabytes: 16, seed: 1, json: false });
    assert.deepEqual(parseOptions(["--quick"]), { quick: true, megabytes: 8, repetitions: 3, perRecognizerMegabytes: 2, seed: 1, json: false });
  });

  test("the per-recognizer sample never exceeds the corpus", () => {
    assert.equal(parseOptions(["--megabytes", "4"]).perRecognizerMegabytes, 4);
  });

  test("rejects a zero size", () => {
    assert.throws(() => parseOptions(["--megabytes", "0"]));
  });
});

describe("corpus helpers", () => {
  test("joinIntoChunks keeps every text, in order, in chunks of at least the size (the last may be shorter)", () => {
    const texts = Array.from({ length: 25 }, (_, index) => `text-${index}-${"x".repeat(index * 10)}`);
    const chunks = joinIntoChunks(texts, 400);
    assert.equal(chunks.join("\n"), texts.join("\n"));
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length >= 399, String(chunk.length));
  });

  test("summarize reports the median and the spread", () => {
    assert.deepEqual(summarize([60, 40, 50]), { runs: [60, 40, 50], median: 50, minimum: 40, maximum: 60 });
  });
});

describe("bench:pii on a tiny corpus", () => {
  // One small pass end to end: checks the wiring and the report, never the timings.
  const report = runPiiThroughput({ quick: true, megabytes: 1, repetitions: 1, perRecognizerMegabytes: 1, seed: 3, json: false });

  test("measures both modes, every recognizer alone, and counts findings", () => {
    assert.equal(report.messages.runs.length, 1);
    assert.equal(report.chunks.runs.length, 1);
    assert.ok(report.messages.median > 0 && report.chunks.median > 0);
    assert.equal(report.recognizers.length, report.settings.recognizers);
    assert.ok(report.findingsPerPass > 0);
    assert.ok(report.corpus.bytes >= 1e6);
    const rates = report.recognizers.map((recognizer) => recognizer.megabytesPerSecond);
    assert.deepEqual(rates, rates.toSorted((left, right) => left - right), "slowest first");
  });

  test("prints the judged line with the 50 MB/s target", () => {
    assert.match(formatReport(report), /throughput ≥ 50 MB\/s: (PASS|MISS) \(\d+\.\d MB\/s median, message-sized texts\)/);
  });
});
