import { createApiClient, fetchModelList, resolveServerAddress, toSingleLine, type ModelEntry } from "./hearth-api.ts";

/** `hearth models`: what the running server offers, as the server itself reports it. */
export interface ModelsCommandOptions {
  /** The server's root (`http://127.0.0.1:8411`) or its API prefix (`…/v1`). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Print the server's `GET /v1/models` body unchanged instead of a table. */
  json?: boolean | undefined;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
}

const columns = ["MODEL", "PROVIDER", "LOCALITY", "CONTEXT", "STATE"] as const;

/** Lists the server's models; returns the process exit code. */
export async function modelsCommand(options: ModelsCommandOptions): Promise<number> {
  const resolved = resolveServerAddress(options.baseUrl);
  if (!resolved.ok) {
    options.errorOutput.write(`${resolved.message}\n`);
    return 1;
  }
  const client = createApiClient(resolved.address, options.apiKey);
  const list = await fetchModelList(client, resolved.address);
  if (!list.ok) {
    options.errorOutput.write(`${list.message}\n`);
    return 1;
  }
  if (options.json === true) {
    options.output.write(`${JSON.stringify(list.raw, null, 2)}\n`);
    return 0;
  }
  if (list.models.length === 0) {
    options.output.write("Hearth has no models configured.\n");
    return 0;
  }
  options.output.write(formatModelTable(list.models));
  return 0;
}

/** A fixed-width table, one model a row; "-" where the server did not say. */
export function formatModelTable(models: readonly ModelEntry[]): string {
  const rows: string[][] = [
    [...columns],
    ...models.map((model) => [
      toSingleLine(model.id),
      cell(model.hearth?.provider ?? model.owned_by),
      cell(model.hearth?.locality),
      model.context_length === undefined ? "-" : String(model.context_length),
      cell(model.hearth?.state),
    ]),
  ];
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((value, index) => (index === row.length - 1 ? value : value.padEnd(widths[index] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

function cell(value: string | undefined): string {
  if (value === undefined) return "-";
  const text = toSingleLine(value);
  return text === "" ? "-" : text;
}
