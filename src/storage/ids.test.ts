import { test } from "node:test";
import assert from "node:assert/strict";
import { createTimeOrderedId } from "./ids.ts";

test("ids are RFC 9562 version-7 UUIDs carrying their time in the first 48 bits", () => {
  const time = Date.UTC(2026, 10, 22, 5, 43, 0, 123);
  const id = createTimeOrderedId(time);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(Number.parseInt(id.replace("-", "").slice(0, 12), 16), time);
});

test("ids made in later milliseconds sort after earlier ones, and ids are unique", () => {
  const earlier = createTimeOrderedId(1_000);
  const later = createTimeOrderedId(1_001);
  assert.ok(earlier < later);
  const many = new Set(Array.from({ length: 1_000 }, () => createTimeOrderedId(5_000)));
  assert.equal(many.size, 1_000);
});
