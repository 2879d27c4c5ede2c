import type { IncomingMessage } from "node:http";
import { HearthError } from "../spec/errors.ts";

/**
 * Reads a JSON request body with a hard size cap: a declared Content-Length over the cap is
 * refused before reading, and a chunked body is cut off the moment it passes the cap.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const refused = refuseByHeaders(request.headers.get("content-length"), request.headers.get("content-type"), maxBytes);
  if (refused !== undefined) throw refused;
  if (request.body === null) throw emptyBody();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (size === 0) throw emptyBody();
  return parseJson(Buffer.concat(chunks, size).toString("utf8"));
}

/**
 * The same contract as readJsonBody, reading the Node request directly: on the hot path this
 * skips building a web ReadableStream around the socket for every request.
 */
export function readJsonBodyFromNode(incoming: IncomingMessage, maxBytes: number): Promise<unknown> {
  const refused = refuseByHeaders(incoming.headers["content-length"] ?? null, incoming.headers["content-type"] ?? null, maxBytes);
  if (refused !== undefined) return Promise.reject(refused);
  return new Promise<unknown>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        cleanup();
        // Stop reading; the rest is drained (or the socket closed) once the response is sent.
        incoming.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (size === 0) return reject(emptyBody());
      try {
        resolve(parseJson(chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks, size).toString("utf8")));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HearthError("aborted", "The client went away while sending the body.", { cause: error }));
    };
    const onClose = () => {
      if (!incoming.complete) onError(new Error("closed before the body was complete"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

/** What the headers alone settle: a declared size over the cap, or a body that is not JSON. */
function refuseByHeaders(declaredLength: string | null, type: string | null, maxBytes: number): HearthError | undefined {
  if (declaredLength !== null && Number(declaredLength) > maxBytes) return tooLarge(maxBytes);
  if (type !== null && type !== "" && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    return new HearthError("invalid_request", `Send the body as application/json (got ${type.split(";")[0]}).`);
  }
  return undefined;
}

function emptyBody(): HearthError {
  return new HearthError("invalid_json", "The request body is empty; send a JSON object.");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HearthError("invalid_json", `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(maxBytes: number): HearthError {
  return new HearthError("payload_too_large", `The request body is larger than the ${maxBytes}-byte limit (server.maxBodyBytes).`);
}
