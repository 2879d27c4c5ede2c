import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { parseOptions } from "./gateway.ts";
import { areaOf, summarizeProfile, type CpuProfile } from "./gateway/cpu-profile.ts";
import { portkeyHeaders, resolvePortkeyServer } from "./gateway/portkey.ts";
import { parseResidentBytes, slopeMegabytesPerMinute, summarizeMemory } from "./gateway/memory.ts";
import { completionBody, contentPieces, firstContentMarker, fullContent, parseStreamedContent, requestBody, streamBody } from "./gateway/upstream-fixture.ts";
import { formatAddedMilliseconds, formatTimes, judge, percentile, verdictLabel } from "./gateway/verdicts.ts";

const procStatus = ["Name:\tnode", "VmPeak:\t 1200000 kB", "VmHWM:\t   98765 kB", "VmRSS:\t   81234 kB", "RssAnon:\t   60000 kB", ""].join("\n");

describe("RSS from /proc/<pid>/status", () => {
  it("reads VmRSS, not VmHWM or RssAnon, in bytes", () => {
    assert.equal(parseResidentBytes(procStatus), 81234 * 1024);
  });
  it("is undefined when the line is missing (kernel threads, other systems)", () => {
    assert.equal(parseResidentBytes("Name:\tkthreadd\nState:\tS (sleeping)\n"), undefined);
  });
  it("summarises max and last sample", () => {
    const samples = [10, 30, 20].map((megabytes, index) => ({ elapsedMilliseconds: index * 250, residentBytes: megabytes * 1e6 }));
    assert.deepEqual(summarizeMemory(samples), { maxBytes: 30e6, lastBytes: 20e6, samples: 3 });
    assert.equal(summarizeMemory([]), undefined);
  });
});

describe("RSS slope", () => {
  it("is the least-squares growth in MB per minute", () => {
    // +2 MB every 30 s = 4 MB/min, with noise that cancels out.
    const samples = [0, 1, 2, 3, 4].map((step) => ({ elapsedMilliseconds: step * 30_000, residentBytes: (100 + 2 * step + (step % 2 === 0 ? 0.5 : -0.5)) * 1e6 }));
    assert.ok(Math.abs(slopeMegabytesPerMinute(samples) - 4) < 0.2);
  });
  it("is zero for flat memory and NaN without a time span", () => {
    const flat = [0, 1, 2].map((step) => ({ elapsedMilliseconds: step * 1000, residentBytes: 50e6 }));
    assert.equal(slopeMegabytesPerMinute(flat), 0);
    assert.ok(Number.isNaN(slopeMegabytesPerMinute(flat.slice(0, 1))));
    assert.ok(Number.isNaN(slopeMegabytesPerMinute([flat[0]!, { ...flat[0]! }])));
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index); // 100..1, unsorted
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(percentile(values, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
  });
  it("ignores values that are not finite and is NaN for none", () => {
    assert.equal(percentile([Number.NaN, 3, 1, Number.POSITIVE_INFINITY, 2], 0.5), 2);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });
});

describe("verdicts", () => {
  it("passes at the limit and misses beyond it, both directions", () => {
    assert.equal(verdictLabel(judge("ratio", 10, "at-least", 10, formatTimes)), "PASS");
    assert.equal(verdictLabel(judge("ratio", 9.99, "at-least", 10, formatTimes)), "MISS");
    assert.equal(verdictLabel(judge("added", 0.2, "at-most", 0.2, formatAddedMilliseconds)), "PASS");
    assert.equal(verdictLabel(judge("added", 0.201, "at-most", 0.2, formatAddedMilliseconds)), "MISS");
  });
  it("says n/a, not PASS, when nothing was measured", () => {
    const verdict = judge("ratio", Number.NaN, "at-least", 10, formatTimes);
    assert.equal(verdict.pass, undefined);
    assert.equal(verdictLabel(verdict), "n/a");
    assert.equal(verdict.formatted, "n/a");
  });
  it("formats values and targets", () => {
    const verdict = judge("ratio", 12.345, "at-least", 10, formatTimes);
    assert.equal(verdict.formatted, "12.35×");
    assert.equal(verdict.target, "≥ 10.00×");
    assert.equal(formatAddedMilliseconds(0.1534), "+0.153 ms");
    assert.equal(formatAddedMilliseconds(-0.02), "−0.020 ms");
  });
});

describe("upstream fixture", () => {
  it("streams the same content the JSON answer holds, then [DONE]", () => {
    const parsed = parseStreamedContent(streamBody("gpt-bench", true));
    assert.equal(parsed.content, fullContent);
    assert.equal(parsed.done, true);
    assert.equal(parsed.chunks, contentPieces.length + 2); // content chunks + finish + usage
    assert.equal(parseStreamedContent(streamBody("gpt-bench", false)).chunks, contentPieces.length + 1);
    const completion = JSON.parse(completionBody("gpt-bench")) as { choices: Array<{ message: { content: string } }> };
    assert.equal(completion.choices[0]?.message.content, fullContent);
  });
  it("has a first-content marker that no other part of a streamed body contains", () => {
    const body = streamBody("gpt-bench", true);
    assert.equal(body.indexOf(firstContentMarker), body.lastIndexOf(firstContentMarker));
    assert.ok(contentPieces[0].includes(firstContentMarker));
    assert.ok(!requestBody("bench-model", true).includes(firstContentMarker));
  });
  it("asks for streamed usage only in the streamed body", () => {
    assert.deepEqual(JSON.parse(requestBody("m", true)).stream_options, { include_usage: true });
    assert.equal(JSON.parse(requestBody("m", false)).stream, undefined);
  });
});

describe("CPU profile summary", () => {
  // root → (idle); root → handle (src/http) → parse (undici)
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 1_000_000, // 1 s in microseconds
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 4] },
      { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
      { id: 3, callFrame: { functionName: "parse", url: "file:///repo/node_modules/undici/lib/client.js", lineNumber: 9 } },
      { id: 4, callFrame: { functionName: "handle", url: "file:///repo/src/http/app.ts", lineNumber: 41 }, children: [3] },
    ],
    samples: [2, 2, 2, 2, 2, 3, 3, 3, 4, 4],
  };
  it("attributes self time per function and per area, as shares of busy time", () => {
    const summary = summarizeProfile(profile);
    assert.equal(summary.idleShare, 0.5);
    assert.ok(Math.abs(summary.busyMilliseconds - 500) < 1e-9);
    assert.deepEqual(
      summary.areas.map((entry) => [entry.name, entry.share]),
      [
        ["undici", 0.6],
        ["hearth src/http", 0.4],
      ],
    );
    assert.equal(summary.functions[0]?.name, "parse node_modules/undici/lib/client.js:10");
    assert.ok(Math.abs((summary.functions[0]?.selfMilliseconds ?? 0) - 300) < 1e-9);
  });
  it("counts an area once per sample it is on the stack of (inclusive share)", () => {
    const summary = summarizeProfile(profile);
    assert.deepEqual(
      summary.areasInclusive.map((entry) => [entry.name, entry.inclusiveShare]),
      [
        ["hearth src/http", 1],
        ["undici", 0.6],
      ],
    );
  });
  it("names areas of Node internals and scoped packages", () => {
    assert.equal(areaOf("node:internal/streams/readable", "read"), "node:internal/streams");
    assert.equal(areaOf("file:///x/node_modules/@hono/node-server/dist/index.mjs", "f"), "@hono/node-server");
    assert.equal(areaOf("", "(garbage collector)"), "(garbage collector)");
  });
});

