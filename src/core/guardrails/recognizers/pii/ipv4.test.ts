import assert from "node:assert/strict";
import { test } from "node:test";
import { ipv4Recognizer } from "./ipv4.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("finds public, private and loopback addresses alike, with exact spans", () => {
  const text = "client=203.0.113.42 via 10.0.0.1, 192.168.1.254:8080 and 127.0.0.1/8; http://172.16.5.4/x";
  assert.deepEqual(coveredBy(ipv4Recognizer, text), ["203.0.113.42", "10.0.0.1", "192.168.1.254", "127.0.0.1", "172.16.5.4"]);
  const confidences = scanWith(ipv4Recognizer, text).map((finding) => finding.confidence);
  assert.ok(confidences.every((confidence) => confidence === confidences[0] && confidence >= 0.8), "private ranges are not discounted");
});

test("octets above 255, leading zeros, five parts and glued words are rejected", () => {
  for (const text of ["256.1.1.1", "1.2.3.999", "01.2.3.4", "10.0.0.1.5", "1.3.6.1.4.1.311", "v1.2.3.4", "10.0.19045.3803", "a10.0.0.1", "10.0.0.1b"]) {
    assert.deepEqual(coveredBy(ipv4Recognizer, text), [], text);
  }
});

test("a small four-part number after a version word, or after 'Name/', scores low", () => {
  const version = scanWith(ipv4Recognizer, "upgrade to version 1.2.3.4 today")[0]?.confidence ?? 1;
  const userAgent = scanWith(ipv4Recognizer, "Chrome/120.0.6099.71 Safari/537.36 Firefox/1.2.3.4")[0]?.confidence ?? 1;
  const address = scanWith(ipv4Recognizer, "from 1.2.3.4 today")[0]?.confidence ?? 0;
  assert.ok(version < 0.5 && userAgent < 0.5 && address >= 0.8, `${version} ${userAgent} ${address}`);
  assert.ok((scanWith(ipv4Recognizer, "version 10.200.30.40")[0]?.confidence ?? 0) >= 0.8, "parts of 100+ are no version");
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(ipv4Recognizer, text);
  assertScansQuickly(ipv4Recognizer, "1.".repeat(50_000));
});
