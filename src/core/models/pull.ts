import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HearthError } from "../../spec/errors.ts";
import { formatHfUri, hfDownloadUrl, parseHfUri, resolveHfTarget, type HfReference } from "./hf-uri.ts";

export { formatHfUri, hfDownloadUrl, isHfUri, parseHfUri, resolveHfTarget, type HfReference } from "./hf-uri.ts";

export const defaultHfEndpoint = "https://huggingface.co";

/** Said whenever Hugging Face cannot be reached, so an offline user learns the way that needs no network. */
export const offlineAdvice =
  "Hearth runs offline on local files: download the .gguf elsewhere and set `models: [{ name: my-model, path: /path/to/file.gguf }]` in hearth.yaml, or run `hearth serve --demo`.";

/**
 * Reported while bytes arrive. `receivedBytes` counts the whole file so far, including the
 * `resumedFrom` bytes an earlier, interrupted run left in the `.part` file, so a progress bar can
 * start where the last one stopped.
 */
export interface PullProgress {
  receivedBytes: number;
  /** Unknown when the server sends neither a size header nor a Content-Length. */
  totalBytes: number | undefined;
  resumedFrom: number;
}

export interface PullOptions {
  /** `hf:<owner>/<repo>[@<revision>]/<path/to/file>.gguf` */
  uri: string;
  /** Root of the pulled-model tree; the file lands at `<modelsDir>/<owner>/<repo>/<revision>/<file>`. */
  modelsDir: string;
  /** Hugging Face (or a mirror); default https://huggingface.co. Tests point it at a loopback server. */
  endpoint?: string | undefined;
  /** Bearer token for gated or private repositories. Sent only to the endpoint's own origin, never logged. */
  token?: string | undefined;
  /** Hex sha256 the file must have; checked in addition to the one Hugging Face reports. */
  expectedSha256?: string | undefined;
  /** Download again even when the file is already there (for a branch such as `main` that moved). */
  force?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PullProgress) => void) | undefined;
  fetch?: typeof fetch | undefined;
  /** Time allowed to connect and receive response headers, per request (default 10 s). */
  connectTimeoutMs?: number | undefined;
  /** A transfer that delivers no byte for this long is treated as cut and resumed (default 60 s). */
  stallTimeoutMs?: number | undefined;
  /** Automatic resumes after a cut connection or a 5xx answer within one call (default 3). */
  retries?: number | undefined;
  /** Wait before the n-th retry is n times this (default 1 s). */
  retryDelayMs?: number | undefined;
}

/** Where the checksum a file was compared against came from; `none` means nothing was verified. */
export type ChecksumSource = "hugging-face" | "expected-sha256" | "none";

export interface PullResult {
  /** The canonical `hf:` URI. */
  uri: string;
  path: string;
  bytes: number;
  /** The sha256 of the file on disk, always computed. */
  sha256: string;
  /** True only when `sha256` was compared with a known checksum and matched. */
  verified: boolean;
  checksumSource: ChecksumSource;
  /** Some bytes came from a `.part` file an earlier run left behind. */
  resumed: boolean;
  /** The file was already there; nothing was downloaded. */
  alreadyPresent: boolean;
}

/** Kept beside `<target>.part` so a later run resumes only the same upstream file. */
interface PartState {
  version: 1;
  uri: string;
  etag: string | undefined;
  sha256: string | undefined;
  size: number | undefined;
}

/** Written beside a finished file so a second pull reports it without rehashing gigabytes. */
interface PullRecord {
  version: 1;
  uri: string;
  bytes: number;
  sha256: string;
  verified: boolean;
  checksumSource: ChecksumSource;
  pulledAt: string;
}

interface Paths {
  target: string;
  part: string;
  state: string;
  record: string;
}

interface Context {
  reference: HfReference;
  uri: string;
  url: URL;
  endpointOrigin: string;
  token: string | undefined;
  expectedSha256: string | undefined;
  paths: Paths;
  signal: AbortSignal | undefined;
  onProgress: (progress: PullProgress) => void;
  fetch: typeof fetch;
  connectTimeoutMs: number;
  stallTimeoutMs: number;
}

interface OpenedResponse {
  response: Response;
  /** From `x-linked-etag`: Hugging Face's sha256 of an LFS file. */
  linkedSha256: string | undefined;
  /** From `x-linked-size`. */
  linkedSize: number | undefined;
}

const sha256Pattern = /^[0-9a-f]{64}$/;
const maxRedirects = 10;
const maxRestarts = 3;

