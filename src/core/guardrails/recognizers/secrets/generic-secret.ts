import type { Finding, Recognizer } from "../../types.ts";
import { assignmentsIn, keyBefore, keyHasLetters, letterMask } from "./assignments.ts";
import { phrasesIn } from "./phrases.ts";
import {
  characterClasses,
  classCount,
  decodeBase64,
  digitClass,
  endsToken,
  hasStandInWord,
  hasVendorPrefix,
  isBase64Code,
  isBase64UrlCode,
  isBase64OfWords,
  lowerClass,
  placeholderKind,
  shannonEntropy,
  upperClass,
} from "./shared.ts";

/** Key words (EN/DE/FR) that make the value after them a secret; matched inside identifiers too. */
const keyword =
  /api[-_. ]?key|apikey|secret|token|passw(?:or)?d|passwort|kennwort|schl(?:ü|ue)ssel|mot[-_ ]de[-_ ]passe|clé|(?:^|[^a-z])cle(?:$|[^a-z])|jeton|access[-_. ]?key|credential|private[-_. ]?key|signing[-_. ]?key|encryption[-_. ]?key|(?:^|[^a-z])pwd|(?:^|[^a-z])pass(?:$|[^a-z])|auth/;
/** Key words that say "secret" outright: with them, UUIDs and hex digests still count. */
const saysSecret = /secret|passw|kennwort|schl(?:ü|ue)ssel|mot[-_ ]de[-_ ]passe|clé|(?:^|[^a-z])cle(?:$|[^a-z])|api[-_. ]?key|apikey|private[-_. ]?key|credential|token|jeton/;
/** Keys that name something about a secret rather than hold it (token_url, key_id, public_key...). */
const notTheSecret =
  /public|tokeni[sz]|(?:^|[-_. ])(?:id|ids|name|type|path|file|url|uri|endpoint|count|length|size|ttl|expiry|expires|expires_at|expires_in|version|format|mode|enabled|header|field|prefix|limit|timeout|hint|policy|rotation)$/;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hexOnly = /^[0-9a-f]+$/i;
const pathLike = /^(?:\.{0,2}\/|~\/|[A-Za-z]:[\\/])|:\/\/|\/[^/]*\.[A-Za-z]{1,5}$/;
const dottedIdentifier = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const environmentName = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * The a-z letters each key word needs (a key containing "secret" contains s, e, c, r and t; "clé"
 * needs c and l), checked before the key is copied, so keys such as "id" or "url" cost nothing.
 */
const keywordLetters = [
  "secret", "token", "passw", "pwd", "pass", "apikey", "key", "credential", "auth", "kennwort", "schlssel", "jeton", "cl", "mot de passe",
].map(letterMask);

/**
 * Confidence that `value` (already known to follow a secret key word) is a real secret, or 0 for
 * the look-alikes: template references, vendor tokens (their own recognizers report them), UUIDs
 * and hex digests without an explicit "secret" word, file paths, dotted identifiers
 * (settings.api.token), environment-variable names, low-entropy or single-class strings, base64
 * of ordinary words, and values holding a stand-in word (AWS's "…EXAMPLEKEY", "your-token-here").
 */
export function genericSecretConfidence(value: string, key: string): number {
  if (placeholderKind(value, 0, value.length) !== undefined || hasVendorPrefix(value, 0)) return 0;
  const classes = characterClasses(value);
  const hasLetter = (classes & (lowerClass | upperClass)) !== 0;
  if (!(hasLetter && (classes & digitClass) !== 0) && classCount(classes) < 3) return 0;
  const explicit = saysSecret.test(key);
  const hex = hexOnly.test(value);
  if (uuid.test(value) && !explicit) return 0;
  if (hex && !explicit && (value.length === 40 || value.length === 64)) return 0;
  const entropy = shannonEntropy(value);
  // A short value seldom reaches 3.5 bits per character (13 characters give at most 3.7): the bar
  // falls with the length below about 20 characters, which only the phrase path produces.
  if (entropy < Math.min(hex || uuid.test(value) ? 3 : 3.5, 0.8 * Math.log2(value.length))) return 0;
  if (pathLike.test(value) || dottedIdentifier.test(value) || environmentName.test(value) || isBase64OfWords(value)) return 0;
  if (hasStandInWord(value, 0, value.length)) return 0;
  // In hundredths, so the result is an exact two-decimal figure.
  let hundredths = explicit ? 80 : 65;
  if (entropy >= 4) hundredths += 5;
  if (hex) hundredths -= 5;
  return hundredths / 100;
}

/** "Authorization:", "auth =", "-H 'Authorization" on the same line, shortly before "Basic". */
const authorizationBefore = /auth[^\n]*$/i;

/** The base64 credentials after "Basic " when they decode to "user:password". */
function basicCredentialsEnd(text: string, start: number): number {
  let end = start;
  const limit = Math.min(text.length, start + 513);
  while (end < limit && (isBase64Code(text.charCodeAt(end)) || text.charCodeAt(end) === 61)) end++;
  if (end - start < 8 || end - start > 512) return -1;
  if (!endsToken(text, end, isBase64UrlCode)) return -1;
  const bytes = decodeBase64(text.slice(start, end));
  return bytes !== undefined && bytes.includes(58) ? end : -1;
}

/**
 * High-entropy values assigned to a secret-sounding key: `API_KEY=…`, `"client_secret": "…"`,
 * YAML `password: …`, `Passwort: …`, `mot de passe : …`, and `Authorization: Basic <base64>`.
 * Anchored on the assignment (":" / "=") rather than the key word, because a search for a dozen
 * key words in any case is several times slower than a search for two characters; the key is read
 * only for values long enough to matter. Prose ("The password is …", "Das Passwort lautet …") and
 * assignments of shorter values are found from a few key words instead (phrasesIn), which costs
 * seven fast searches (about 1.5 ms per MB).
 */
export const genericSecretRecognizer: Recognizer = {
  id: "generic-secret",
  category: "secret",
  types: ["generic_secret"],
  scan(text: string, out: Finding[]): void {
    for (const { separator, valueStart, valueEnd } of assignmentsIn(text)) {
      if (!keyHasLetters(text, separator, keywordLetters)) continue;
      const key = keyBefore(text, separator);
      if (!keyword.test(key) || notTheSecret.test(key)) continue;
      const confidence = genericSecretConfidence(text.slice(valueStart, valueEnd), key);
      if (confidence > 0) out.push({ type: "generic_secret", category: "secret", start: valueStart, end: valueEnd, confidence, recognizer: "generic-secret" });
    }
    for (const { keyword: word, valueStart, valueEnd } of phrasesIn(text)) {
      const confidence = genericSecretConfidence(text.slice(valueStart, valueEnd), word);
      if (confidence > 0) out.push({ type: "generic_secret", category: "secret", start: valueStart, end: valueEnd, confidence, recognizer: "generic-secret" });
    }
    let basic = text.indexOf("Basic ");
    while (basic !== -1) {
      let next = basic + 6;
      if (authorizationBefore.test(text.slice(Math.max(0, basic - 32), basic))) {
        const end = basicCredentialsEnd(text, basic + 6);
        if (end !== -1) {
          out.push({ type: "generic_secret", category: "secret", start: basic + 6, end, confidence: 0.85, recognizer: "generic-secret" });
          next = end;
        }
      }
      basic = text.indexOf("Basic ", next);
    }
  },
};
