import { HearthError } from "../spec/errors.ts";

/**
 * Reads a JSON request body with a hard size cap: a declared Content-Length over the cap is
 * refused before reading, and a chunked body is cut off the moment it passes the cap.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const type = request.headers.get("content-type");
  if (type !== null && type !== "" && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new HearthError("invalid_request", `Send the body as application/json (got ${type.split(";")[0]}).`);
  }
  if (request.body === null) throw new HearthError("invalid_json", "The request body is empty; send a JSON object.");
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
  if (size === 0) throw new HearthError("invalid_json", "The request body is empty; send a JSON object.");
  const text = Buffer.concat(chunks, size).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HearthError("invalid_json", `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(maxBytes: number): HearthError {
  return new HearthError("payload_too_large", `The request body is larger than the ${maxBytes}-byte limit (server.maxBodyBytes).`);
}
