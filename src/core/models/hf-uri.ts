import path from "node:path";
import { HearthError } from "../../spec/errors.ts";

/**
 * A GGUF file in a Hugging Face repository, as named by an `hf:` URI. Parsed once at the edge so
 * the download code, the config loader and the on-disk layout all agree on the same four parts.
 */
export interface HfReference {
  owner: string;
  repo: string;
  /** Branch, tag or commit hash; `main` when the URI names none. */
  revision: string;
  /** The file inside the repository, `/`-separated, ending in `.gguf`. */
  file: string;
}

export const defaultRevision = "main";

const validExample = "hf:<owner>/<repo>/<path/to/file>.gguf or hf:<owner>/<repo>@<revision>/<file>.gguf, e.g. hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf";

/** Hugging Face user, organisation and repository names: letters, digits, `.`, `_`, `-`. */
const namePattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
/** A branch, tag or commit hash; `/` is not allowed because it would be ambiguous in the URI. */
const revisionPattern = /^[A-Za-z0-9._-]+$/;
const forbiddenInFile = /[\\\u0000-\u001f\u007f?#%]/;

function malformed(uri: string, reason: string): HearthError {
  return new HearthError("invalid_request", `Malformed Hugging Face URI ${JSON.stringify(uri)}: ${reason}. A valid one looks like ${validExample}.`, {
    param: "uri",
  });
}

/** Whether a model source is meant as an `hf:` URI (it may still be malformed). */
export function isHfUri(value: string): boolean {
  return value.startsWith("hf:");
}

/** Parses `hf:<owner>/<repo>[@<revision>]/<path/to/file>.gguf`; throws an `invalid_request` HearthError that shows a valid form. */
export function parseHfUri(uri: string): HfReference {
  if (!isHfUri(uri)) throw malformed(uri, "it must start with hf:");
  const rest = uri.slice("hf:".length);
  if (rest.startsWith("//")) throw malformed(uri, "write hf:owner/repo/..., without //");
  const segments = rest.split("/");
  const [owner, repoAndRevision, ...fileSegments] = segments;
  if (owner === undefined || owner === "") throw malformed(uri, "the owner is missing");
  if (!namePattern.test(owner) || owner.includes("..")) throw malformed(uri, `${JSON.stringify(owner)} is not a valid owner name`);
  if (repoAndRevision === undefined || repoAndRevision === "") throw malformed(uri, "the repository is missing");
  const at = repoAndRevision.indexOf("@");
  const repo = at === -1 ? repoAndRevision : repoAndRevision.slice(0, at);
  const revision = at === -1 ? defaultRevision : repoAndRevision.slice(at + 1);
  if (!namePattern.test(repo) || repo.includes("..")) throw malformed(uri, `${JSON.stringify(repo)} is not a valid repository name`);
  if (revision === "") throw malformed(uri, "the revision after @ is empty");
  if (!revisionPattern.test(revision) || revision === "." || revision === "..") {
    throw malformed(uri, `${JSON.stringify(revision)} is not a valid revision (a branch, tag or commit hash without /)`);
  }
  if (fileSegments.length === 0 || (fileSegments.length === 1 && fileSegments[0] === "")) throw malformed(uri, "the file path is missing");
  for (const segment of fileSegments) {
    if (segment === "") throw malformed(uri, "the file path has an empty segment (//) or ends with /");
    if (segment === "." || segment === "..") throw malformed(uri, "the file path may not contain . or .. segments");
    if (forbiddenInFile.test(segment)) throw malformed(uri, "the file path may not contain \\, ?, #, % or control characters");
  }
  const file = fileSegments.join("/");
  if (!/\.gguf$/i.test(file)) throw malformed(uri, "only .gguf files can be pulled");
  return { owner, repo, revision, file };
}

/** The canonical URI for a reference; the revision is spelled out only when it is not `main`. */
export function formatHfUri(reference: HfReference): string {
  const revision = reference.revision === defaultRevision ? "" : `@${reference.revision}`;
  return `hf:${reference.owner}/${reference.repo}${revision}/${reference.file}`;
}

/** `<endpoint>/<owner>/<repo>/resolve/<revision>/<file>`, each path segment percent-encoded. */
export function hfDownloadUrl(reference: HfReference, endpoint: string): URL {
  const base = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
  const parts = [reference.owner, reference.repo, "resolve", reference.revision, ...reference.file.split("/")];
  return new URL(parts.map(encodeURIComponent).join("/"), base);
}

/**
 * Where a pulled file lives: `<modelsDir>/<owner>/<repo>/<revision>/<file>`. Pure (no disk access),
 * so the config loader can compute it to find an already-pulled model without touching the network.
 */
export function resolveHfTarget(reference: HfReference | string, modelsDir: string): string {
  const parsed = typeof reference === "string" ? parseHfUri(reference) : reference;
  const root = path.resolve(modelsDir);
  const target = path.resolve(root, parsed.owner, parsed.repo, parsed.revision, ...parsed.file.split("/"));
  if (!target.startsWith(root + path.sep)) {
    throw new HearthError("invalid_request", `The Hugging Face URI ${formatHfUri(parsed)} would be stored outside ${root}.`, { param: "uri" });
  }
  return target;
}
