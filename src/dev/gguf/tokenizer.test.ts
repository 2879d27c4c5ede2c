import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BpeTokenizer,
  buildVocabulary,
  byteToSymbol,
  learnMerges,
  minimumVocabSize,
  specialTokenTexts,
  symbolsToBytes,
  tokenTypes,
  trainingText,
} from "./tokenizer.ts";

const samples = [
  "The hearth is the oldest room in the house.",
  "Hello, world! It's 2048 o'clock   now\n\n  ok\r\n",
  "naïve café 日本語 🔥🔥 emoji",
  "\u0000\u0001 control bytes \t tabs",
  "I'll we're THEY'RE don't",
  "1234567 numbers 3.14159",
  "",
];

describe("byte-level symbols", () => {
  test("map all 256 bytes to distinct single characters and back", () => {
    assert.equal(byteToSymbol.length, 256);
    assert.equal(new Set(byteToSymbol).size, 256);
    for (const symbol of byteToSymbol) assert.equal([...symbol].length, 1);
    assert.equal(byteToSymbol[0x41], "A");
    assert.equal(byteToSymbol[0x20], "Ġ");
    assert.equal(byteToSymbol[0x0a], "Ċ");
    assert.deepEqual(symbolsToBytes(byteToSymbol.join("")), Uint8Array.from({ length: 256 }, (_, byte) => byte));
  });
});

describe("learnMerges", () => {
  test("learns the same merges every time, none repeated", () => {
    const first = learnMerges(trainingText, 300);
    const second = learnMerges(trainingText, 300);
    assert.deepEqual(first, second);
    assert.ok(first.length >= 50 && first.length <= 300, `merge count ${first.length}`);
    assert.equal(new Set(first.map(([left, right]) => `${left} ${right}`)).size, first.length);
  });

  test("stops at the requested count and prefixes agree", () => {
    const short = learnMerges(trainingText, 20);
    assert.equal(short.length, 20);
    assert.deepEqual(short, learnMerges(trainingText, 300).slice(0, 20));
  });
});

describe("buildVocabulary", () => {
  test("puts byte symbols first, merged tokens next and control tokens last", () => {
    const vocabulary = buildVocabulary();
    assert.deepEqual(vocabulary.tokens.slice(0, 256), byteToSymbol);
    assert.equal(vocabulary.tokens.length, minimumVocabSize());
    assert.equal(vocabulary.tokenTypes.length, vocabulary.tokens.length);
    assert.equal(new Set(vocabulary.tokens).size, vocabulary.tokens.length);
    const named = Object.values(specialTokenTexts);
    assert.deepEqual(vocabulary.tokens.slice(-named.length), named);
    assert.deepEqual(vocabulary.controlIds, named.map((_, index) => vocabulary.tokens.length - named.length + index));
    for (const [id, type] of vocabulary.tokenTypes.entries()) {
      assert.equal(type, vocabulary.controlIds.includes(id) ? tokenTypes.control : tokenTypes.normal);
    }
    assert.equal(vocabulary.tokens[vocabulary.imStartId], "<|im_start|>");
    assert.equal(vocabulary.tokens[vocabulary.imEndId], "<|im_end|>");
    assert.equal(vocabulary.tokens[vocabulary.endOfTextId], "<|endoftext|>");
    assert.equal(vocabulary.tokens[vocabulary.beginOfTextId], "<|begin_of_text|>");
    assert.equal(vocabulary.reservedStartId, vocabulary.tokens.length);
  });

  test("every merge joins two existing tokens into an existing token", () => {
    const vocabulary = buildVocabulary();
    const tokens = new Set(vocabulary.tokens);
    for (const merge of vocabulary.merges) {
      const parts = merge.split(" ");
      assert.equal(parts.length, 2, merge);
      const [left = "", right = ""] = parts;
      assert.ok(tokens.has(left) && tokens.has(right) && tokens.has(left + right), merge);
    }
  });

  test("pads to an exact size with unique decodable tokens and reserved control tokens", () => {
    const size = minimumVocabSize() + 1000;
    const vocabulary = buildVocabulary({ vocabSize: size });
    assert.equal(vocabulary.tokens.length, size);
    assert.equal(vocabulary.tokenTypes.length, size);
    assert.equal(new Set(vocabulary.tokens).size, size);
    assert.equal(vocabulary.controlIds.length, 256);
    assert.equal(vocabulary.reservedStartId, size - 252);
    assert.equal(vocabulary.tokens[vocabulary.reservedStartId], "<|reserved_special_token_0|>");
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (const [id, token] of vocabulary.tokens.entries()) {
      if (vocabulary.tokenTypes[id] === tokenTypes.normal && id >= 256) {
        assert.ok(decoder.decode(symbolsToBytes(token)).length > 0, `token ${id}`);
      }
    }
  });

  test("reaches a Llama 3 sized vocabulary (128,256 tokens, 256 of them control)", () => {
    const vocabulary = buildVocabulary({ vocabSize: 128_256 });
    assert.equal(vocabulary.tokens.length, 128_256);
    assert.equal(new Set(vocabulary.tokens).size, 128_256);
    assert.equal(vocabulary.controlIds.length, 256);
  });

  test("rejects a vocabulary size below the minimum", () => {
    assert.throws(() => buildVocabulary({ vocabSize: minimumVocabSize() - 1 }), RangeError);
    assert.throws(() => buildVocabulary({ vocabSize: 1000.5 }), RangeError);
  });
});

describe("BpeTokenizer", () => {
  const tokenizer = new BpeTokenizer(buildVocabulary());

  test("decodes what it encodes, byte for byte", () => {
    const encoder = new TextEncoder();
    for (const text of samples) {
      const ids = tokenizer.encode(text);
      assert.deepEqual(tokenizer.decodeBytes(ids), encoder.encode(text), JSON.stringify(text));
      assert.equal(tokenizer.decode(ids), text);
    }
  });

  test("merges compress English text well below one token per byte", () => {
    const ids = tokenizer.encode(trainingText);
    const bytes = new TextEncoder().encode(trainingText).length;
    assert.ok(ids.length < bytes / 2, `${ids.length} tokens for ${bytes} bytes`);
  });

  test("never produces control tokens from plain text", () => {
    const ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>");
    for (const id of ids) assert.equal(tokenizer.vocabulary.tokenTypes[id], tokenTypes.normal);
  });

  test("decodes control tokens to their text", () => {
    const vocabulary = tokenizer.vocabulary;
    assert.equal(tokenizer.decode([vocabulary.imStartId, ...tokenizer.encode("user")]), "<|im_start|>user");
    assert.throws(() => tokenizer.decode([vocabulary.tokens.length]), RangeError);
  });
});
