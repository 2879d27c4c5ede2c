/**
 * Portkey's open-source gateway as a benchmark peer: where `npm run bench:install-portkey` puts
 * it, how to start it bound to loopback only, and the headers that point it at the bench upstream.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const portkeyPackage = "@portkey-ai/gateway";
export const portkeyVersion = "1.15.2";
/** Newer @hono/node-server versions break Portkey's streaming (`TypeError: immutable`). */
export const portkeyHonoNodeServerVersion = "1.14.1";

const repositoryRoot = join(import.meta.dirname, "..", "..");
/** A separate npm prefix, so Portkey's pinned dependencies never touch Hearth's node_modules. */
export const portkeyPrefix = join(repositoryRoot, ".bench-peers", "portkey");
/** Preloaded into Portkey with `--import`: its start script otherwise listens on every interface. */
export const loopbackPreload = join(import.meta.dirname, "loopback-preload.ts");

export const portkeyMissingMessage = "Portkey not installed: run npm run bench:install-portkey to include it";

/** The installed gateway's server script, or undefined when it is not installed (at the pinned version). */
export function resolvePortkeyServer(prefix = portkeyPrefix): string | undefined {
  const packageDirectory = join(prefix, "node_modules", ...portkeyPackage.split("/"));
  const manifestPath = join(packageDirectory, "package.json");
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: string; bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  const server = join(packageDirectory, bin ?? join("build", "start-server.js"));
  return existsSync(server) ? server : undefined;
}

/** The installed version, for the report. */
export function installedPortkeyVersion(prefix = portkeyPrefix): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(prefix, "node_modules", ...portkeyPackage.split("/"), "package.json"), "utf8")) as { version?: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** Headers that make Portkey forward a request to an OpenAI-compatible server at `upstreamBaseUrl` (…/v1). */
export function portkeyHeaders(upstreamBaseUrl: string): Record<string, string> {
  return {
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": upstreamBaseUrl,
    authorization: "Bearer bench-key-0123456789",
  };
}
