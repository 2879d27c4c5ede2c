import assert from "node:assert/strict";
import { test } from "node:test";
import { isMacAddress, macAddressRecognizer } from "./mac-address.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("the three written forms, one separator throughout", () => {
  for (const valid of ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"]) assert.equal(isMacAddress(valid), true, valid);
  for (const invalid of ["00:1A-2B:3C:4D:5E", "00:1A:2B:3C:4D", "001a.2b3c.4d5", "00:1G:2B:3C:4D:5E"]) assert.equal(isMacAddress(invalid), false, invalid);
});

test("finds addresses in each form with exact spans, whatever mix of digits and letters", () => {
  const text = "ether 00:1a:2b:3c:4d:5e brd; MAC=20-55-79-98-26-f0; wlan a1:b2:c3:d4:e5:f6, switch 0011.2233.4455 and AB-CD-EF-12-34-56.";
  assert.deepEqual(coveredBy(macAddressRecognizer, text), ["00:1a:2b:3c:4d:5e", "20-55-79-98-26-f0", "a1:b2:c3:d4:e5:f6", "0011.2233.4455", "AB-CD-EF-12-34-56"]);
});

test("context words raise confidence; all-zero and broadcast addresses are skipped", () => {
  const plain = scanWith(macAddressRecognizer, "id 00:1a:2b:3c:4d:5e")[0]?.confidence ?? 0;
  const named = scanWith(macAddressRecognizer, "MAC address 00:1a:2b:3c:4d:5e")[0]?.confidence ?? 0;
  assert.ok(plain >= 0.75 && named > plain);
  assert.deepEqual(coveredBy(macAddressRecognizer, "00:00:00:00:00:00 ff:ff:ff:ff:ff:ff"), []);
});

test("timestamps, UUIDs, IPv6 addresses and longer colon chains are not MAC addresses", () => {
  for (const text of ["12:34:56", "550e8400-e29b-41d4-a716-446655440000", "fe80::1ff:fe23:4567:890a", "00:1a:2b:3c:4d:5e:6f", "2024-05-12-10-11-12"]) {
    assert.deepEqual(coveredBy(macAddressRecognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(macAddressRecognizer, text);
  assertScansQuickly(macAddressRecognizer, "1a:".repeat(33_000));
  assertScansQuickly(macAddressRecognizer, "12-".repeat(33_000));
});
