// Installs Portkey's open-source gateway as a benchmark peer for `npm run bench:gateway`, in its own
// npm prefix (.bench-peers/portkey), not in Hearth's node_modules: Portkey needs @hono/node-server
// pinned to 1.14.1 (newer versions break its streaming: `TypeError: immutable`), which would clash
// with Hearth's own @hono/node-server. Usage: npm run bench:install-portkey
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { portkeyHonoNodeServerVersion, portkeyPackage, portkeyPrefix, portkeyVersion, resolvePortkeyServer } from "../bench/gateway/portkey.ts";

fs.mkdirSync(portkeyPrefix, { recursive: true });
const manifest = {
  name: "hearth-bench-peer-portkey",
  private: true,
  description: "Portkey's gateway, installed only as a benchmark peer for Hearth's bench:gateway",
  dependencies: { [portkeyPackage]: portkeyVersion },
  overrides: { "@hono/node-server": portkeyHonoNodeServerVersion },
};
fs.writeFileSync(path.join(portkeyPrefix, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`Installing ${portkeyPackage}@${portkeyVersion} (with @hono/node-server ${portkeyHonoNodeServerVersion}) into ${portkeyPrefix} …\n`);
// --ignore-scripts: the gateway ships built JavaScript; nothing needs to run at install time.
execFileSync("npm", ["install", "--prefix", portkeyPrefix, "--no-audit", "--no-fund", "--ignore-scripts"], { stdio: "inherit" });
const server = resolvePortkeyServer();
if (server === undefined) {
  process.stderr.write(`Installed, but its server entry point was not found under ${portkeyPrefix}/node_modules/${portkeyPackage}.\n`);
  process.exit(1);
}
process.stdout.write(`Installed. bench:gateway will start ${path.relative(process.cwd(), server)}.\n`);
