import { HearthError } from "../../spec/errors.ts";
import type { Finding } from "./types.ts";

/**
 * Reversible redaction: when policy says `redact` for a destination, every finding in the request
 * is replaced by a stable placeholder such as `<EMAIL_1>`, the redacted request goes to the model,
 * and the originals are put back into the model's answer (whole, streamed, or as parsed JSON)
 * before it reaches the client. The model never sees the data; the client never sees the
 * placeholders.
 *
 * Placeholders are `<LABEL_N>`: LABEL is the finding's type upper-cased with every character
 * outside A-Z and 0-9 turned into `_` (dictionary types included), N counts from 1 per label in
 * order of first appearance. One session covers one request (all its messages): the same original
 * value always gets the same placeholder, so a history that repeats an e-mail says `<EMAIL_1>`
 * everywhere, and redacting the same messages in a fresh session gives the same text again.
 *
 * Restoring replaces every `<word>` token (a `<`, a run of ASCII letters, digits and `_`, a `>`)
 * whose upper-cased form is a placeholder of this session. Models sometimes change the case of a
 * placeholder, so `<email_1>` restores too; nothing fuzzier does (`<EMAIL 1>`, `<EMAIL-1>` stay
 * as written), because a looser match could put data where the model meant something else.
 *
 * Collisions with text the user typed. A message may already contain something that looks like a
 * placeholder (a user pasting `<EMAIL_1>`, or a previous redacted answer). Restoring must never
 * turn such literal text into someone's data, so before a text is redacted every `<word>` token
 * between the findings is checked:
 * - if the session has not handed that placeholder out yet, it is *reserved*: the text is left as
 *   is, and numbering skips it (a user-typed `<EMAIL_1>` makes the first real e-mail `<EMAIL_2>`);
 *   restoring leaves it alone, since the session never maps it;
 * - if the session already handed it out (an earlier message of the same request got it), the
 *   literal is itself replaced by a placeholder of type {@link placeholderLiteralType}, which
 *   restores to the literal text the user typed.
 * Either way every placeholder in the redacted text maps to exactly one original, and
 * `restore(redact(text))` gives back `text` for any text and any findings. Call `redact` for
 * every text sent to the model, with an empty finding list where there are none, so literals in
 * those texts are reserved too.
 *
 * Findings never carry text and entries never expose originals: the audit layer sees types and
 * placeholders; only `originalOf` reveals a value, so reading one is a deliberate act.
 */

/**
 * Type given to a user-typed placeholder-like literal that collided with a placeholder the session
 * already handed out; the audit layer can leave these out of its counts, since they are not data.
 */
export const placeholderLiteralType = "placeholder_literal";

/** What the audit/explain layer may know about one mapping: never the original value. */
export interface RedactionEntry {
  readonly type: string;
  readonly placeholder: string;
}

/** Restores a streamed answer chunk by chunk, holding back only what may still become a placeholder. */
export interface StreamRestorer {
  /** Takes the next delta; returns the text that is safe to emit now (possibly empty). */
  push(delta: string): string;
  /** Returns everything still held back; call once at the end of the stream. */
  flush(): string;
}

/** The two-way mapping for one request; see the module documentation for the scheme. */
export interface RedactionSession {
  /** Replaces each finding in `text` by its placeholder; overlapping findings: the first applied wins. */
  redact(text: string, findings: readonly Finding[]): string;
  /** Replaces every known placeholder (any letter case) in `text` by its original. */
  restore(text: string): string;
  /**
   * A restorer for one streamed answer. Emitted text, concatenated, equals `restore` of the whole
   * answer for any chunking, as long as the session does not redact more while it streams.
   */
  createStreamRestorer(): StreamRestorer;
  /** Deep copy of parsed JSON with every string, object keys included, restored. */
  restoreJson(value: unknown): unknown;
  /** Number of placeholders handed out. */
  readonly size: number;
  /** Placeholders handed out, in order; types and placeholders only. */
  entries(): RedactionEntry[];
  /** The original behind a placeholder (any letter case), or undefined when it is not one of ours. */
  originalOf(placeholder: string): string | undefined;
}

/** A `<word>` token: the only shape restore ever touches. */
const tokenPattern = /<[A-Za-z0-9_]+>/g;
const tokenCharacter = /^[A-Za-z0-9_]*$/;

/** The label of a type inside a placeholder or a log mask: upper-cased, A-Z0-9 and `_` only. */
export function placeholderLabel(type: string): string {
  const label = type.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return label.length > 0 ? label : "DATA";
}

/**
 * The findings that will be applied, sorted by start (longer first on a tie), dropping empty ones
 * and any that overlaps one already kept. Offsets out of range are a detector bug; they fail the
 * request rather than risk sending data the detector meant to hide.
 */
