/**
 * `npm run bench:pii` — how fast does sensitive-data detection scan text? Builds a deterministic
 * corpus of mixed text (`--megabytes`, default 64; prose in en/de/fr as chat and e-mail, logs, JSON
 * payloads and code, about one sensitive value per 2 kB plus hard negatives: the eval generators'
 * documents at benchmark density), warms up, then measures the detector's scan() with every
 * built-in recognizer on this thread (one core, no workers):
 *   (a) message-sized texts, 2–16 kB each, one scan() per text — the judged number;
 *   (b) the same text joined into 1 MB chunks;
 * several repetitions each, alternating, reported as median and min–max. Then every recognizer
 * alone over a part of the corpus, slowest first, so the expensive ones are visible.
 * MB are 10⁶ bytes of UTF-8. Judged: throughput ≥ 50 MB/s on message-sized texts.
 * Findings are counted (and printed) so no scan can be optimised away.
 */
import { cpus } from "node:os";
import { Command, InvalidArgumentError } from "commander";
import { createDetector } from "../src/core/guardrails/detector.ts";
import { generateMixedText, type DocumentFormat } from "../src/core/guardrails/eval/documents.ts";
import type { Recognizer } from "../src/core/guardrails/types.ts";
import { createSensitiveDataDetector } from "../src/core/guardrails/index.ts";
import { runScript, silentProgress, type Progress } from "./progress.ts";
import { median } from "./statistics.ts";
import { formatNumber, formatTable } from "./table.ts";

export interface PiiThroughputOptions {
  quick: boolean;
  /** Size of the corpus in MB (10⁶ UTF-8 bytes, approximately). */
  megabytes: number;
  repetitions: number;
  /** MB of the corpus each recognizer scans alone. */
  perRecognizerMegabytes: number;
  seed: number;
  json: boolean;
}

/** The target. */
export const targetMegabytesPerSecond = 50;

export interface RateSummary {
  /** MB/s of each repetition. */
  runs: number[];
  median: number;
  minimum: number;
  maximum: number;
}

export interface RecognizerRate {
  id: string;
  types: readonly string[];
  megabytesPerSecond: number;
  /** Milliseconds per MB. */
  millisecondsPerMegabyte: number;
  findings: number;
}

export interface PiiThroughputReport {
  settings: { megabytes: number; repetitions: number; perRecognizerMegabytes: number; seed: number; recognizers: number; node: string; cpu: string };
  corpus: { bytes: number; characters: number; messages: number; chunks: number; medianMessageBytes: number; labelledValues: number };
  messages: RateSummary;
  chunks: RateSummary;
  /** Median MB/s per document format, from the message-sized runs. */
  formats: Record<string, number>;
  recognizers: RecognizerRate[];
  /** Findings per full pass over the corpus (message-sized texts). */
  findingsPerPass: number;
  verdict: { name: string; value: number; target: number; pass: boolean };
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError("expected an integer");
  return parsed;
}

