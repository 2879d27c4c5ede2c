import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultProbeBytes, measureReadBandwidth } from "./bandwidth.ts";

test("without a compiler the JavaScript probe runs and is reported as a lower bound", async () => {
  const cacheDirectory = await mkdtemp(join(tmpdir(), "hearth-bandwidth-test-"));
  try {
    const result = await measureReadBandwidth({
      threads: 1,
      bytes: 16 << 20,
      passes: 2,
      compiler: "hearth-no-such-compiler",
      cacheDirectory,
    });
    assert.equal(result.method, "javascript");
    assert.equal(result.lowerBound, true);
    assert.match(result.note, /no C compiler/);
    assert.ok(result.gigabytesPerSecond > 0);
  } finally {
    await rm(cacheDirectory, { recursive: true, force: true });
  }
});

test("the default probe buffer is at least 64 MiB and whole mebibytes", () => {
  const bytes = defaultProbeBytes();
  assert.ok(bytes >= 64 << 20);
  assert.equal(bytes % (1 << 20), 0);
});
