#!/usr/bin/env node
// A plain shebang: `env -S` (needed to pass V8 flags here) is not portable to every platform npm
// supports. `npm start` runs the server with --max-semi-space-size=8 (docs/decisions/0007).
// Node 24 runs the TypeScript sources directly (type stripping); no build step.
import "../src/cli/main.ts";