/** Parses CLI flags; throws CommanderError on a bad flag (after commander has printed it). */
export function parseOptions(argv: readonly string[]): PiiThroughputOptions {
  const program = new Command("bench:pii")
    .description("Sensitive-data detector throughput (MB/s on one core), all recognizers and each alone")
    .option("--quick", "8 MB corpus, 3 repetitions, 2 MB per recognizer", false)
    .option("--megabytes <n>", "corpus size in MB (default 64; 8 with --quick)", positiveInteger)
    .option("--repetitions <n>", "measured passes per mode (default 5; 3 with --quick)", positiveInteger)
    .option("--per-recognizer-megabytes <n>", "MB each recognizer scans alone (default 16; 2 with --quick)", positiveInteger)
    .option("--seed <n>", "seed of the generated corpus", integer, 1)
    .option("--json", "print one JSON object on stdout", false)
    .allowExcessArguments(false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const parsed = program.opts<{ quick: boolean; megabytes?: number; repetitions?: number; perRecognizerMegabytes?: number; seed: number; json: boolean }>();
  const megabytes = parsed.megabytes ?? (parsed.quick ? 8 : 64);
  return {
    quick: parsed.quick,
    megabytes,
    repetitions: parsed.repetitions ?? (parsed.quick ? 3 : 5),
    perRecognizerMegabytes: Math.min(megabytes, parsed.perRecognizerMegabytes ?? (parsed.quick ? 2 : 16)),
    seed: parsed.seed,
    json: parsed.json,
  };
}

/** A flat (sequential) copy of a string built by concatenation, as a parsed request body would be. */
function flat(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}

/** Median and spread of per-repetition rates. */
export function summarize(runs: readonly number[]): RateSummary {
  return { runs: [...runs], median: median(runs), minimum: Math.min(...runs), maximum: Math.max(...runs) };
}

/** Joins texts into chunks of at least `size` characters (newline-separated). */
export function joinIntoChunks(texts: readonly string[], size: number): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let length = 0;
  for (const text of texts) {
    parts.push(text);
    length += text.length + 1;
    if (length >= size) {
      chunks.push(flat(parts.join("\n")));
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) chunks.push(flat(parts.join("\n")));
  return chunks;
}

interface Pass {
  milliseconds: number;
  findings: number;
}

function scanAll(scan: (text: string) => readonly unknown[], texts: readonly string[]): Pass {
  let findings = 0;
  const started = performance.now();
  for (const text of texts) findings += scan(text).length;
  return { milliseconds: performance.now() - started, findings };
}

/** Builds the corpus and runs every measurement; `progress` gets status lines (stderr in the CLI). */
export function runPiiThroughput(options: PiiThroughputOptions, progress: Progress = silentProgress): PiiThroughputReport {
  progress.status(`building ${options.megabytes} MB of mixed text (seed ${options.seed})…`);
  const documents = generateMixedText({ seed: options.seed, characters: options.megabytes * 1e6 });
  const messages = documents.map((document) => flat(document.text));
  const formats = documents.map((document) => document.format);
  const messageBytes = messages.map((text) => Buffer.byteLength(text, "utf8"));
  const bytes = messageBytes.reduce((sum, size) => sum + size, 0);
  const megabytes = bytes / 1e6;
  const chunks = joinIntoChunks(messages, 1_000_000);
  const chunkMegabytes = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk, "utf8"), 0) / 1e6;

  // The detector the gateway uses, every built-in recognizer on.
  const detector = createSensitiveDataDetector();
  const recognizers = detector.recognizers;
  const scan = (text: string) => detector.scan(text);

  progress.status("warming up…");
  const warmUpTexts = messages.slice(0, Math.max(1, Math.ceil(messages.length / 8)));
  scanAll(scan, warmUpTexts);
  scanAll(scan, chunks.slice(0, 2));
  scanAll(scan, warmUpTexts);

  const messageRuns: number[] = [];
  const chunkRuns: number[] = [];
  const formatMilliseconds = new Map<DocumentFormat, number[]>();
  let findingsPerPass = 0;
  for (let repetition = 1; repetition <= options.repetitions; repetition += 1) {
    progress.status(`repetition ${repetition}/${options.repetitions}: message-sized texts`);
    const perFormat = new Map<DocumentFormat, number>();
    let findings = 0;
    const started = performance.now();
    for (let index = 0; index < messages.length; index += 1) {
      const before = performance.now();
      findings += detector.scan(messages[index] as string).length;
      const format = formats[index] as DocumentFormat;
      perFormat.set(format, (perFormat.get(format) ?? 0) + performance.now() - before);
    }
    messageRuns.push(megabytes / ((performance.now() - started) / 1000));
    findingsPerPass = findings;
    for (const [format, milliseconds] of perFormat) formatMilliseconds.set(format, [...(formatMilliseconds.get(format) ?? []), milliseconds]);
    progress.status(`repetition ${repetition}/${options.repetitions}: 1 MB chunks`);
    const pass = scanAll(scan, chunks);
    chunkRuns.push(chunkMegabytes / (pass.milliseconds / 1000));
  }

  const formatBytes = new Map<DocumentFormat, number>();
  formats.forEach((format, index) => formatBytes.set(format, (formatBytes.get(format) ?? 0) + (messageBytes[index] as number)));
  const formatRates: Record<string, number> = {};
  for (const [format, runs] of formatMilliseconds) formatRates[format] = median(runs.map((milliseconds) => (formatBytes.get(format) ?? 0) / 1e6 / (milliseconds / 1000)));

  const subset: string[] = [];
  let subsetBytes = 0;
  for (let index = 0; index < messages.length && subsetBytes < options.perRecognizerMegabytes * 1e6; index += 1) {
    subset.push(messages[index] as string);
    subsetBytes += messageBytes[index] as number;
  }
  const recognizerRates = recognizers.map((recognizer: Recognizer, index): RecognizerRate => {
    progress.status(`recognizer ${index + 1}/${recognizers.length}: ${recognizer.id}`);
    const alone = createDetector([recognizer], {});
    const scanAlone = (text: string) => alone.scan(text);
    scanAll(scanAlone, subset.slice(0, Math.max(1, Math.ceil(subset.length / 4))));
    const passes = Array.from({ length: 3 }, () => scanAll(scanAlone, subset));
    const milliseconds = median(passes.map((pass) => pass.milliseconds));
    return {
      id: recognizer.id,
      types: recognizer.types,
      megabytesPerSecond: subsetBytes / 1e6 / (milliseconds / 1000),
      millisecondsPerMegabyte: milliseconds / (subsetBytes / 1e6),
      findings: passes[0]?.findings ?? 0,
    };
  });
  progress.clear();

  const messagesSummary = summarize(messageRuns);
  const sizes = messageBytes.toSorted((left, right) => left - right);
  return {
    settings: {
      megabytes: options.megabytes,
      repetitions: options.repetitions,
      perRecognizerMegabytes: options.perRecognizerMegabytes,
      seed: options.seed,
      recognizers: recognizers.length,
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
    },
    corpus: {
      bytes,
      characters: messages.reduce((sum, text) => sum + text.length, 0),
      messages: messages.length,
      chunks: chunks.length,
      medianMessageBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
      labelledValues: documents.reduce((sum, document) => sum + document.spans.length, 0),
    },
    messages: messagesSummary,
    chunks: summarize(chunkRuns),
    formats: formatRates,
    recognizers: recognizerRates.toSorted((left, right) => left.megabytesPerSecond - right.megabytesPerSecond),
    findingsPerPass,
    verdict: {
      name: "throughput, message-sized texts, all recognizers, one core",
      value: messagesSummary.median,
      target: targetMegabytesPerSecond,
      pass: messagesSummary.median >= targetMegabytesPerSecond,
    },
  };
}

