import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { compose } from "../../compose.ts";
import type { Config } from "../../config/schema.ts";
import { silentLogger } from "../../core/logger.ts";
import { explainRequest, type Explanation } from "../../core/policy/explain.ts";
import { dataTypes, isDataType } from "../../core/guardrails/data-types.ts";
import { fromExplainBody } from "../../dialects/hearth/explain.ts";
import { HearthError, toHearthError } from "../../spec/errors.ts";

/**
 * `hearth policy explain <file>` and `hearth policy test <file>`: the configured policy applied
 * in-process (no server, no model called, storage in memory), so both work in CI.
 */
export interface PolicyCommandOptions {
  config: Config;
  file: string;
  json?: boolean | undefined;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
}

/** The file as data; a missing file or broken JSON/YAML is an error naming the file and what is wrong. */
function readDocument(file: string): unknown {
  try {
    const text = fs.readFileSync(file, "utf8");
    return file.endsWith(".json") ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What went wrong, for a person at a terminal (a HearthError's own message, or the error's). */
function problem(error: unknown): string {
  return HearthError.isInstance(error) || !(error instanceof Error) ? toHearthError(error).message : error.message;
}

/** An explain body, or a bare chat request (`{ model, messages }`) taken as chat.completions. */
function asExplainBody(document: unknown): unknown {
  if (typeof document === "object" && document !== null && !("request" in document) && "model" in document) return { request: document };
  return document;
}

async function withGateway<T>(config: Config, run: (gateway: Awaited<ReturnType<typeof compose>>["gateway"]) => Promise<T> | T): Promise<T> {
  const composition = await compose(config, silentLogger, { storage: "memory" });
  try {
    return await run(composition.gateway);
  } finally {
    await composition.close();
  }
}

function explain(gateway: Awaited<ReturnType<typeof compose>>["gateway"], body: unknown): Promise<Explanation> {
  const input = fromExplainBody(asExplainBody(body));
  const caller = input.key === undefined && input.team === undefined ? undefined : { key: input.key ?? "", team: input.team };
  return explainRequest(gateway, { kind: input.kind, request: input.request, caller, tags: input.tags } as Parameters<typeof explainRequest>[1]);
}

const label = (type: string): string => (isDataType(type) ? dataTypes[type].label : type.replaceAll("_", " "));

export function formatExplanation(explanation: Explanation): string {
  const lines = [`model ${explanation.model}${explanation.route === null ? "" : ` (route ${explanation.route})`}`];
  if (!explanation.policy) return `${lines[0]}\n${explanation.message ?? ""}\n`;
  lines.push(explanation.found.length === 0 ? "found: nothing sensitive" : `found: ${explanation.found.map((entry) => `${entry.count} × ${label(entry.type)} (${entry.type})`).join(", ")}`);
  for (const finding of explanation.findings) {
    lines.push(`  ${finding.where} [${finding.start}–${finding.end}] ${finding.type}, confidence ${finding.confidence.toFixed(2)}, by ${finding.recognizer}`);
  }
  lines.push("destinations:");
  for (const destination of explanation.destinations) {
    const why = destination.verdicts.map((verdict) => `${verdict.type ?? "(no data)"} → ${verdict.action} (rule ${verdict.rule})`).join("; ");
    const attributes = [destination.locality, destination.trust.length > 0 ? `trust ${destination.trust.join(",")}` : undefined, destination.region === null ? undefined : `region ${destination.region}`].filter(Boolean).join(", ");
    lines.push(`  ${destination.target} (${attributes}): ${destination.outcome}${destination.outcome === "redact" ? ` [${destination.redact.join(", ")}]` : ""} — ${why}`);
  }
  lines.push(`outcome: ${explanation.outcome}${explanation.targets.length > 0 ? ` → ${explanation.targets.join(", ")}` : ""}`);
  if (explanation.message !== undefined) lines.push(explanation.message);
  return `${lines.join("\n")}\n`;
}

export async function policyExplainCommand(options: PolicyCommandOptions): Promise<number> {
  try {
    const explanation = await withGateway(options.config, (gateway) => explain(gateway, readDocument(options.file)));
    options.output.write(options.json === true ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    return 0;
  } catch (error) {
    options.errorOutput.write(`hearth policy explain: ${problem(error)}\n`);
    return 1;
  }
}

/** One case of a policy test file. */
interface PolicyCase {
  name: string;
  body: unknown;
  expect: { outcome?: string; targets?: string[]; redacted?: string[]; blocked?: string[]; found?: string[] };
}

function readCases(document: unknown): PolicyCase[] {
  const cases = (document as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(cases) || cases.length === 0) throw new Error("the file needs a non-empty `cases:` list");
  return cases.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null) throw new Error(`cases[${index}] must be a mapping`);
    const { name, expect, ...body } = entry as Record<string, unknown>;
    if (typeof expect !== "object" || expect === null) throw new Error(`cases[${index}] needs \`expect:\``);
    return { name: typeof name === "string" ? name : `case ${index + 1}`, body, expect: expect as PolicyCase["expect"] };
  });
}

