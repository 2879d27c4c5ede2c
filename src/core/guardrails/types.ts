/**
 * The contract every sensitive-data recognizer follows. A recognizer is one small file that finds
 * one family of data (e-mail addresses, IBANs, AWS keys...) in a text and says, for each finding,
 * what it is, where it is, how sure it is and who found it. The detector (detector.ts) runs them
 * all over one text; policy (core/policy) decides what to do with the findings.
 *
 * Findings never carry the matched text: spans point into the scanned text, which the caller
 * already holds, so nothing sensitive is copied into logs, audit entries or error messages.
 */

/** Coarse family a data type belongs to; policy rules match on it ("pii", "secret"...). */
export type DataCategory = "pii" | "secret" | "dictionary" | "name";

/** Languages with context-word lists. */
export type ContextLanguage = "en" | "de" | "fr";

export interface Finding {
  /**
   * The data type, snake_case: "email", "phone", "payment_card", "iban", "us_ssn", "aws_access_key",
   * "private_key"... One recognizer may report several types.
   */
  type: string;
  category: DataCategory;
  /** UTF-16 offsets into the scanned text: text.slice(start, end) is the finding. */
  start: number;
  end: number;
  /** 0..1; validated checksums score high, bare shapes low, context words move it. */
  confidence: number;
  /** Id of the recognizer that made the finding. */
  recognizer: string;
}

export interface ScanOptions {
  /** Findings below this confidence are dropped by the detector (default 0.5). */
  minimumConfidence?: number;
}

export interface Recognizer {
  /** Stable id, kebab-case, e.g. "payment-card". */
  readonly id: string;
  readonly category: DataCategory;
  /** Every `type` this recognizer can report. */
  readonly types: readonly string[];
  /**
   * Appends findings for `text` to `out`. Must be fast: the detector runs every recognizer over
   * every message, so a recognizer rejects cheaply (indexOf / a literal-prefix regex) before any
   * expensive work, and never backtracks catastrophically on adversarial input.
   */
  scan(text: string, out: Finding[]): void;
}
