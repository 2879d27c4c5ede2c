import assert from "node:assert/strict";
import { test } from "node:test";
import { ipv6Groups, ipv6Recognizer } from "./ipv6.ts";
import { adversarialTexts, assertScansQuickly, coveredBy, scanWith } from "./testing.ts";

test("parsing counts written groups of full, compressed and IPv4-tailed addresses", () => {
  assert.equal(ipv6Groups("2001:0db8:85a3:0000:0000:8a2e:0370:7334"), 8);
  assert.equal(ipv6Groups("2001:db8::ff00:42:8329"), 5);
  assert.equal(ipv6Groups("::ffff:192.0.2.128"), 3);
  assert.equal(ipv6Groups("fe80::1"), 2);
  for (const invalid of ["2001:db8::1::2", "12345::1", "2001:db8:85a3:0:0:8a2e:370", "1:2:3:4:5:6:7:8:9", "g001::1", "10:11:12", "::ffff:300.1.1.1"]) {
    assert.equal(ipv6Groups(invalid), -1, invalid);
  }
});

test("finds addresses in logs with exact spans, also when no digit touches a colon", () => {
  const text = "login from 2001:db8:85a3::8a2e:370:7334 and [fe80::1ff:fe23:4567:890a]:443, also 2c0f:bcea:efbb:: and ::ffff:192.0.2.128.";
  assert.deepEqual(coveredBy(ipv6Recognizer, text), ["2001:db8:85a3::8a2e:370:7334", "fe80::1ff:fe23:4567:890a", "2c0f:bcea:efbb::", "::ffff:192.0.2.128"]);
  const full = scanWith(ipv6Recognizer, "src 2001:0db8:85a3:0000:0000:8a2e:0370:7334");
  assert.equal(full[0]?.covered, "2001:0db8:85a3:0000:0000:8a2e:0370:7334");
});

test("times, slices, scopes, MAC addresses and loopback are not reported", () => {
  for (const text of ["at 10:11:12.123Z", "a[1::2]", "std::vector<u32::MAX>", "00:1a:2b:3c:4d:5e", "bind ::1", "ratio 3:2"]) {
    assert.deepEqual(coveredBy(ipv6Recognizer, text), [], text);
  }
});

test("adversarial texts are scanned quickly", () => {
  for (const text of adversarialTexts()) assertScansQuickly(ipv6Recognizer, text);
  assertScansQuickly(ipv6Recognizer, "1:".repeat(50_000));
  assertScansQuickly(ipv6Recognizer, "1::".repeat(33_000));
});
