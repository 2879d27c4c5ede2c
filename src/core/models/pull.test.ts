import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { findPulledModel, hfDownloadUrl, parseHfUri, pullModel, resolveHfTarget, type PullProgress } from "./pull.ts";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

interface HubFile {
  content: Buffer;
  /** Served through a redirect with x-linked-etag / x-linked-size, like Hugging Face's LFS files. */
  lfs: boolean;
  /** Overrides the sha256 announced in x-linked-etag. */
  announcedSha256?: string;
  gated?: boolean;
}

interface SeenRequest {
  url: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
}

/**
 * A loopback stand-in for huggingface.co and its CDN: `/resolve/` answers LFS files with a 302
 * carrying x-linked-etag / x-linked-size, the CDN serves bytes with Range and If-Range.
 */
class MockHub {
  readonly files = new Map<string, HubFile>();
  readonly seen: SeenRequest[] = [];
  /** Cut the connection after this many body bytes, for the next N CDN responses. */
  cutAfterBytes = 0;
  cutsLeft = 0;
  /**
   * The client's `.part` file: before a cut the hub waits until the bytes it sent are on disk, so
   * a test knows how much a resume must skip (a real cut may lose bytes still in flight).
   */
  watchPart: string | undefined;
  /** Instead of cutting, stop sending and keep the connection open. */
  stallInsteadOfCut = false;
  /** Answer this many hub requests with 503 first. */
  unavailableLeft = 0;
  ignoreRange = false;
  /** Accept connections but never answer. */
  hang = false;
  readonly hub: http.Server;
  readonly cdn: http.Server;
  hubUrl = "";
  cdnUrl = "";
  private readonly hanging = new Set<http.ServerResponse>();

  constructor() {
    this.hub = http.createServer((request, response) => this.handleHub(request, response));
    this.cdn = http.createServer((request, response) => this.handleCdn(request, response));
  }

