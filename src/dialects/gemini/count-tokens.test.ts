import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HearthError } from "../../spec/errors.ts";
import { fromCountTokensBody, toCountTokensResponse } from "./count-tokens.ts";

describe("fromCountTokensBody", () => {
  test("bare contents are counted as a user conversation", () => {
    const request = fromCountTokensBody("m", { contents: [{ role: "user", parts: [{ text: "count me" }] }] });
    assert.deepEqual(request.messages, [{ role: "user", content: "count me" }]);
    assert.equal(request.model, "m");
  });

  test("a whole generateContentRequest counts its system text and tools too", () => {
    const request = fromCountTokensBody("m", {
      generateContentRequest: {
        model: "models/m",
        systemInstruction: { parts: [{ text: "sys" }] },
        contents: [{ role: "user", parts: [{ text: "hi" }] }],
        tools: [{ functionDeclarations: [{ name: "f" }] }],
      },
    });
    assert.deepEqual(request.messages[0], { role: "system", content: "sys" });
    assert.deepEqual(request.tools?.map((tool) => tool.name), ["f"]);
  });

  test("exactly one of contents and generateContentRequest, for the model in the URL", () => {
    const fails = (body: unknown, param: string) =>
      assert.throws(() => fromCountTokensBody("m", body), (error: unknown) => HearthError.isInstance(error) && error.code === "invalid_request" && error.param === param);
    fails({}, "contents");
    fails({ contents: [], generateContentRequest: { contents: [] } }, "contents");
    fails({ generateContentRequest: { model: "models/other", contents: [{ parts: [{ text: "x" }] }] } }, "generateContentRequest.model");
  });

  test("answers totalTokens", () => {
    assert.deepEqual(toCountTokensResponse(12), { totalTokens: 12 });
  });
});
