import type { ContextLanguage } from "../types.ts";
import {
  emailAddress,
  generatedTypes,
  generateHardNegative,
  generateValue,
  hardNegativeKinds,
  type GeneratedType,
  type GeneratedValue,
  type HardNegativeKind,
} from "./generators.ts";
import {
  assistantFiller,
  chatRoles,
  codeComments,
  emailClosings,
  emailFiller,
  emailGreetings,
  emailSubjects,
  logMessages,
  logMessagesLocalized,
  negativeKeysFor,
  negativeSentences,
  userFiller,
  valueKeys,
  valueSentences,
  valueTemplates,
} from "./phrases.ts";
import { createRandom, hexLower, alphanumeric, type Random } from "./random.ts";
import { companyWords, firstNames, lastNames, serviceNames } from "./vocabulary.ts";

/**
 * The labelled evaluation set: synthetic documents in the five shapes text reaches Hearth in —
 * chat transcripts, e-mails, application logs, JSON payloads and source code — with generated
 * values embedded at known spans and realistic surroundings (context words in en/de/fr, key
 * names, escaping). Every fifth document holds only hard negatives, and the others carry some
 * too, so precision is measured on the near misses that matter.
 *
 * Labelled spans follow two rules: a span is the value itself, never its key word ("IBAN:",
 * "Bearer "), and for a password inside a connection string only the password. Person and
 * organisation names appear (greetings, signatures) but are not labelled: the scorer leaves those
 * types out. JSON and log escaping is applied to the text, so a private key in a JSON string is
 * labelled in its escaped form (`\n` as two characters), exactly as the detector will see it.
 */

export type DocumentFormat = "chat" | "email" | "log" | "json" | "code";

export const documentFormats: readonly DocumentFormat[] = ["chat", "email", "log", "json", "code"];

export interface LabelledSpan {
  type: GeneratedType;
  /** UTF-16 offsets, like Finding's. */
  start: number;
  end: number;
}

export interface LabelledDocument {
  /** "<format>-<index>", stable for a seed; reports name documents by id, never by content. */
  id: string;
  format: DocumentFormat;
  language: ContextLanguage;
  text: string;
  spans: LabelledSpan[];
  /** Where the hard negatives are (not labels: for explaining false positives in reports). */
  negatives: NegativeSpan[];
}

export interface NegativeSpan {
  kind: HardNegativeKind;
  start: number;
  end: number;
}

export interface EvalSetOptions {
  seed: number;
  documentsPerFormat: number;
}

/** What a document is built from: a labelled value of a type, or a hard negative of a kind. */
export type DocumentItem = { kind: "value"; type: GeneratedType } | { kind: "negative"; negative: HardNegativeKind };

/** A value to place: labelled (type set) or a hard negative (type undefined). */
interface Piece {
  type: GeneratedType | undefined;
  negative?: HardNegativeKind;
  value: GeneratedValue;
  /** Sentence and key names that fit this piece. */
  sentences: readonly string[];
  keys: readonly string[];
  keyValueTemplate: string;
}

type Escape = (text: string) => string;

const unchanged: Escape = (text) => text;
const jsonEscape: Escape = (text) => JSON.stringify(text).slice(1, -1);
const newlineEscape: Escape = (text) => text.replaceAll("\n", "\\n");

interface TextBuilder {
  add(text: string): void;
  addPiece(piece: Piece, escape?: Escape): void;
  /** Places the piece inside a "{}" template; the template text is escaped too. */
  addTemplate(template: string, piece: Piece, escape?: Escape): void;
  readonly length: number;
  finish(): { text: string; spans: LabelledSpan[]; negatives: NegativeSpan[] };
}