  async start(): Promise<void> {
    for (const server of [this.hub, this.cdn]) await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.hubUrl = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    this.cdnUrl = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  reset(): void {
    this.files.clear();
    this.seen.length = 0;
    this.cutAfterBytes = 0;
    this.cutsLeft = 0;
    this.ignoreRange = false;
    this.stallInsteadOfCut = false;
    this.watchPart = undefined;
    this.unavailableLeft = 0;
    this.hang = false;
  }

  cdnRequests(): SeenRequest[] {
    return this.seen.filter((request) => request.url.startsWith("/cdn/"));
  }

  private async waitForPart(size: number): Promise<void> {
    const deadline = Date.now() + 2000;
    while (this.watchPart !== undefined && Date.now() < deadline) {
      const current = await fsp.stat(this.watchPart).then((stats) => stats.size, () => 0);
      if (current >= size) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private record(request: http.IncomingMessage): void {
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(",") : value;
    };
    this.seen.push({ url: request.url ?? "", range: header("range"), ifRange: header("if-range"), authorization: header("authorization") });
  }

  private handleHub(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.record(request);
    if (this.hang) {
      this.hanging.add(response);
      return;
    }
    if (this.unavailableLeft > 0) {
      this.unavailableLeft -= 1;
      response.writeHead(503).end("busy");
      return;
    }
    const match = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(request.url ?? "");
    const key = match === null ? "" : `${match[1]}/${match[2]}@${match[3]}/${decodeURIComponent(match[4] ?? "")}`;
    const file = this.files.get(key);
    if (file?.gated === true && request.headers.authorization !== "Bearer secret-token") {
      response.writeHead(401, { "x-error-code": "GatedRepo" }).end("gated");
      return;
    }
    if (file === undefined) {
      response.writeHead(404, { "x-error-code": "EntryNotFound" }).end("not found");
      return;
    }
    if (!file.lfs) {
      this.serveBytes(request, response, file.content);
      return;
    }
    response
      .writeHead(302, {
        location: `${this.cdnUrl}/cdn/${encodeURIComponent(key)}`,
        "x-linked-etag": `"${file.announcedSha256 ?? sha256(file.content)}"`,
        "x-linked-size": String(file.content.length),
      })
      .end();
  }

  private handleCdn(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.record(request);
    const key = decodeURIComponent((request.url ?? "").slice("/cdn/".length));
    const file = this.files.get(key);
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    this.serveBytes(request, response, file.content);
  }

  private serveBytes(request: http.IncomingMessage, response: http.ServerResponse, content: Buffer): void {
    const etag = `"cdn-${sha256(content).slice(0, 16)}"`;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const ifRange = request.headers["if-range"];
    if (range !== null && !this.ignoreRange && (ifRange === undefined || ifRange === etag)) {
      start = Number(range[1]);
      if (start >= content.length) {
        response.writeHead(416, { "content-range": `bytes */${content.length}` }).end();
        return;
      }
      response.writeHead(206, {
        etag,
        "content-length": String(content.length - start),
        "content-range": `bytes ${start}-${content.length - 1}/${content.length}`,
      });
    } else {
      response.writeHead(200, { etag, "content-length": String(content.length) });
    }
    const body = content.subarray(start);
    if (this.cutsLeft > 0 && this.cutAfterBytes < body.length) {
      this.cutsLeft -= 1;
      if (this.stallInsteadOfCut) {
        this.hanging.add(response);
        response.write(body.subarray(0, this.cutAfterBytes));
        return;
      }
      response.write(body.subarray(0, this.cutAfterBytes));
      void this.waitForPart(start + this.cutAfterBytes).then(() => response.socket?.destroy());
      return;
    }
    response.end(body);
  }
}

const hub = new MockHub();
let temporary = "";
let counter = 0;

before(async () => {
  await hub.start();
  temporary = await fsp.mkdtemp(path.join(os.tmpdir(), "hearth-pull-"));
});

after(async () => {
  await hub.stop();
  await fsp.rm(temporary, { recursive: true, force: true });
});

/** A fresh models folder and a fresh random file in the mock hub for each test. */
function setup(options: Partial<HubFile> & { size?: number; uri?: string } = {}): { modelsDir: string; uri: string; content: Buffer } {
  hub.reset();
  counter += 1;
  const modelsDir = path.join(temporary, `models-${counter}`);
  const content = options.content ?? randomBytes(options.size ?? 300_000);
  const uri = options.uri ?? "hf:acme/tiny-GGUF/tiny-q4_0.gguf";
  const reference = parseHfUri(uri);
  hub.watchPart = `${resolveHfTarget(uri, modelsDir)}.part`;
  hub.files.set(`${reference.owner}/${reference.repo}@${reference.revision}/${reference.file}`, {
    content,
    lfs: options.lfs ?? true,
    ...(options.announcedSha256 === undefined ? {} : { announcedSha256: options.announcedSha256 }),
    ...(options.gated === undefined ? {} : { gated: options.gated }),
  });
  return { modelsDir, uri, content };
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

function assertHearthError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(HearthError.isInstance(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("parseHfUri", () => {
  test("parses owner, repository, nested file and the default revision main", () => {
    assert.deepEqual(parseHfUri("hf:acme/tiny-GGUF/sub/dir/model.Q4_0.gguf"), { owner: "acme", repo: "tiny-GGUF", revision: "main", file: "sub/dir/model.Q4_0.gguf" });
  });

  test("parses an explicit revision after @", () => {
    assert.deepEqual(parseHfUri("hf:acme/tiny@v1.2/model.gguf"), { owner: "acme", repo: "tiny", revision: "v1.2", file: "model.gguf" });
  });

  const malformed = [
    "acme/tiny/model.gguf",
    "hf:",
    "hf://acme/tiny/model.gguf",
    "hf:acme",
    "hf:acme/tiny",
    "hf:acme/tiny/",
    "hf:acme/tiny/model.bin",
    "hf:acme/tiny@/model.gguf",
    "hf:acme/tiny@re:v/model.gguf",
    "hf:acme/tiny/../../etc/model.gguf",
    "hf:acme/tiny/a//model.gguf",
    "hf:-acme/tiny/model.gguf",
    "hf:acme/ti ny/model.gguf",
    "hf:acme/tiny/model.gguf?download=true",
  ];
  for (const uri of malformed) {
    test(`rejects ${JSON.stringify(uri)} and shows what a valid URI looks like`, () => {
      assert.throws(() => parseHfUri(uri), assertHearthError("invalid_request", /Malformed Hugging Face URI .*A valid one looks like hf:<owner>\/<repo>\/<path\/to\/file>\.gguf/));
    });
  }
});

describe("resolveHfTarget and hfDownloadUrl", () => {
  test("stores a file at <modelsDir>/<owner>/<repo>/<revision>/<file>", () => {
    assert.equal(resolveHfTarget("hf:acme/tiny@abc123/sub/model.gguf", "/models"), path.resolve("/models/acme/tiny/abc123/sub/model.gguf"));
  });

  test("builds <endpoint>/<owner>/<repo>/resolve/<revision>/<file> with encoded segments", () => {
    const url = hfDownloadUrl(parseHfUri("hf:acme/tiny/dir/my model.gguf"), "https://mirror.example/hf/");
    assert.equal(url.href, "https://mirror.example/hf/acme/tiny/resolve/main/dir/my%20model.gguf");
  });

  test("findPulledModel finds a pulled file and nothing before the pull", async () => {
    const { modelsDir, uri } = setup({ size: 10_000 });
    assert.equal(await findPulledModel(uri, modelsDir), undefined);
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.equal(await findPulledModel(uri, modelsDir), result.path);
  });
});

describe("pullModel", () => {
  test("downloads through the CDN redirect and verifies the x-linked-etag sha256", async () => {
    const { modelsDir, uri, content } = setup();
    const progress: PullProgress[] = [];
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, onProgress: (update) => progress.push(update) });
    assert.equal(result.path, path.join(modelsDir, "acme", "tiny-GGUF", "main", "tiny-q4_0.gguf"));
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(result.bytes, content.length);
    assert.equal(result.sha256, sha256(content));
    assert.equal(result.verified, true);
    assert.equal(result.checksumSource, "hugging-face");
    assert.equal(result.resumed, false);
    assert.equal(await exists(`${result.path}.part`), false);
    assert.equal(await exists(`${result.path}.part.json`), false);
    const last = progress.at(-1);
    assert.deepEqual(last, { receivedBytes: content.length, totalBytes: content.length, resumedFrom: 0 });
    for (let index = 1; index < progress.length; index += 1) {
      assert.ok((progress[index]?.receivedBytes ?? 0) >= (progress[index - 1]?.receivedBytes ?? 0), "progress never goes backwards");
    }
  });

  test("resumes with Range and If-Range after the server cut the connection mid-body", async () => {
    const { modelsDir, uri, content } = setup();
    hub.cutAfterBytes = 100_000;
    hub.cutsLeft = 1;
    await assert.rejects(
      pullModel({ uri, modelsDir, endpoint: hub.hubUrl, retries: 0 }),
      assertHearthError("upstream_error", /interrupted after \d+ of 300000 bytes.*run the same pull again to resume/),
    );
    const target = resolveHfTarget(uri, modelsDir);
    const partSize = (await fsp.stat(`${target}.part`)).size;
    assert.ok(partSize > 0 && partSize < content.length, `part holds ${partSize} bytes`);
    assert.equal(await exists(target), false);

    const progress: PullProgress[] = [];
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, onProgress: (update) => progress.push(update) });
    const resumedRequest = hub.cdnRequests().at(-1);
    assert.equal(resumedRequest?.range, `bytes=${partSize}-`);
    assert.match(resumedRequest?.ifRange ?? "", /^"cdn-[0-9a-f]{16}"$/);
    assert.equal(progress[0]?.resumedFrom, partSize);
    const written = await fsp.readFile(result.path);
    assert.equal(written.length, content.length, "resumed bytes are appended, not duplicated");
    assert.deepEqual(written, content);
    assert.equal(result.sha256, sha256(content));
    assert.equal(result.verified, true);
    assert.equal(result.resumed, true);
  });

  test("retries a cut transfer by itself within one call, resuming from the part", async () => {
    const { modelsDir, uri, content } = setup();
    hub.cutAfterBytes = 50_000;
    hub.cutsLeft = 2;
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, retryDelayMs: 1 });
    const ranges = hub.cdnRequests().map((request) => request.range);
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? "", /^bytes=\d+-$/);
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(result.verified, true);
    assert.equal(result.resumed, true);
  });

  test("a transfer that stalls is treated as cut and resumes", async () => {
    const { modelsDir, uri, content } = setup();
    hub.cutAfterBytes = 80_000;
    hub.cutsLeft = 1;
    hub.stallInsteadOfCut = true;
    await assert.rejects(
      pullModel({ uri, modelsDir, endpoint: hub.hubUrl, stallTimeoutMs: 200, retries: 0 }),
      assertHearthError("upstream_error", /interrupted after \d+ of 300000 bytes \(no data for 200 ms\)/),
    );
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.match(hub.cdnRequests().at(-1)?.range ?? "", /^bytes=\d+-$/);
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(result.resumed, true);
  });

  test("retries a 503 answer and then succeeds", async () => {
    const { modelsDir, uri, content } = setup();
    hub.unavailableLeft = 1;
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, retryDelayMs: 1 });
    assert.deepEqual(await fsp.readFile(result.path), content);
    const other = setup();
    hub.unavailableLeft = 5;
    await assert.rejects(pullModel({ uri: other.uri, modelsDir: other.modelsDir, endpoint: hub.hubUrl, retries: 1, retryDelayMs: 1 }), assertHearthError("upstream_error", /answered 503/));
  });

  test("starts over cleanly when the server ignores Range and answers 200", async () => {
    const { modelsDir, uri, content } = setup();
    hub.cutAfterBytes = 120_000;
    hub.cutsLeft = 1;
    await assert.rejects(pullModel({ uri, modelsDir, endpoint: hub.hubUrl, retries: 0 }));
    hub.ignoreRange = true;
    const progress: PullProgress[] = [];
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, onProgress: (update) => progress.push(update) });
    assert.match(hub.cdnRequests().at(-1)?.range ?? "", /^bytes=\d+-$/, "a resume was asked for");
    assert.equal(progress[0]?.resumedFrom, 0);
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(result.resumed, false);
    assert.equal(result.verified, true);
  });

  test("starts over when the upstream file changed since the part was written", async () => {
    const { modelsDir, uri } = setup();
    hub.cutAfterBytes = 100_000;
    hub.cutsLeft = 1;
    await assert.rejects(pullModel({ uri, modelsDir, endpoint: hub.hubUrl, retries: 0 }));
    const replacement = randomBytes(200_000);
    const reference = parseHfUri(uri);
    hub.files.set(`${reference.owner}/${reference.repo}@${reference.revision}/${reference.file}`, { content: replacement, lfs: true });
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.deepEqual(await fsp.readFile(result.path), replacement);
    assert.equal(result.sha256, sha256(replacement));
    assert.equal(result.resumed, false);
  });

  test("finishes a part that is already complete after a 416 without downloading it again", async () => {
    const { modelsDir, uri, content } = setup();
    const target = resolveHfTarget(uri, modelsDir);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(`${target}.part`, content);
    await fsp.writeFile(`${target}.part.json`, JSON.stringify({ version: 1, uri, etag: undefined, sha256: sha256(content) }));
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.equal(hub.cdnRequests().at(-1)?.range, `bytes=${content.length}-`);
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(result.verified, true);
  });

  test("a sha256 mismatch fails, deletes the part and leaves no file at the target", async () => {
    const { modelsDir, uri } = setup({ announcedSha256: "0".repeat(64) });
    await assert.rejects(
      pullModel({ uri, modelsDir, endpoint: hub.hubUrl }),
      assertHearthError("upstream_error", /Checksum mismatch for hf:acme\/tiny-GGUF\/tiny-q4_0\.gguf: expected sha256 0{64}, got [0-9a-f]{64}/),
    );
    const target = resolveHfTarget(uri, modelsDir);
    assert.equal(await exists(target), false);
    assert.equal(await exists(`${target}.part`), false);
    assert.equal(await exists(`${target}.part.json`), false);
  });

  test("checks an explicit expected sha256 when Hugging Face sends none", async () => {
    const { modelsDir, uri, content } = setup({ lfs: false });
    const verified = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, expectedSha256: sha256(content).toUpperCase() });
    assert.equal(verified.verified, true);
    assert.equal(verified.checksumSource, "expected-sha256");

    const other = setup({ lfs: false });
    await assert.rejects(
      pullModel({ uri: other.uri, modelsDir: other.modelsDir, endpoint: hub.hubUrl, expectedSha256: "a".repeat(64) }),
      assertHearthError("upstream_error", /Checksum mismatch/),
    );
    assert.equal(await exists(resolveHfTarget(other.uri, other.modelsDir)), false);
  });

  test("says the file was not verified when no checksum is known", async () => {
    const { modelsDir, uri, content } = setup({ lfs: false });
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.equal(result.verified, false);
    assert.equal(result.checksumSource, "none");
    assert.equal(result.sha256, sha256(content));
  });

  test("a second pull reports the file already there without any request", async () => {
    const { modelsDir, uri, content } = setup();
    await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    hub.seen.length = 0;
    const again = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.equal(hub.seen.length, 0);
    assert.equal(again.alreadyPresent, true);
    assert.equal(again.verified, true);
    assert.equal(again.sha256, sha256(content));
  });

  test("404 names the missing file", async () => {
    const { modelsDir } = setup();
    await assert.rejects(
      pullModel({ uri: "hf:acme/tiny-GGUF/missing.gguf", modelsDir, endpoint: hub.hubUrl }),
      assertHearthError("not_found", /Not found on Hugging Face \(404\): no file "missing\.gguf" in acme\/tiny-GGUF at revision main/),
    );
  });

  test("401 on a gated repository points at HF_TOKEN", async () => {
    const { modelsDir, uri } = setup({ gated: true });
    await assert.rejects(pullModel({ uri, modelsDir, endpoint: hub.hubUrl }), assertHearthError("unauthorized", /\(401\).*gated.*set HF_TOKEN/));
  });

  test("sends the token to the hub but never to the CDN on another origin", async () => {
    const { modelsDir, uri, content } = setup({ gated: true });
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl, token: "secret-token" });
    assert.deepEqual(await fsp.readFile(result.path), content);
    assert.equal(hub.seen[0]?.authorization, "Bearer secret-token");
    assert.equal(hub.cdnRequests()[0]?.authorization, undefined);
  });

  test("an unreachable endpoint fails fast with the offline guidance", async () => {
    const { modelsDir, uri } = setup();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = performance.now();
    await assert.rejects(
      pullModel({ uri, modelsDir, endpoint: `http://127.0.0.1:${port}` }),
      assertHearthError("upstream_error", new RegExp(`^Could not reach http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)\\. Hearth runs offline on local files: .*path: /path/to/file\\.gguf.*hearth serve --demo`)),
    );
    assert.ok(performance.now() - started < 2000, "no retries, no waiting");
  });

  test("a server that never answers times out with the offline guidance", async () => {
    const { modelsDir, uri } = setup();
    hub.hang = true;
    await assert.rejects(pullModel({ uri, modelsDir, endpoint: hub.hubUrl, connectTimeoutMs: 200 }), assertHearthError("timeout", /no answer within 200 ms\)\. Hearth runs offline/));
  });

  test("an abort stops the transfer and keeps the part for a later resume", async () => {
    const { modelsDir, uri, content } = setup();
    const controller = new AbortController();
    await assert.rejects(
      pullModel({
        uri,
        modelsDir,
        endpoint: hub.hubUrl,
        signal: controller.signal,
        onProgress: (update) => {
          if (update.receivedBytes > 0) controller.abort();
        },
      }),
      assertHearthError("aborted", /cancelled; run the same pull again to resume/),
    );
    const target = resolveHfTarget(uri, modelsDir);
    assert.equal(await exists(target), false);
    assert.equal(fs.existsSync(`${target}.part.json`), true);
    const result = await pullModel({ uri, modelsDir, endpoint: hub.hubUrl });
    assert.deepEqual(await fsp.readFile(result.path), content);
  });

  test("malformed URIs and bad checksums are refused before any request", async () => {
    hub.reset();
    await assert.rejects(pullModel({ uri: "hf:acme/tiny", modelsDir: temporary, endpoint: hub.hubUrl }), assertHearthError("invalid_request", /A valid one looks like/));
    await assert.rejects(
      pullModel({ uri: "hf:acme/tiny/model.gguf", modelsDir: temporary, endpoint: hub.hubUrl, expectedSha256: "abc" }),
      assertHearthError("invalid_request", /64 hexadecimal characters/),
    );
    assert.equal(hub.seen.length, 0);
  });
});