const sorted = (values: readonly string[]): string => [...values].sort().join(",");

/** Differences between what a case expects and what the policy did; empty when it passes. */
function compare(explanation: Explanation, expect: PolicyCase["expect"]): string[] {
  const problems: string[] = [];
  if (expect.outcome !== undefined && expect.outcome !== explanation.outcome) problems.push(`outcome ${explanation.outcome}, expected ${expect.outcome}`);
  if (expect.targets !== undefined && sorted(expect.targets) !== sorted(explanation.targets)) problems.push(`targets [${explanation.targets.join(", ")}], expected [${expect.targets.join(", ")}]`);
  if (expect.redacted !== undefined) {
    const redacted = [...new Set(explanation.destinations.filter((entry) => explanation.targets.includes(entry.target)).flatMap((entry) => entry.redact))];
    if (sorted(expect.redacted) !== sorted(redacted)) problems.push(`redacted [${redacted.join(", ")}], expected [${expect.redacted.join(", ")}]`);
  }
  if (expect.found !== undefined) {
    const found = explanation.found.map((entry) => entry.type);
    if (sorted(expect.found) !== sorted(found)) problems.push(`found [${found.join(", ")}], expected [${expect.found.join(", ")}]`);
  }
  if (expect.blocked !== undefined) {
    const blocked = explanation.outcome === "block" ? [...new Set(explanation.destinations.flatMap((entry) => entry.verdicts.filter((verdict) => verdict.action === "block" || verdict.action === "route_local").map((verdict) => verdict.type ?? "")))].filter(Boolean) : [];
    const missing = expect.blocked.filter((type) => !blocked.includes(type));
    if (explanation.outcome !== "block" || missing.length > 0) problems.push(`blocked [${blocked.join(", ")}], expected [${expect.blocked.join(", ")}]`);
  }
  return problems;
}

export async function policyTestCommand(options: PolicyCommandOptions): Promise<number> {
  let cases: PolicyCase[];
  try {
    cases = readCases(readDocument(options.file));
  } catch (error) {
    const message = problem(error);
    options.errorOutput.write(`hearth policy test: ${message.startsWith(options.file) ? message : `${options.file}: ${message}`}\n`);
    return 1;
  }
  const results = await withGateway(options.config, (gateway) =>
    Promise.all(cases.map(async (entry) => {
      try {
        const explanation = await explain(gateway, entry.body);
        return { name: entry.name, problems: compare(explanation, entry.expect), outcome: explanation.outcome };
      } catch (error) {
        return { name: entry.name, problems: [`the request could not be evaluated: ${toHearthError(error).message}`], outcome: "error" };
      }
    })),
  );
  const failed = results.filter((result) => result.problems.length > 0);
  if (options.json === true) {
    options.output.write(`${JSON.stringify({ passed: results.length - failed.length, failed: failed.length, cases: results.map((result) => ({ ...result, pass: result.problems.length === 0 })) }, null, 2)}\n`);
  } else {
    for (const result of results) {
      options.output.write(`${result.problems.length === 0 ? "PASS" : "FAIL"}  ${result.name} (${result.outcome})\n`);
      for (const problem of result.problems) options.output.write(`      ${problem}\n`);
    }
    options.output.write(`\n${results.length - failed.length} passed, ${failed.length} failed\n`);
  }
  return failed.length === 0 ? 0 : 1;
}