/** Errors worth an automatic retry (the transfer resumes from the `.part` file). */
const transientErrors = new WeakSet<HearthError>();

function transient(error: HearthError): HearthError {
  transientErrors.add(error);
  return error;
}

function pathsFor(target: string): Paths {
  return { target, part: `${target}.part`, state: `${target}.part.json`, record: `${target}.pull.json` };
}

/** Where `pullModel` puts (or put) the file for an `hf:` URI; undefined when it has not been pulled. */
export async function findPulledModel(uri: string, modelsDir: string): Promise<string | undefined> {
  const target = resolveHfTarget(uri, modelsDir);
  const stats = await fsp.stat(target).catch(() => undefined);
  return stats?.isFile() === true ? target : undefined;
}

/**
 * Downloads one GGUF file from Hugging Face into the models tree: into `<target>.part` first,
 * resuming a part an earlier run left, hashing while it writes, renaming only after the sha256
 * matched (when one is known). Throws HearthError with a message fit to show a user as is.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  const reference = parseHfUri(options.uri);
  const uri = formatHfUri(reference);
  const target = resolveHfTarget(reference, options.modelsDir);
  const endpoint = options.endpoint ?? defaultHfEndpoint;
  let url: URL;
  try {
    url = hfDownloadUrl(reference, endpoint);
  } catch {
    throw new HearthError("invalid_request", `The Hugging Face endpoint ${JSON.stringify(endpoint)} is not a valid URL.`, { param: "endpoint" });
  }
  if (options.token !== undefined && options.token !== "" && !/^[\x21-\x7e]+$/.test(options.token)) {
    throw new HearthError("invalid_request", "The Hugging Face token contains characters that cannot be sent in an HTTP header.", { param: "token" });
  }
  const context: Context = {
    reference,
    uri,
    url,
    endpointOrigin: url.origin,
    token: options.token === "" ? undefined : options.token,
    expectedSha256: normaliseExpectedSha256(options.expectedSha256),
    paths: pathsFor(target),
    signal: options.signal,
    onProgress: options.onProgress ?? (() => {}),
    fetch: options.fetch ?? fetch,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
  };
  throwIfAborted(context);

  if (options.force === true) {
    await removeQuietly(context.paths.target, context.paths.record, context.paths.part, context.paths.state);
  } else {
    const existing = await existingResult(context);
    if (existing !== undefined) return existing;
  }
  await fsp.mkdir(path.dirname(target), { recursive: true });

  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await downloadAttempt(context);
    } catch (error) {
      const retryable = HearthError.isInstance(error) && transientErrors.has(error);
      if (!retryable || attempt >= retries || context.signal?.aborted === true) throw error;
      try {
        await sleep(retryDelayMs * (attempt + 1), undefined, { signal: context.signal });
      } catch {
        throw abortedError(context);
      }
    }
  }
}

function normaliseExpectedSha256(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  const normalised = value.trim().toLowerCase().replace(/^sha256:/, "");
  if (!sha256Pattern.test(normalised)) {
    throw new HearthError("invalid_request", `The expected sha256 must be 64 hexadecimal characters, got ${JSON.stringify(value)}.`, { param: "sha256" });
  }
  return normalised;
}

function throwIfAborted(context: Context): void {
  if (context.signal?.aborted === true) throw abortedError(context);
}

function abortedError(context: Context): HearthError {
  return new HearthError("aborted", `The download of ${context.uri} was cancelled; run the same pull again to resume it.`);
}

async function removeQuietly(...files: string[]): Promise<void> {
  await Promise.all(files.map((file) => fsp.rm(file, { force: true })));
}

async function fileSize(file: string): Promise<number | undefined> {
  const stats = await fsp.stat(file).catch(() => undefined);
  return stats?.isFile() === true ? stats.size : undefined;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fsp.readFile(file, "utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function optionalSize(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

async function readPartState(context: Context): Promise<PartState | undefined> {
  const raw = await readJson(context.paths.state);
  if (raw === undefined || raw.version !== 1 || raw.uri !== context.uri) return undefined;
  const sha256 = optionalString(raw.sha256);
  const etag = optionalString(raw.etag);
  return {
    version: 1,
    uri: context.uri,
    etag: etag !== undefined && etag !== "" && !etag.includes('"') ? etag : undefined,
    sha256: sha256 !== undefined && sha256Pattern.test(sha256) ? sha256 : undefined,
    size: optionalSize(raw.size),
  };
}

async function writeJson(file: string, value: PartState | PullRecord): Promise<void> {
  const temporary = `${file}.tmp`;
  await fsp.writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await fsp.rename(temporary, file);
}

async function hashFile(file: string, hash: Hash, signal: AbortSignal | undefined): Promise<void> {
  for await (const chunk of fs.createReadStream(file, { signal })) hash.update(chunk as Buffer);
}

/** A file already at the target: reported from its record, or hashed when there is none. */
async function existingResult(context: Context): Promise<PullResult | undefined> {
  const size = await fileSize(context.paths.target);
  if (size === undefined) return undefined;
  const raw = await readJson(context.paths.record);
  let sha256: string;
  let verified = false;
  let checksumSource: ChecksumSource = "none";
  const recordSha = optionalString(raw?.sha256);
  if (raw !== undefined && raw.uri === context.uri && raw.bytes === size && recordSha !== undefined && sha256Pattern.test(recordSha)) {
    sha256 = recordSha;
    verified = raw.verified === true;
    const source = raw.checksumSource;
    checksumSource = source === "hugging-face" || source === "expected-sha256" ? source : "none";
  } else {
    const hash = createHash("sha256");
    try {
      await hashFile(context.paths.target, hash, context.signal);
    } catch (error) {
      if (context.signal?.aborted === true) throw abortedError(context);
      throw new HearthError("internal", `Could not read ${context.paths.target}: ${errorText(error)}`, { cause: error });
    }
    sha256 = hash.digest("hex");
  }
  if (context.expectedSha256 !== undefined) {
    if (sha256 !== context.expectedSha256) {
      throw new HearthError(
        "invalid_request",
        `${context.paths.target} is already there but its sha256 is ${sha256}, not the expected ${context.expectedSha256}; pull again with --force to replace it.`,
        { param: "sha256" },
      );
    }
    verified = true;
    checksumSource = checksumSource === "hugging-face" ? "hugging-face" : "expected-sha256";
  }
  return { uri: context.uri, path: context.paths.target, bytes: size, sha256, verified, checksumSource, resumed: false, alreadyPresent: true };
}

