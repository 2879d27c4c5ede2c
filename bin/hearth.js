#!/usr/bin/env node
// A plain shebang: `env -S` (needed to pass V8 flags here) is not portable to every platform npm
// supports. `npm start` adds the V8 heap flags the server is measured with (docs/decisions/0007).
// Node 24 runs the TypeScript sources directly (type stripping). The compile cache keeps the
// stripped and compiled sources on disk, so later starts neither strip again nor load the
// stripper (~30 MB less resident memory). It lives in the install's own node_modules/.cache, not
// in a shared temporary directory where another user could plant entries; where that is not
// writable Node simply runs without it. NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE apply.
import { enableCompileCache } from "node:module";
import { fileURLToPath } from "node:url";

enableCompileCache(fileURLToPath(new URL("../node_modules/.cache/hearth-compile", import.meta.url)));
await import("../src/cli/main.ts");
