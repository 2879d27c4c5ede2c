import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

// Imports flow one way: spec ← core ← {providers, dialects, storage} ← {http, cli} ← compose
// (docs: ../shared/STYLE.md). This pins the rule so a shortcut shows up in review as a failure.
const root = path.resolve(import.meta.dirname, "..");

function sources(folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((match) => match[1] as string);
}

/** The top-level area an import lands in: "spec", "core", "hono", "node:fs", ... */
function area(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  const target = path.relative(path.join(root, "src"), path.resolve(path.dirname(file), specifier));
  return target.startsWith("..") ? "outside-src" : (target.split(path.sep)[0] as string).replace(/\.ts$/, "");
}

const rules: Array<{ folder: string; forbidden: string[] }> = [
  { folder: "src/spec", forbidden: ["core", "providers", "dialects", "storage", "http", "cli", "compose", "config", "hono", "better-sqlite3", "node-llama-cpp", "zod"] },
  { folder: "src/core", forbidden: ["providers", "dialects", "storage", "http", "cli", "compose", "hono", "@hono/node-server", "better-sqlite3", "node-llama-cpp", "pg"] },
  { folder: "src/dialects", forbidden: ["providers", "storage", "http", "cli", "compose", "hono", "better-sqlite3", "node-llama-cpp"] },
  { folder: "src/providers", forbidden: ["dialects", "storage", "http", "cli", "compose", "hono", "better-sqlite3"] },
  { folder: "src/storage", forbidden: ["providers", "dialects", "http", "cli", "compose", "hono", "node-llama-cpp"] },
  { folder: "src/http", forbidden: ["providers", "storage", "cli", "compose", "better-sqlite3", "node-llama-cpp"] },
];

for (const rule of rules) {
  test(`${rule.folder} does not import ${rule.forbidden.join(", ")}`, () => {
    const files = sources(rule.folder);
    assert.ok(files.length > 0, `${rule.folder} has sources`);
    const violations: string[] = [];
    for (const file of files) {
      for (const specifier of importsOf(file)) {
        if (rule.forbidden.includes(area(file, specifier))) violations.push(`${path.relative(root, file)} imports ${specifier}`);
      }
    }
    assert.deepEqual(violations, []);
  });
}

test("only src/config/env.ts reads process.env", () => {
  const readers = sources("src").filter((file) => /process\.env\b/.test(fs.readFileSync(file, "utf8")));
  assert.deepEqual(readers.map((file) => path.relative(root, file)), ["src/config/env.ts"]);
});