function createBuilder(): TextBuilder {
  let text = "";
  const spans: LabelledSpan[] = [];
  const negatives: NegativeSpan[] = [];
  const builder: TextBuilder = {
    add(part) {
      text += part;
    },
    addPiece(piece, escape = unchanged) {
      const { value } = piece;
      text += escape(value.text.slice(0, value.start));
      const start = text.length;
      text += escape(value.text.slice(value.start, value.end));
      if (piece.type !== undefined) spans.push({ type: piece.type, start, end: text.length });
      if (piece.negative !== undefined) negatives.push({ kind: piece.negative, start, end: text.length });
      text += escape(value.text.slice(value.end));
    },
    addTemplate(template, piece, escape = unchanged) {
      const marker = template.indexOf("{}");
      if (marker === -1) throw new Error(`template without {}: ${template}`);
      builder.add(escape(template.slice(0, marker)));
      builder.addPiece(piece, escape);
      builder.add(escape(template.slice(marker + 2)));
    },
    get length() {
      return text.length;
    },
    finish: () => ({ text, spans, negatives }),
  };
  return builder;
}

function makePiece(item: DocumentItem, random: Random, language: ContextLanguage): Piece {
  if (item.kind === "value") {
    return {
      type: item.type,
      value: generateValue(item.type, random, language),
      sentences: valueSentences[item.type][language],
      keys: valueKeys[item.type],
      keyValueTemplate: valueTemplates[item.type] ?? "{}",
    };
  }
  const text = generateHardNegative(item.negative, random, language);
  return {
    type: undefined,
    negative: item.negative,
    value: { text, start: 0, end: text.length },
    sentences: negativeSentences[item.negative][language],
    keys: negativeKeysFor(item.negative, text),
    keyValueTemplate: "{}",
  };
}

function personName(random: Random, language: ContextLanguage): { first: string; last: string } {
  return { first: random.pick(firstNames[language]), last: random.pick(lastNames[language]) };
}

function isoTimestamp(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}

function wordsToSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
}

function upperSnake(key: string): string {
  return wordsToSnake(key).toUpperCase();
}

