// Installs one of node-llama-cpp's GPU binary packages in place of the CPU-only placeholder.
// Usage: npm run gpu:install -- cuda|cuda-ext|vulkan        (see docs/gpu.md)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const variant = process.argv[2];
const variants = ["cuda", "cuda-ext", "vulkan"];
if (variant === undefined || !variants.includes(variant)) {
  process.stderr.write(`usage: npm run gpu:install -- <${variants.join("|")}>\n`);
  process.exit(2);
}
const platform = process.platform === "win32" ? "win" : process.platform === "linux" ? "linux" : undefined;
if (platform === undefined || process.arch !== "x64") {
  process.stderr.write(`No ${variant} build of node-llama-cpp exists for ${process.platform}-${process.arch}; on macOS Metal is built in.\n`);
  process.exit(1);
}
const root = path.resolve(import.meta.dirname, "..");
const engineVersion = (JSON.parse(fs.readFileSync(path.join(root, "node_modules/node-llama-cpp/package.json"), "utf8")) as { version: string }).version;
const name = `@node-llama-cpp/${platform}-x64-${variant}`;
const target = path.join(root, "node_modules", name);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-gpu-"));
process.stdout.write(`Fetching ${name}@${engineVersion} (several hundred MB)…\n`);
const tarball = execFileSync("npm", ["pack", `${name}@${engineVersion}`, "--silent"], { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
execFileSync("tar", ["-xzf", path.join(work, tarball), "-C", target, "--strip-components=1"], { stdio: "inherit" });
fs.rmSync(work, { recursive: true, force: true });
process.stdout.write(`Installed ${name} into node_modules. Start Hearth with HEARTH_GPU=${variant.startsWith("cuda") ? "cuda" : variant} (or engine.gpu in hearth.yaml).\n`);