function rateCell(summary: RateSummary): string[] {
  return [formatNumber(summary.median), `${formatNumber(summary.minimum)}–${formatNumber(summary.maximum)}`];
}

/** The plain-text report, ending with the judged line. */
export function formatReport(report: PiiThroughputReport): string {
  const { corpus, settings } = report;
  const allMillisecondsPerMegabyte = 1000 / report.messages.median;
  const aloneTotal = report.recognizers.reduce((sum, recognizer) => sum + recognizer.millisecondsPerMegabyte, 0);
  const lines = [
    `Sensitive-data detector throughput — ${settings.recognizers} recognizers, one core (main thread), ${settings.cpu}, Node ${settings.node}`,
    `corpus: ${(corpus.bytes / 1e6).toFixed(1)} MB UTF-8 (${corpus.characters.toLocaleString("en")} characters), ${corpus.messages} texts (median ${(corpus.medianMessageBytes / 1000).toFixed(1)} kB), ` +
      `${corpus.labelledValues} sensitive values (one per ${(corpus.bytes / Math.max(1, corpus.labelledValues) / 1000).toFixed(1)} kB); seed ${settings.seed}`,
    "",
    formatTable(
      ["mode", "MB/s median", "min–max", "repetitions"],
      [
        ["message-sized texts (2–16 kB)", ...rateCell(report.messages), String(report.messages.runs.length)],
        [`1 MB chunks (${corpus.chunks})`, ...rateCell(report.chunks), String(report.chunks.runs.length)],
      ],
    ),
    `findings per pass: ${report.findingsPerPass}`,
    "",
    formatTable(
      ["format (message-sized)", "MB/s median"],
      Object.entries(report.formats).map(([format, rate]) => [format, formatNumber(rate)]),
    ),
    "",
    `Each recognizer alone (${settings.perRecognizerMegabytes} MB of message-sized texts, median of 3), slowest first:`,
    formatTable(
      ["recognizer", "MB/s", "ms per MB", "share of Σ", "findings", "types"],
      report.recognizers.map((recognizer) => [
        recognizer.id,
        formatNumber(recognizer.megabytesPerSecond),
        formatNumber(recognizer.millisecondsPerMegabyte, 2),
        `${formatNumber((100 * recognizer.millisecondsPerMegabyte) / aloneTotal)}%`,
        String(recognizer.findings),
        recognizer.types.join(" "),
      ]),
    ),
    `Σ of recognizers alone: ${formatNumber(aloneTotal, 2)} ms per MB; all together: ${formatNumber(allMillisecondsPerMegabyte, 2)} ms per MB ` +
      (aloneTotal > allMillisecondsPerMegabyte
        ? "(alone, each recognizer pays for work shared per text — the PII numeric-token pass — that all together pay once)"
        : "(the difference is the detector's own work — merging, confidence filtering — and measurement noise)"),
    "",
    `throughput ≥ ${report.verdict.target} MB/s: ${report.verdict.pass ? "PASS" : "MISS"} (${formatNumber(report.verdict.value)} MB/s median, message-sized texts)`,
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  await runScript("bench:pii", (progress) => {
    const options = parseOptions(process.argv.slice(2));
    const report = runPiiThroughput(options, progress);
    return options.json ? JSON.stringify(report, null, 2) : formatReport(report);
  });
}