function camel(key: string): string {
  return wordsToSnake(key).replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

interface FormatContext {
  random: Random;
  language: ContextLanguage;
  pieces: Piece[];
  /** Characters of filler to add around each piece (roughly). */
  fillerPerPiece: number;
}

// ── Chat transcripts ─────────────────────────────────────────────────────────────────────────

function buildChat(builder: TextBuilder, context: FormatContext): void {
  const { random, language } = context;
  const [user, assistant] = chatRoles[language];
  const fillerTurn = () => {
    builder.add(`${user}: ${random.pick(userFiller[language])}\n`);
    builder.add(`${assistant}: ${random.pick(assistantFiller[language])} ${random.pick(assistantFiller[language])}\n`);
  };
  if (random.chance(0.5)) fillerTurn();
  for (const piece of context.pieces) {
    const start = builder.length;
    builder.add(`${user}: `);
    if (random.chance(0.4)) builder.add(`${random.pick(userFiller[language])} `);
    builder.addTemplate(random.pick(piece.sentences), piece);
    if (random.chance(0.3)) builder.add(` ${random.pick(userFiller[language])}`);
    builder.add(`\n${assistant}: ${random.pick(assistantFiller[language])}\n`);
    while (builder.length - start < context.fillerPerPiece) fillerTurn();
  }
}

// ── E-mails ──────────────────────────────────────────────────────────────────────────────────

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function mailDate(random: Random): string {
  const date = new Date(Date.UTC(2024, 0, 1) + random.integer(0, 700) * 86_400_000 + random.integer(0, 86_399) * 1000);
  const time = date.toISOString().slice(11, 19);
  return `${weekdays[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${time} ${random.pick(["+0000", "+0100", "+0200"])}`;
}

function emailPiece(random: Random, language: ContextLanguage): Piece {
  const text = emailAddress(random, language);
  return { type: "email", value: { text, start: 0, end: text.length }, sentences: [], keys: [], keyValueTemplate: "{}" };
}

function buildEmail(builder: TextBuilder, context: FormatContext): void {
  const { random, language } = context;
  const sender = personName(random, language);
  const recipient = personName(random, language);
  builder.add(`From: ${sender.first} ${sender.last} <`);
  builder.addPiece(emailPiece(random, language));
  builder.add(`>\nTo: ${recipient.first} ${recipient.last} <`);
  builder.addPiece(emailPiece(random, language));
  builder.add(`>\nSubject: ${random.pick(emailSubjects[language])}\nDate: ${mailDate(random)}\n\n`);
  builder.add(`${random.pick(emailGreetings[language]).replace("{}", recipient.first)}\n\n${random.pick(emailFiller[language])}\n\n`);
  for (const piece of context.pieces) {
    const start = builder.length;
    if (random.chance(0.5)) builder.add(`${random.pick(emailFiller[language])} `);
    builder.addTemplate(random.pick(piece.sentences), piece);
    builder.add("\n\n");
    while (builder.length - start < context.fillerPerPiece) builder.add(`${random.pick(emailFiller[language])}\n\n`);
  }
  builder.add(`${random.pick(emailClosings[language])}\n${sender.first} ${sender.last}\n`);
  if (random.chance(0.5)) {
    builder.add(language === "fr" ? "Tél. : " : language === "de" ? "Tel.: " : "Phone: ");
    builder.addPiece({ type: "phone", value: generateValue("phone", random, language), sentences: [], keys: [], keyValueTemplate: "{}" });
    builder.add("\n");
  }
  builder.add(`${random.pick(companyWords)} ${random.pick(["GmbH", "Ltd", "SAS", "Inc.", "AG", "SARL"])}\n`);
}

// ── Application logs ─────────────────────────────────────────────────────────────────────────

function uuid(random: Random): string {
  const hex = random.string(hexLower, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function buildLog(builder: TextBuilder, context: FormatContext): void {
  const { random, language } = context;
  let clock = Date.UTC(2025, random.integer(0, 11), random.integer(1, 28), random.integer(0, 23)) + random.integer(0, 3_600_000);
  const service = random.pick(serviceNames);
  const prefix = (level: string) => {
    clock += random.integer(1, 2500);
    return `${isoTimestamp(clock)} ${level.padEnd(5)} [${service}] `;
  };
  const noise = () => {
    const message = random.chance(0.8) ? random.pick(logMessages) : random.pick(logMessagesLocalized[language]);
    builder.add(`${prefix(random.pick(["INFO", "INFO", "DEBUG", "WARN"]))}${message} request_id=${uuid(random)} duration_ms=${random.integer(1, 900)} status=${random.pick([200, 200, 201, 204, 304, 404, 500])}\n`);
  };
  noise();
  for (const piece of context.pieces) {
    const start = builder.length;
    if (random.chance(0.7)) {
      const key = random.pick(piece.keys);
      builder.add(`${prefix(random.pick(["INFO", "DEBUG", "WARN", "ERROR"]))}${random.pick(logMessagesLocalized[language])} ${key}=`);
      const needsQuotes = /[\s"]/.test(piece.value.text) || piece.keyValueTemplate.includes(" ");
      builder.add(needsQuotes ? '"' : "");
      builder.addTemplate(piece.keyValueTemplate, piece, newlineEscape);
      builder.add(`${needsQuotes ? '"' : ""} request_id=${uuid(random)}\n`);
    } else {
      builder.add(prefix(random.pick(["INFO", "WARN", "ERROR"])));
      builder.addTemplate(random.pick(piece.sentences), piece);
      builder.add("\n");
    }
    while (builder.length - start < context.fillerPerPiece) noise();
  }
}

// ── JSON payloads ────────────────────────────────────────────────────────────────────────────

function fillerField(random: Random): [string, string] {
  return random.pick<[string, string]>([
    ["status", '"active"'],
    ["currency", `"${random.pick(["EUR", "USD", "GBP", "CHF"])}"`],
    ["amount", String(random.integer(100, 99_999) / 100)],
    ["items", String(random.integer(1, 12))],
    ["locale", `"${random.pick(["en-GB", "de-DE", "fr-FR", "en-US"])}"`],
    ["newsletter", random.pick(["true", "false"])],
    ["plan", `"${random.pick(["free", "pro", "team", "enterprise"])}"`],
    ["retries", String(random.integer(0, 5))],
    ["source", `"${random.pick(["web", "ios", "android", "api"])}"`],
    ["note", JSON.stringify(random.pick(userFiller.en))],
  ]);
}

function buildJsonEvent(builder: TextBuilder, context: FormatContext): void {
  const { random } = context;
  const pretty = random.chance(0.6);
  const newline = pretty ? "\n" : "";
  const indent = (depth: number) => (pretty ? "  ".repeat(depth) : "");
  const separator = pretty ? ": " : ":";
  builder.add(`{${newline}${indent(1)}"id"${separator}"evt_${random.string(alphanumeric, 24)}",${newline}`);
  builder.add(`${indent(1)}"type"${separator}"${random.pick(["customer.updated", "order.created", "payout.failed", "user.signup"])}",${newline}`);
  builder.add(`${indent(1)}"created"${separator}${1_700_000_000 + random.integer(0, 60_000_000)},${newline}${indent(1)}"data"${separator}{${newline}`);
  const used = new Set<string>();
  const uniqueKey = (key: string) => {
    let candidate = key;
    for (let suffix = 2; used.has(candidate); suffix += 1) candidate = `${key}_${suffix}`;
    used.add(candidate);
    return candidate;
  };
  const fields: Array<() => void> = [];
  for (const piece of context.pieces) {
    fields.push(() => {
      builder.add(`${indent(2)}"${uniqueKey(random.pick(piece.keys))}"${separator}"`);
      builder.addTemplate(piece.keyValueTemplate, piece, jsonEscape);
      builder.add('"');
    });
    for (let filler = 0; filler * 28 < context.fillerPerPiece; filler += 1) {
      const [key, value] = fillerField(random);
      fields.push(() => builder.add(`${indent(2)}"${uniqueKey(key)}"${separator}${value}`));
    }
  }
  const shuffled = random.shuffle(fields);
  shuffled.forEach((field, index) => {
    field();
    builder.add(index < shuffled.length - 1 ? `,${newline}` : newline);
  });
  builder.add(`${indent(1)}}${newline}}`);
}

function buildJsonChatRequest(builder: TextBuilder, context: FormatContext): void {
  const { random, language } = context;
  builder.add(`{"model":"${random.pick(["gpt-4o-mini", "claude-sonnet", "llama-3.1-8b", "mistral-small"])}","messages":[`);
  builder.add(`{"role":"system","content":${JSON.stringify(random.pick(assistantFiller[language]))}}`);
  for (const piece of context.pieces) {
    const start = builder.length;
    builder.add(`,{"role":"user","content":"`);
    if (random.chance(0.4)) builder.add(jsonEscape(`${random.pick(userFiller[language])} `));
    builder.addTemplate(random.pick(piece.sentences), piece, jsonEscape);
    builder.add(`"},{"role":"assistant","content":${JSON.stringify(random.pick(assistantFiller[language]))}}`);
    while (builder.length - start < context.fillerPerPiece) {
      builder.add(`,{"role":"user","content":${JSON.stringify(random.pick(userFiller[language]))}}`);
      builder.add(`,{"role":"assistant","content":${JSON.stringify(random.pick(assistantFiller[language]))}}`);
    }
  }
  builder.add(`],"temperature":${random.pick(["0", "0.2", "0.7"])},"stream":${random.pick(["true", "false"])}}`);
}

function buildJson(builder: TextBuilder, context: FormatContext): void {
  if (context.random.chance(0.6)) buildJsonEvent(builder, context);
  else buildJsonChatRequest(builder, context);
}

// ── Source code and configuration ────────────────────────────────────────────────────────────

const pythonFiller = [
  "import os",
  "import logging",
  "logger = logging.getLogger(__name__)",
  "TIMEOUT_SECONDS = 30",
  "def handler(event, context):\n    return {\"statusCode\": 200}",
  "MAX_RETRIES = 5",
  "session = requests.Session()",
];
const javascriptFiller = [
  "import express from \"express\";",
  "const app = express();",
  "app.use(express.json());",
  "const port = Number(settings.port ?? 3000);",
  "export const retries = 3;",
  "app.listen(port, () => console.log(`listening on ${port}`));",
];
const envFiller = ["NODE_ENV=production", "PORT=8080", "LOG_LEVEL=info", "FEATURE_NEW_CHECKOUT=true", "TZ=Europe/Berlin", "WORKERS=4"];
const yamlFiller = ["replicas: 3", "image: registry.internal/app:1.4.2", "logLevel: info", "timeoutSeconds: 30", "region: eu-central-1"];

type CodeStyle = "env" | "python" | "javascript" | "yaml";

function buildCode(builder: TextBuilder, context: FormatContext): void {
  const { random, language } = context;
  const style = random.pick<CodeStyle>(["env", "python", "javascript", "yaml"]);
  const comment = (text: string) => (style === "javascript" ? `// ${text}\n` : `# ${text}\n`);
  const filler = { env: envFiller, python: pythonFiller, javascript: javascriptFiller, yaml: yamlFiller }[style];
  const indent = style === "yaml" ? "  " : "";
  builder.add(comment(random.pick(codeComments[language])));
  if (style === "yaml") builder.add(`${random.pick(serviceNames)}:\n`);
  const fillerLine = () => builder.add(`${indent}${random.pick(filler)}\n`);
  for (const piece of context.pieces) {
    const start = builder.length;
    if (random.chance(0.3)) builder.add(`${indent}${comment(random.pick(codeComments[language]))}`);
    const key = random.pick(piece.keys);
    const multiline = piece.value.text.includes("\n");
    if (random.chance(0.15) && !multiline) {
      builder.add(indent + (style === "javascript" ? "// " : "# "));
      builder.addTemplate(random.pick(piece.sentences), piece);
      builder.add("\n");
    } else if (style === "env") {
      builder.add(`${upperSnake(key)}=`);
      const quoted = multiline || /\s/.test(piece.value.text) || piece.keyValueTemplate.includes(" ");
      builder.add(quoted ? '"' : "");
      builder.addTemplate(piece.keyValueTemplate, piece, newlineEscape);
      builder.add(quoted ? '"\n' : "\n");
    } else if (style === "python") {
      const quote = multiline ? '"""' : '"';
      builder.add(`${random.chance(0.5) ? upperSnake(key) : wordsToSnake(key)} = ${quote}`);
      builder.addTemplate(piece.keyValueTemplate, piece);
      builder.add(`${quote}\n`);
    } else if (style === "javascript") {
      const quote = multiline ? "`" : random.pick(['"', "'"]);
      builder.add(`const ${camel(key)} = ${quote}`);
      builder.addTemplate(piece.keyValueTemplate, piece);
      builder.add(`${quote};\n`);
    } else if (multiline) {
      builder.add(`  ${key}: |\n    `);
      builder.addTemplate(piece.keyValueTemplate, piece, (text) => text.replaceAll("\n", "\n    "));
      builder.add("\n");
    } else {
      builder.add(`  ${key}: "`);
      builder.addTemplate(piece.keyValueTemplate, piece);
      builder.add('"\n');
    }
    while (builder.length - start < context.fillerPerPiece) {
      if (random.chance(0.2)) builder.add(`${indent}${comment(random.pick(codeComments[language]))}`);
      else fillerLine();
    }
  }
}

const formatBuilders: Record<DocumentFormat, (builder: TextBuilder, context: FormatContext) => void> = {
  chat: buildChat,
  email: buildEmail,
  log: buildLog,
  json: buildJson,
  code: buildCode,
};

/** Endless round-robin over `items`, reshuffled every round, so every type gets equal support. */
function createCycle<T>(random: Random, items: readonly T[]): () => T {
  let queue: T[] = [];
  return () => {
    if (queue.length === 0) queue = random.shuffle(items);
    return queue.pop() as T;
  };
}

/** Builds one document of `format` from the given items (exported for tests and the throughput corpus). */
export function buildDocument(
  id: string,
  format: DocumentFormat,
  language: ContextLanguage,
  items: readonly DocumentItem[],
  random: Random,
  fillerPerPiece: number,
): LabelledDocument {
  const builder = createBuilder();
  const pieces = items.map((item) => makePiece(item, random, language));
  formatBuilders[format](builder, { random, language, pieces, fillerPerPiece });
  return { id, format, language, ...builder.finish() };
}


function documentLanguage(format: DocumentFormat, index: number, random: Random): ContextLanguage {
  if (format === "chat" || format === "email") return (["en", "de", "fr"] as const)[index % 3] as ContextLanguage;
  return random.pick<ContextLanguage>(["en", "en", "en", "de", "fr"]);
}

/**
 * The evaluation set: `documentsPerFormat` documents of each format, deterministic for `seed`.
 * Every fifth document of a format (index 4, 9, …) contains only hard negatives; the others hold
 * two to five labelled values (round-robin over all types, so supports are even) and one or two
 * hard negatives.
 */
export function generateEvalSet(options: EvalSetOptions): LabelledDocument[] {
  if (!Number.isInteger(options.documentsPerFormat) || options.documentsPerFormat < 1) throw new RangeError("documentsPerFormat must be a positive integer");
  const root = createRandom(options.seed);
  const documents: LabelledDocument[] = [];
  for (const format of documentFormats) {
    const random = root.fork();
    const nextType = createCycle(random, generatedTypes);
    const nextNegative = createCycle(random, hardNegativeKinds);
    for (let index = 0; index < options.documentsPerFormat; index += 1) {
      const language = documentLanguage(format, index, random);
      const negativesOnly = index % 5 === 4;
      const items: DocumentItem[] = [];
      const values = negativesOnly ? 0 : random.integer(2, 5);
      const negatives = negativesOnly ? random.integer(3, 5) : random.integer(1, 2);
      for (let count = 0; count < values; count += 1) items.push({ kind: "value", type: nextType() });
      for (let count = 0; count < negatives; count += 1) items.push({ kind: "negative", negative: nextNegative() });
      const id = `${format}-${String(index).padStart(4, "0")}`;
      documents.push(buildDocument(id, format, language, random.shuffle(items), random, random.integer(60, 400)));
    }
  }
  return documents;
}

export interface MixedTextOptions {
  seed: number;
  /** Stop once the texts hold at least this many characters. */
  characters: number;
  /** About one labelled value per this many characters (default 2000). */
  charactersPerValue?: number;
}

/**
 * Mixed text for the throughput benchmark: documents of every format and language, each one to
 * eight values with realistic filler in between (about one sensitive value per 2 kB), so texts
 * are 2–16 kB — the size of a chat message or a pasted log. Hard negatives ride along.
 */
export function generateMixedText(options: MixedTextOptions): LabelledDocument[] {
  const random = createRandom(options.seed);
  const perValue = options.charactersPerValue ?? 2000;
  const nextType = createCycle(random, generatedTypes);
  const nextNegative = createCycle(random, hardNegativeKinds);
  const documents: LabelledDocument[] = [];
  let total = 0;
  for (let index = 0; total < options.characters; index += 1) {
    const format = random.pick(documentFormats);
    const language = random.pick<ContextLanguage>(["en", "en", "de", "fr"]);
    const items: DocumentItem[] = [];
    const values = random.integer(1, 8);
    for (let count = 0; count < values; count += 1) items.push({ kind: "value", type: nextType() });
    if (random.chance(0.5)) items.push({ kind: "negative", negative: nextNegative() });
    const document = buildDocument(`mixed-${index}`, format, language, random.shuffle(items), random, perValue);
    documents.push(document);
    total += document.text.length;
  }
  return documents;
}