describe("options", () => {
  it("--quick shortens every phase; explicit values win", () => {
    const quick = parseOptions(["--quick"]);
    assert.deepEqual([quick.duration, quick.warmup, quick.requests, quick.connections, quick.portkey, quick.reference], [3, 1, 300, 32, true, true]);
    assert.equal(parseOptions(["--no-reference"]).reference, false);
    const full = parseOptions(["--duration", "20", "--no-portkey", "--json"]);
    assert.deepEqual([full.duration, full.warmup, full.requests, full.portkey, full.json, full.soak], [20, 2, 2000, false, true, undefined]);
    assert.equal(parseOptions(["--soak", "300"]).soak, 300);
    assert.deepEqual([full.accounting, full.writerThread], [false, false]);
    const threaded = parseOptions(["--accounting", "--writer-thread"]);
    assert.deepEqual([threaded.accounting, threaded.writerThread], [true, true]);
  });
});

describe("Portkey peer", () => {
  it("is 'not installed' when its prefix holds no gateway package", () => {
    assert.equal(resolvePortkeyServer("/nonexistent/hearth-bench-peers/portkey"), undefined);
  });
  it("points Portkey at the bench upstream through its headers", () => {
    const headers = portkeyHeaders("http://127.0.0.1:9/v1");
    assert.equal(headers["x-portkey-provider"], "openai");
    assert.equal(headers["x-portkey-custom-host"], "http://127.0.0.1:9/v1");
    assert.match(headers.authorization ?? "", /^Bearer /);
  });
});

describe("loopback preload", () => {
  it("binds a listen without a host to 127.0.0.1 only", async () => {
    await import("./gateway/loopback-preload.ts");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, () => resolve()));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(typeof address === "object" && address !== null ? address.address : address, "127.0.0.1");
  });
});