function formatMilliseconds(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : `${Math.round(milliseconds / 1000)} s`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message !== "") return cause.message;
    if (cause instanceof AggregateError && cause.errors[0] instanceof Error) return cause.errors[0].message;
    return error.message;
  }
  return String(error);
}

/** Hugging Face quotes ETags; a weak one (`W/"…"`) is not a sha256 and may not be used with If-Range. */
function unquote(value: string | null): string | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim().replace(/^W\//, "");
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

/** The opaque part of a strong ETag, the only kind If-Range may carry. */
function strongEtag(value: string | null): string | undefined {
  if (value === null || value.trim().startsWith("W/")) return undefined;
  const etag = unquote(value);
  return etag === undefined || etag === "" || etag.includes('"') ? undefined : etag;
}

function parseSize(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const size = Number(value.trim());
  return Number.isSafeInteger(size) ? size : undefined;
}

interface ContentRange {
  start: number | undefined;
  end: number | undefined;
  total: number | undefined;
}

function parseContentRange(value: string | null): ContentRange | undefined {
  if (value === null) return undefined;
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (match === null) return undefined;
  const number = (text: string | undefined): number | undefined => (text === undefined || text === "*" ? undefined : Number(text));
  return { start: number(match[1]), end: number(match[2]), total: number(match[3]) };
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/**
 * Requests the file, following redirects by hand: Hugging Face puts the sha256 (`x-linked-etag`)
 * and size on its redirect to the CDN, which `fetch` would hide, and the token must not follow
 * the redirect to another origin.
 */
async function openDownload(context: Context, rangeFrom: number, ifRange: string | undefined): Promise<OpenedResponse> {
  let current = context.url;
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  for (let hop = 0; hop <= maxRedirects; hop += 1) {
    const headers = new Headers({ "accept-encoding": "identity", "user-agent": "hearth" });
    if (rangeFrom > 0) {
      headers.set("range", `bytes=${rangeFrom}-`);
      if (ifRange !== undefined) headers.set("if-range", `"${ifRange}"`);
    }
    if (context.token !== undefined && current.origin === context.endpointOrigin) headers.set("authorization", `Bearer ${context.token}`);

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), context.connectTimeoutMs);
    const signal = context.signal === undefined ? timeout.signal : AbortSignal.any([context.signal, timeout.signal]);
    let response: Response;
    try {
      response = await context.fetch(current, { headers, redirect: "manual", signal });
    } catch (error) {
      if (context.signal?.aborted === true) throw abortedError(context);
      if (timeout.signal.aborted) {
        throw new HearthError("timeout", `Could not reach ${current.origin} (no answer within ${formatMilliseconds(context.connectTimeoutMs)}). ${offlineAdvice}`, {
          cause: error,
        });
      }
      throw new HearthError("upstream_error", `Could not reach ${current.origin} (${errorText(error)}). ${offlineAdvice}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }

    const linked = unquote(response.headers.get("x-linked-etag"))?.toLowerCase();
    if (linkedSha256 === undefined && linked !== undefined && sha256Pattern.test(linked)) linkedSha256 = linked;
    linkedSize ??= parseSize(response.headers.get("x-linked-size"));

    if (redirectStatuses.has(response.status)) {
      const location = response.headers.get("location");
      await response.body?.cancel().catch(() => {});
      if (location === null) throw new HearthError("upstream_error", `${current.origin} answered ${response.status} for ${context.uri} without a Location to follow.`);
      current = new URL(location, current);
      continue;
    }
    return { response, linkedSha256, linkedSize };
  }
  throw new HearthError("upstream_error", `Too many redirects while downloading ${context.uri}.`);
}

async function failForStatus(context: Context, response: Response): Promise<never> {
  await response.body?.cancel().catch(() => {});
  const { owner, repo, revision, file } = context.reference;
  const errorCode = response.headers.get("x-error-code");
  const status = response.status;
  if (status === 401 || status === 403) {
    const what = errorCode === "RepoNotFound" ? "the repository does not exist, or it is private or gated" : "the repository is gated or private";
    const message =
      context.token === undefined
        ? `Hugging Face refused ${context.uri} (${status}): ${what}. For a gated model, accept its terms on huggingface.co/${owner}/${repo}, then set HF_TOKEN (or HEARTH_HF_TOKEN) to an access token.`
        : `Hugging Face refused ${context.uri} (${status}) with the token given: check that HF_TOKEN is valid and has access to ${owner}/${repo} (for a gated model, accept its terms on huggingface.co/${owner}/${repo}).`;
    throw new HearthError("unauthorized", message);
  }
  if (status === 404) {
    const what =
      errorCode === "RepoNotFound"
        ? `no repository ${owner}/${repo}`
        : errorCode === "RevisionNotFound"
          ? `no revision ${JSON.stringify(revision)} in ${owner}/${repo}`
          : errorCode === "EntryNotFound"
            ? `no file ${JSON.stringify(file)} in ${owner}/${repo} at revision ${revision}`
            : `${owner}/${repo} has no file ${JSON.stringify(file)} at revision ${revision}, or the repository does not exist`;
    throw new HearthError("not_found", `Not found on Hugging Face (404): ${what}. Check the owner, repository, revision and file name (they are case-sensitive).`);
  }
  if (status === 429) {
    const retryAfter = parseSize(response.headers.get("retry-after"));
    throw new HearthError("rate_limited", `Hugging Face is rate-limiting downloads (429)${retryAfter === undefined ? "" : `; retry in ${retryAfter} s`}.`, {
      retryAfterSeconds: retryAfter,
    });
  }
  const error = new HearthError("upstream_error", `Hugging Face answered ${status}${response.statusText === "" ? "" : ` ${response.statusText}`} for ${context.uri}.`);
  throw status >= 500 ? transient(error) : error;
}

/** One request (plus restarts when a resume turns out unusable) that ends in a verified file or an error. */
async function downloadAttempt(context: Context): Promise<PullResult> {
  const { paths } = context;
  let state = await readPartState(context);
  let partSize = (await fileSize(paths.part)) ?? 0;
  if (partSize > 0 && state === undefined) {
    // A part without its sidecar cannot be proven to belong to the same upstream file.
    await removeQuietly(paths.part);
    partSize = 0;
  }
  if (partSize > 0 && state?.size !== undefined && partSize > state.size) {
    await removeQuietly(paths.part);
    partSize = 0;
  }
  if (partSize > 0 && state?.size !== undefined && partSize === state.size) {
    // The previous run wrote every byte but stopped before verifying: no request needed.
    return finish(context, { resumedFrom: partSize, bytes: partSize, hash: undefined, linkedSha256: state.sha256 });
  }

  for (let restart = 0; restart <= maxRestarts; restart += 1) {
    throwIfAborted(context);
    // Hash what is on disk before asking for the rest, so a slow disk never idles an open response.
    let prefixHash: Hash | undefined;
    if (partSize > 0) {
      prefixHash = createHash("sha256");
      await hashExistingPart(context, prefixHash);
    }
    const opened = await openDownload(context, partSize, state?.etag);
    const { response } = opened;

    if (context.expectedSha256 !== undefined && opened.linkedSha256 !== undefined && opened.linkedSha256 !== context.expectedSha256) {
      await response.body?.cancel().catch(() => {});
      throw new HearthError(
        "invalid_request",
        `The expected sha256 ${context.expectedSha256} differs from the one Hugging Face reports for ${context.uri} (${opened.linkedSha256}); nothing was downloaded.`,
        { param: "sha256" },
      );
    }

    const changedUpstream =
      partSize > 0 &&
      ((opened.linkedSha256 !== undefined && state?.sha256 !== undefined && opened.linkedSha256 !== state.sha256) ||
        (opened.linkedSize !== undefined && state?.size !== undefined && opened.linkedSize !== state.size));
    if (changedUpstream) {
      await response.body?.cancel().catch(() => {});
      await removeQuietly(paths.part, paths.state);
      partSize = 0;
      state = undefined;
      continue;
    }

    let resumedFrom: number;
    let totalBytes: number | undefined;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (partSize === 0 || range?.start !== partSize) {
        await response.body?.cancel().catch(() => {});
        await removeQuietly(paths.part);
        partSize = 0;
        continue;
      }
      resumedFrom = partSize;
      totalBytes = opened.linkedSize ?? range.total ?? state?.size;
    } else if (response.status === 200) {
      // A fresh download, or a server that ignored Range / found If-Range stale: start over.
      resumedFrom = 0;
      const length = parseSize(response.headers.get("content-length"));
      totalBytes = opened.linkedSize ?? length;
    } else if (response.status === 416) {
      await response.body?.cancel().catch(() => {});
      const total = parseContentRange(response.headers.get("content-range"))?.total ?? opened.linkedSize ?? state?.size;
      if (partSize > 0 && total === partSize) {
        return finish(context, { resumedFrom: partSize, bytes: partSize, hash: prefixHash, linkedSha256: opened.linkedSha256 ?? state?.sha256 });
      }
      await removeQuietly(paths.part);
      partSize = 0;
      continue;
    } else {
      return failForStatus(context, response);
    }

    if (response.body === null) throw transient(new HearthError("upstream_error", `Hugging Face sent no body for ${context.uri}.`));
    state = {
      version: 1,
      uri: context.uri,
      etag: strongEtag(response.headers.get("etag")),
      sha256: opened.linkedSha256 ?? (resumedFrom > 0 ? state?.sha256 : undefined),
      size: totalBytes,
    };
    await writeJson(paths.state, state);
    const hash = resumedFrom > 0 && prefixHash !== undefined ? prefixHash : createHash("sha256");
    const bytes = await receiveBody(context, response.body, hash, resumedFrom, totalBytes);
    return finish(context, { resumedFrom, bytes, hash, linkedSha256: state.sha256 });
  }
  throw transient(new HearthError("upstream_error", `Could not resume ${context.uri}: the server kept answering with unusable ranges.`));
}

async function hashExistingPart(context: Context, hash: Hash): Promise<void> {
  try {
    await hashFile(context.paths.part, hash, context.signal);
  } catch (error) {
    if (context.signal?.aborted === true) throw abortedError(context);
    throw new HearthError("internal", `Could not read ${context.paths.part}: ${errorText(error)}`, { cause: error });
  }
}

/**
 * Streams the body into the part file, hashing and counting as it goes; returns the file's size.
 * Each chunk is written before the next is read, so whatever arrived before a cut is on disk for
 * the next resume.
 */
async function receiveBody(
  context: Context,
  body: ReadableStream<Uint8Array>,
  hash: Hash,
  resumedFrom: number,
  totalBytes: number | undefined,
): Promise<number> {
  let receivedBytes = resumedFrom;
  let stalled = false;
  const reader = body.getReader();
  const stop = (): void => {
    reader.cancel().catch(() => {});
  };
  let stallTimer = setTimeout(onStall, context.stallTimeoutMs);
  function onStall(): void {
    stalled = true;
    stop();
  }
  context.signal?.addEventListener("abort", stop, { once: true });

  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(context.paths.part, resumedFrom > 0 ? "a" : "w");
  } catch (error) {
    clearTimeout(stallTimer);
    context.signal?.removeEventListener("abort", stop);
    stop();
    throw new HearthError("internal", `Could not write ${context.paths.part}: ${errorText(error)}`, { cause: error });
  }
  context.onProgress({ receivedBytes, totalBytes, resumedFrom });
  let bodyError: unknown;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        bodyError = error;
        break;
      }
      if (chunk.done) break;
      clearTimeout(stallTimer);
      try {
        await handle.write(chunk.value);
      } catch (error) {
        stop();
        throw new HearthError("internal", `Could not write ${context.paths.part}: ${errorText(error)}`, { cause: error });
      }
      hash.update(chunk.value);
      receivedBytes += chunk.value.length;
      stallTimer = setTimeout(onStall, context.stallTimeoutMs);
      context.onProgress({ receivedBytes, totalBytes, resumedFrom });
    }
  } finally {
    clearTimeout(stallTimer);
    context.signal?.removeEventListener("abort", stop);
    await handle.close();
  }

  if (context.signal?.aborted === true) throw abortedError(context);
  const of = totalBytes === undefined ? "" : ` of ${totalBytes}`;
  if (stalled || bodyError !== undefined) {
    const reason = stalled ? `no data for ${formatMilliseconds(context.stallTimeoutMs)}` : errorText(bodyError);
    throw transient(
      new HearthError("upstream_error", `The download of ${context.uri} was interrupted after ${receivedBytes}${of} bytes (${reason}); run the same pull again to resume it.`, {
        cause: bodyError,
      }),
    );
  }
  if (totalBytes !== undefined && receivedBytes < totalBytes) {
    throw transient(new HearthError("upstream_error", `The download of ${context.uri} ended early at ${receivedBytes}${of} bytes; run the same pull again to resume it.`));
  }
  if (totalBytes !== undefined && receivedBytes > totalBytes) {
    await removeQuietly(context.paths.part, context.paths.state);
    throw new HearthError("upstream_error", `Hugging Face sent ${receivedBytes} bytes for ${context.uri}, more than the ${totalBytes} it announced; the download was deleted.`);
  }
  return receivedBytes;
}

interface Finishing {
  resumedFrom: number;
  bytes: number;
  /** The running hash of the whole part, or undefined to hash the part file now. */
  hash: Hash | undefined;
  linkedSha256: string | undefined;
}

/** Verifies the complete part file, then moves it to the target; on a mismatch deletes it. */
async function finish(context: Context, finishing: Finishing): Promise<PullResult> {
  const { paths } = context;
  let hash = finishing.hash;
  if (hash === undefined) {
    hash = createHash("sha256");
    await hashExistingPart(context, hash);
  }
  const sha256 = hash.digest("hex");
  const expected = context.expectedSha256 ?? finishing.linkedSha256;
  const checksumSource: ChecksumSource = context.expectedSha256 !== undefined ? "expected-sha256" : finishing.linkedSha256 !== undefined ? "hugging-face" : "none";
  if (context.expectedSha256 !== undefined && finishing.linkedSha256 !== undefined && finishing.linkedSha256 !== context.expectedSha256) {
    await removeQuietly(paths.part, paths.state);
    throw new HearthError("upstream_error", `Checksum conflict for ${context.uri}: Hugging Face reports sha256 ${finishing.linkedSha256} but ${context.expectedSha256} was expected; the download was deleted.`);
  }
  if (expected !== undefined && sha256 !== expected) {
    await removeQuietly(paths.part, paths.state);
    throw new HearthError(
      "upstream_error",
      `Checksum mismatch for ${context.uri}: expected sha256 ${expected}, got ${sha256} (${finishing.bytes} bytes). The download was deleted; run the pull again to retry.`,
    );
  }
  const verified = expected !== undefined;
  await fsp.rename(paths.part, paths.target);
  const record: PullRecord = { version: 1, uri: context.uri, bytes: finishing.bytes, sha256, verified, checksumSource, pulledAt: new Date().toISOString() };
  await writeJson(paths.record, record);
  await removeQuietly(paths.state);
  return {
    uri: context.uri,
    path: paths.target,
    bytes: finishing.bytes,
    sha256,
    verified,
    checksumSource,
    resumed: finishing.resumedFrom > 0,
    alreadyPresent: false,
  };
}
