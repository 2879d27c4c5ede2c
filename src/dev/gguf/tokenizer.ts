/**
 * A real byte-level BPE vocabulary for generated models (llama.cpp's "gpt2" tokenizer model).
 * The 256 byte symbols come first (GPT-2's byte→unicode mapping), then merges learned
 * deterministically from a short built-in English text, then optional padding up to a requested
 * vocabulary size, then the special tokens. A real tokenizer keeps tokenization, detokenization
 * and chat templates honest even though the weights are random.
 */

/** llama.cpp token types written to `tokenizer.ggml.token_type`. */
export const tokenTypes = { normal: 1, control: 3 } as const;

/** A short original text the merges are learned from; its words become whole tokens. */
export const trainingText = `The hearth is the oldest room in the house. Long before there were kitchens and halls,
people gathered around one fire to cook, to talk and to keep warm through the night. The fire
was tended by everyone in turn: one person brought wood, another kept the embers alive, and the
children learned to watch the flames without getting too close.

A good fire needs three things: fuel, air and heat. Take away any one of them and the fire goes
out. Too much wood smothers the flame; too little and it burns down before the bread is baked.
The people who kept the hearth knew this, and they passed what they knew from one generation to
the next, in stories and in small habits that nobody ever wrote down.

Today most houses are warmed by machines that nobody sees, and the evening light comes from a
switch on the wall. Still, when the power fails on a winter night, we light candles, we find the
old blankets, and we sit together in one room. The questions we ask are the same ones our
grandparents asked: Is there enough to eat? Is everyone home? How long will the storm last?

This model was generated for testing. Its weights are random numbers, so it cannot answer those
questions, or any other question. It can only repeat patterns that are not there. That is fine:
the program that runs it should not care whether the words make sense. It should load the model,
count the tokens, stream the answer, stop when it is asked to stop, and report what it did.
Numbers like 0, 1, 2, 3, 10, 42, 100, 2048 and 65536 appear in tests, and so do words such as
model, token, request, response, message, stream, error, system, user, assistant and tool.
`;

/** The named special tokens every generated vocabulary carries. */
export const specialTokenTexts = {
  beginOfText: "<|begin_of_text|>",
  endOfText: "<|endoftext|>",
  imStart: "<|im_start|>",
  imEnd: "<|im_end|>",
} as const;

/** Special tokens reserved at the end of large vocabularies (Llama 3 reserves 256 in all). */
const maximumReservedTokens = 256 - Object.keys(specialTokenTexts).length;

/** GPT-2's reversible mapping from each byte to a printable unicode character. */
export const byteToSymbol: readonly string[] = (() => {
  const symbols: string[] = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte += 1) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    if (printable) {
      symbols[byte] = String.fromCodePoint(byte);
    } else {
      symbols[byte] = String.fromCodePoint(next);
      next += 1;
    }
  }
  return symbols;
})();

const symbolToByte: ReadonlyMap<string, number> = new Map(byteToSymbol.map((symbol, byte) => [symbol, byte]));

/**
 * Splits text into words the way llama.cpp's "llama-bpe" pre-tokenizer does (the Llama 3
 * pattern), so merges learned here and tokens produced by llama.cpp agree.
 */
const pretokenizePattern =
  /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

const textEncoder = new TextEncoder();

export function pretokenize(text: string): string[] {
  return text.match(pretokenizePattern) ?? [];
}

/** The byte symbols of one word's UTF-8 bytes. */
export function toSymbols(word: string): string[] {
  return Array.from(textEncoder.encode(word), (byte) => byteToSymbol[byte] ?? "");
}

/** The bytes a token text stands for. */
export function symbolsToBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const symbol of text) {
    const byte = symbolToByte.get(symbol);
    if (byte === undefined) throw new Error(`not a byte-level symbol: ${JSON.stringify(symbol)}`);
    bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}

/**
 * Learns up to `count` merges from `text`: repeatedly merges the most frequent adjacent pair
 * (ties broken by the pair's text, so the result is the same everywhere). Stops early when no pair
 * occurs at least twice.
 */
