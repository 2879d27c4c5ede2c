/**
 * Preloaded (`node --import`) into a benchmark peer whose start script listens on every interface:
 * every TCP `listen` is forced onto 127.0.0.1, so the benchmark never opens a port beyond loopback.
 */
import net from "node:net";

const loopback = "127.0.0.1";
type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
const originalListen = net.Server.prototype.listen as Listen;

function forceLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const [first, ...rest] = args;
  const callbacks = args.filter((argument) => typeof argument === "function").slice(-1);
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return originalListen.call(this, { port: Number(first), host: loopback }, ...callbacks);
  }
  if (typeof first === "object" && first !== null && !("path" in first) && !("fd" in first) && !("_handle" in first)) {
    return originalListen.call(this, { ...first, host: loopback }, ...rest);
  }
  if (first === undefined || typeof first === "function") {
    return originalListen.call(this, { port: 0, host: loopback }, ...callbacks);
  }
  return originalListen.apply(this, args);
}

net.Server.prototype.listen = forceLoopback as typeof net.Server.prototype.listen;
