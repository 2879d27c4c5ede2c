import { createDetector } from "./detector.ts";
import { createDictionaryRecognizer } from "./recognizers/dictionary.ts";
import { piiRecognizers } from "./recognizers/pii/index.ts";
import { secretRecognizers } from "./recognizers/secrets/index.ts";
import type { Finding, Recognizer } from "./types.ts";

export interface SensitiveDataOptions {
  /** Findings below this confidence are ignored (default 0.5). */
  minimumConfidence?: number | undefined;
  /** Data types not to report. */
  disable?: readonly string[] | undefined;
  /** User dictionaries (customers, projects, employees). */
  dictionaries?: ReadonlyArray<{ type: string; terms: readonly string[]; fuzzy?: boolean | undefined }> | undefined;
}

export interface SensitiveDataDetector {
  scan(text: string): Finding[];
  readonly recognizers: readonly Recognizer[];
}

/** Every built-in recognizer plus the user's dictionaries, minus the disabled types. */
export function createSensitiveDataDetector(options: SensitiveDataOptions = {}): SensitiveDataDetector {
  const disabled = new Set(options.disable ?? []);
  const recognizers: Recognizer[] = [...piiRecognizers(), ...secretRecognizers()].filter((recognizer) => !recognizer.types.every((type) => disabled.has(type)));
  const dictionaries = (options.dictionaries ?? []).filter((dictionary) => dictionary.terms.length > 0);
  if (dictionaries.length > 0) {
    recognizers.push(createDictionaryRecognizer({ entries: dictionaries.map((dictionary) => ({ type: dictionary.type, terms: dictionary.terms, fuzzy: dictionary.fuzzy ?? false })) }));
  }
  const detector = createDetector(recognizers, { minimumConfidence: options.minimumConfidence });
  return {
    recognizers: detector.recognizers,
    scan(text) {
      const findings = detector.scan(text);
      return disabled.size === 0 ? findings : findings.filter((finding) => !disabled.has(finding.type));
    },
  };
}