export function learnMerges(text: string, count: number): Array<readonly [string, string]> {
  const wordCounts = new Map<string, number>();
  for (const word of pretokenize(text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  const words = [...wordCounts].map(([word, frequency]) => ({ symbols: toSymbols(word), frequency }));
  const merges: Array<readonly [string, string]> = [];
  while (merges.length < count) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, frequency } of words) {
      for (let index = 0; index + 1 < symbols.length; index += 1) {
        const key = `${symbols[index]} ${symbols[index + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + frequency);
      }
    }
    let best: string | undefined;
    let bestCount = 1;
    for (const [key, frequency] of pairCounts) {
      if (frequency > bestCount || (frequency === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = frequency;
      }
    }
    if (best === undefined) break;
    const [left = "", right = ""] = best.split(" ");
    merges.push([left, right]);
    const merged = left + right;
    for (const word of words) {
      const next: string[] = [];
      for (let index = 0; index < word.symbols.length; index += 1) {
        if (word.symbols[index] === left && word.symbols[index + 1] === right) {
          next.push(merged);
          index += 1;
        } else {
          next.push(word.symbols[index] ?? "");
        }
      }
      word.symbols = next;
    }
  }
  return merges;
}

export interface VocabularyOptions {
  /** Pad to exactly this many tokens; by default the vocabulary is as small as it can be. */
  vocabSize?: number | undefined;
  /** How many merges to learn from the built-in text (fewer if the text runs out of pairs). */
  mergeCount?: number | undefined;
}

/** Everything the GGUF tokenizer metadata needs, plus the ids a test or a caller wants to know. */
export interface Vocabulary {
  tokens: string[];
  /** One of {@link tokenTypes} per token. */
  tokenTypes: number[];
  /** "left right" strings in rank order, as `tokenizer.ggml.merges` stores them. */
  merges: string[];
  beginOfTextId: number;
  endOfTextId: number;
  imStartId: number;
  imEndId: number;
  /** Ids of every control token. */
  controlIds: number[];
  /** First id of the unused `<|reserved_special_token_N|>` tokens at the end (the size if none). */
  reservedStartId: number;
}

export const defaultMergeCount = 320;

/** The smallest vocabulary size {@link buildVocabulary} can produce with this merge count. */
export function minimumVocabSize(mergeCount = defaultMergeCount): number {
  return buildVocabulary({ mergeCount }).tokens.length;
}

const builtInMerges = new Map<number, ReadonlyArray<readonly [string, string]>>();

/** Merges learned from {@link trainingText}, learned once per count. */
function trainedMerges(count: number): ReadonlyArray<readonly [string, string]> {
  let merges = builtInMerges.get(count);
  if (merges === undefined) {
    merges = learnMerges(trainingText, count);
    builtInMerges.set(count, merges);
  }
  return merges;
}

/**
 * Candidate padding tokens in a fixed order: lowercase "words" of 2, 3, ... letters, each with and
 * without a leading space. They decode to valid UTF-8, so a random model that picks them still
 * streams readable (if meaningless) text.
 */
function* paddingTexts(): Generator<string> {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const space = byteToSymbol[0x20] ?? "";
  for (let length = 2; ; length += 1) {
    const indexes = new Array<number>(length).fill(0);
    while (true) {
      const word = indexes.map((index) => letters[index] ?? "").join("");
      yield space + word;
      yield word;
      let position = length - 1;
      while (position >= 0 && indexes[position] === letters.length - 1) {
        indexes[position] = 0;
        position -= 1;
      }
      if (position < 0) break;
      indexes[position] = (indexes[position] ?? 0) + 1;
    }
  }
}

export function buildVocabulary(options: VocabularyOptions = {}): Vocabulary {
  const merges = trainedMerges(options.mergeCount ?? defaultMergeCount);
  const tokens: string[] = [...byteToSymbol];
  const known = new Set(tokens);
  for (const [left, right] of merges) {
    const merged = left + right;
    if (!known.has(merged)) {
      tokens.push(merged);
      known.add(merged);
    }
  }
  const named = Object.values(specialTokenTexts);
  const natural = tokens.length + named.length;
  const target = options.vocabSize ?? natural;
  if (!Number.isInteger(target) || target < natural) {
    throw new RangeError(`vocabSize must be an integer of at least ${natural}, got ${target}`);
  }
  const reserved = Math.min(target - natural, maximumReservedTokens);
  const padding = target - natural - reserved;
  if (padding > 0) {
    const limit = tokens.length + padding;
    for (const text of paddingTexts()) {
      if (tokens.length >= limit) break;
      if (known.has(text)) continue;
      tokens.push(text);
      known.add(text);
    }
  }
  const types: number[] = new Array<number>(tokens.length).fill(tokenTypes.normal);
  const controlIds: number[] = [];
  const addControl = (text: string): number => {
    tokens.push(text);
    types.push(tokenTypes.control);
    controlIds.push(tokens.length - 1);
    return tokens.length - 1;
  };
  const beginOfTextId = addControl(specialTokenTexts.beginOfText);
  const endOfTextId = addControl(specialTokenTexts.endOfText);
  const imStartId = addControl(specialTokenTexts.imStart);
  const imEndId = addControl(specialTokenTexts.imEnd);
  const reservedStartId = tokens.length;
  for (let index = 0; index < reserved; index += 1) addControl(`<|reserved_special_token_${index}|>`);
  return {
    tokens,
    tokenTypes: types,
    merges: merges.map(([left, right]) => `${left} ${right}`),
    beginOfTextId,
    endOfTextId,
    imStartId,
    imEndId,
    controlIds,
    reservedStartId,
  };
}

/**
 * Encodes and decodes with a {@link Vocabulary} the way llama.cpp's BPE does for "llama-bpe":
 * a word that is itself a token stays whole; otherwise the lowest-ranked merge applies first.
 * Special tokens in the text are not parsed (they encode as plain bytes).
 */
export class BpeTokenizer {
  readonly vocabulary: Vocabulary;
  #ids: Map<string, number>;
  #ranks: Map<string, number>;

  constructor(vocabulary: Vocabulary) {
    this.vocabulary = vocabulary;
    this.#ids = new Map();
    vocabulary.tokens.forEach((token, id) => {
      if (vocabulary.tokenTypes[id] === tokenTypes.normal) this.#ids.set(token, id);
    });
    this.#ranks = new Map(vocabulary.merges.map((merge, rank) => [merge, rank]));
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of pretokenize(text)) {
      const symbols = toSymbols(word);
      const whole = this.#ids.get(symbols.join(""));
      if (whole !== undefined) {
        ids.push(whole);
        continue;
      }
      let parts = symbols;
      while (parts.length > 1) {
        let bestRank = Infinity;
        let bestIndex = -1;
        for (let index = 0; index + 1 < parts.length; index += 1) {
          const rank = this.#ranks.get(`${parts[index]} ${parts[index + 1]}`);
          if (rank !== undefined && rank < bestRank) {
            bestRank = rank;
            bestIndex = index;
          }
        }
        if (bestIndex < 0) break;
        parts = [
          ...parts.slice(0, bestIndex),
          `${parts[bestIndex]}${parts[bestIndex + 1]}`,
          ...parts.slice(bestIndex + 2),
        ];
      }
      for (const part of parts) {
        const id = this.#ids.get(part);
        if (id !== undefined) {
          ids.push(id);
        } else {
          for (const symbol of part) ids.push(this.#ids.get(symbol) ?? 0);
        }
      }
    }
    return ids;
  }

  /** The bytes the ids stand for; control tokens contribute their text. */
  decodeBytes(ids: readonly number[]): Uint8Array {
    const chunks: Uint8Array[] = [];
    for (const id of ids) {
      const token = this.vocabulary.tokens[id];
      if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary`);
      chunks.push(
        this.vocabulary.tokenTypes[id] === tokenTypes.control ? textEncoder.encode(token) : symbolsToBytes(token),
      );
    }
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  }

  decode(ids: readonly number[]): string {
    return new TextDecoder().decode(this.decodeBytes(ids));
  }
}
