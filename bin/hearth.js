#!/usr/bin/env -S node --max-semi-space-size=8
// --max-semi-space-size=8: V8 otherwise grows the young generation to ~130 MB under gateway load
// (RSS ~300 MB instead of ~230 MB) for no measurable gain; see docs/benchmarks.md.
// Node 24 runs the TypeScript sources directly (type stripping); no build step.
import "../src/cli/main.ts";