function applicableFindings(text: string, findings: readonly Finding[]): Finding[] {
  for (const finding of findings) {
    const { start, end } = finding;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end) {
      throw new HearthError(
        "internal",
        `Finding of type ${finding.type} from ${finding.recognizer} has offsets ${start}..${end} outside a text of length ${text.length}.`,
      );
    }
  }
  const sorted = findings.filter((finding) => finding.end > finding.start).sort((left, right) => left.start - right.start || right.end - left.end);
  const kept: Finding[] = [];
  let coveredUntil = 0;
  for (const finding of sorted) {
    if (finding.start < coveredUntil) continue;
    kept.push(finding);
    coveredUntil = finding.end;
  }
  return kept;
}

/**
 * Masks each finding with `[TYPE]` for places where nothing is restored (logs, previews, error
 * reports): the mask says what was there without a number that could be linked across texts.
 */
export function redactForLog(text: string, findings: readonly Finding[]): string {
  const applied = applicableFindings(text, findings);
  if (applied.length === 0) return text;
  let out = "";
  let position = 0;
  for (const finding of applied) {
    out += text.slice(position, finding.start) + `[${placeholderLabel(finding.type)}]`;
    position = finding.end;
  }
  return out + text.slice(position);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Starts an empty session for one request. */
export function createRedactionSession(): RedactionSession {
  /** original value → placeholder */
  const placeholderOf = new Map<string, string>();
  /** upper-cased placeholder → original value */
  const originalByPlaceholder = new Map<string, string>();
  const entryList: RedactionEntry[] = [];
  /** upper-cased tokens found in input text that the session must never hand out */
  const reserved = new Set<string>();
  /** label → last number handed out */
  const counters = new Map<string, number>();
  let longestPlaceholder = 0;

  const assign = (value: string, type: string): string => {
    const existing = placeholderOf.get(value);
    if (existing !== undefined) return existing;
    const label = placeholderLabel(type);
    let number = counters.get(label) ?? 0;
    let placeholder: string;
    do {
      number += 1;
      placeholder = `<${label}_${number}>`;
    } while (reserved.has(placeholder) || originalByPlaceholder.has(placeholder));
    counters.set(label, number);
    placeholderOf.set(value, placeholder);
    originalByPlaceholder.set(placeholder, value);
    entryList.push({ type, placeholder });
    if (placeholder.length > longestPlaceholder) longestPlaceholder = placeholder.length;
    return placeholder;
  };

  /** Reserves the tokens in a stretch of input that the session has not handed out. */
  const reserveLiterals = (gap: string): void => {
    if (!gap.includes("<")) return;
    for (const match of gap.matchAll(tokenPattern)) {
      const canonical = match[0].toUpperCase();
      if (!originalByPlaceholder.has(canonical)) reserved.add(canonical);
    }
  };

  /** Copies a stretch of input, replacing literals that collide with handed-out placeholders. */
  const escapeLiterals = (gap: string): string => {
    if (!gap.includes("<")) return gap;
    return gap.replace(tokenPattern, (token) => {
      if (!originalByPlaceholder.has(token.toUpperCase())) return token;
      return assign(token, placeholderLiteralType);
    });
  };

  const restore = (text: string): string => {
    if (originalByPlaceholder.size === 0 || !text.includes("<")) return text;
    return text.replace(tokenPattern, (token) => originalByPlaceholder.get(token.toUpperCase()) ?? token);
  };

  const restoreJson = (value: unknown): unknown => {
    if (typeof value === "string") return restore(value);
    if (Array.isArray(value)) return value.map(restoreJson);
    if (typeof value === "object" && value !== null && isPlainObject(value)) {
      // fromEntries defines own properties, so a "__proto__" key stays data.
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [restore(key), restoreJson(item)]));
    }
    return value;
  };

  return {
    redact(text, findings) {
      const applied = applicableFindings(text, findings);
      let position = 0;
      for (const finding of applied) {
        reserveLiterals(text.slice(position, finding.start));
        position = finding.end;
      }
      reserveLiterals(text.slice(position));

      let out = "";
      position = 0;
      for (const finding of applied) {
        out += escapeLiterals(text.slice(position, finding.start));
        out += assign(text.slice(finding.start, finding.end), finding.type);
        position = finding.end;
      }
      return out + escapeLiterals(text.slice(position));
    },

    restore,

    createStreamRestorer() {
      let held = "";
      return {
        push(delta) {
          const buffer = held + delta;
          held = "";
          const start = buffer.lastIndexOf("<");
          if (start === -1) return restore(buffer);
          const tail = buffer.slice(start + 1);
          // `<` + tail could still become a placeholder only if tail is all token characters and
          // short enough; otherwise no token can start there and everything is final.
          if (tail.length + 1 < longestPlaceholder && tokenCharacter.test(tail)) {
            held = buffer.slice(start);
            return restore(buffer.slice(0, start));
          }
          return restore(buffer);
        },
        flush() {
          const rest = held;
          held = "";
          return restore(rest);
        },
      };
    },

    restoreJson,

    get size() {
      return entryList.length;
    },

    entries() {
      return entryList.map((entry) => ({ type: entry.type, placeholder: entry.placeholder }));
    },

    originalOf(placeholder) {
      return originalByPlaceholder.get(placeholder.toUpperCase());
    },
  };
}
