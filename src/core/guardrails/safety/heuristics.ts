import type { SafetyClassifier, SafetyInput, SafetyMessage, SafetyVerdict } from "./classifier.ts";
import { scanEncodedPayloads } from "./encoded-payload.ts";
import { scanInstructionOverride } from "./instruction-override.ts";
import { scanInvisibleUnicode } from "./invisible-unicode.ts";
import { combineMarkerWeights, prepareSubject, type Marker, type ScanContext, type ScanSource } from "./marker.ts";
import { scanMarkupSmuggling } from "./markup-smuggling.ts";
import { scanRolePlay } from "./role-play.ts";
import { sortCategoryCodes, type SafetyCategoryCode } from "./taxonomy.ts";

/**
 * The fast heuristic safety classifier: prompt-injection and jailbreak markers found by pattern,
 * decoding and Unicode inspection, no model. It runs on every request and on every stream window,
 * so it is synchronous underneath (`classifySync`) and linear in the text length.
 *
 * What is scanned: in an input check, user messages and tool results (retrieved content, the
 * usual carrier of indirect injection). System messages are the operator's and trusted; earlier
 * assistant turns were checked as output when Hearth served them, so they are skipped unless
 * `scanAssistantTurns` is set (a client can forge them; scanning them also flags a follow-up to an
 * answer that explained an attack). In an output check only the answer (the last assistant
 * message) is scanned, and only for the families that matter in an answer: invisible Unicode and
 * markup smuggling (exfiltration images, scripts).
 *
 * Scoring: each family reports markers with weights; a message scores 1 − Π(1 − weight) over its
 * distinct markers, and the verdict takes the highest message score. Weights are set so that one
 * weak marker (a "hypothetically", a "from now on", one zero-width space, a script tag a developer
 * pasted) stays below the threshold, while one strong marker (an override phrase, a decoded
 * override, hidden tag text) or two medium ones reach it.
 */

export interface HeuristicClassifierOptions {
  /** Verdict and audit id (default "heuristic"). */
  id?: string;
  /** Score at or above which a message is unsafe (default 0.5). */
  threshold?: number;
  /** Image hosts never treated as exfiltration targets (the operator's own CDN...). */
  trustedImageHosts?: readonly string[];
  /** Also scan earlier assistant turns in input checks (default false; see the module comment). */
  scanAssistantTurns?: boolean;
}

/** One scanned message: where it was, its score and the markers behind it. */
export interface MessageScan {
  index: number;
  source: ScanSource;
  score: number;
  markers: Marker[];
}

export interface HeuristicSafetyClassifier extends SafetyClassifier {
  /** The same verdict as `classify`, without a promise: for hot paths that cannot yield. */
  classifySync(input: SafetyInput): SafetyVerdict;
  /** Per-message detail behind a verdict, for tests, the eval and debugging. */
  scanMessages(input: SafetyInput): MessageScan[];
}

const defaultThreshold = 0.5;

/**
 * Runs every marker family that applies to `source` over one text. Exported for the eval and for
 * callers that check a single text (a retrieved document before it is indexed, say).
 */
export function scanText(text: string, source: ScanSource, options: Pick<HeuristicClassifierOptions, "trustedImageHosts"> = {}): Marker[] {
  const out: Marker[] = [];
  if (text.length === 0) return out;
  const context: ScanContext = { source, depth: 0 };
  const subject = prepareSubject(text);
  scanInvisibleUnicode(text, context, out);
  scanMarkupSmuggling(subject, context, out, options.trustedImageHosts === undefined ? {} : { trustedImageHosts: options.trustedImageHosts });
  if (source !== "answer") {
    const phrases: Marker[] = [];
    scanInstructionOverride(subject, context, phrases);
    scanRolePlay(subject, context, phrases);
    out.push(...phrases);
    if (out.some((marker) => marker.id === "zero-width-in-words") && combineMarkerWeights(phrases) >= 0.5) {
      const categories = sortCategoryCodes(["obfuscation", ...phrases.filter((marker) => marker.weight >= 0.2).flatMap((marker) => marker.categories)]) as SafetyCategoryCode[];
      out.push({ id: "zero-width-split", family: "invisible-unicode", categories, weight: 0.7, reason: "zero-width characters split an override or jailbreak phrase" });
    }
    scanEncodedPayloads(subject, context, out);
  }
  return out;
}

function sourceOf(message: SafetyMessage): ScanSource | undefined {
  if (message.role === "user") return "user";
  if (message.role === "tool") return "tool";
  return undefined;
}

const placeNames: Record<ScanSource, string> = { user: "user message", tool: "tool content", answer: "answer" };

/** Creates the heuristic classifier (see the module comment for what it scans and how it scores). */
export function createHeuristicSafetyClassifier(options: HeuristicClassifierOptions = {}): HeuristicSafetyClassifier {
  const id = options.id ?? "heuristic";
  const threshold = options.threshold ?? defaultThreshold;
  const scanOptions = options.trustedImageHosts === undefined ? {} : { trustedImageHosts: options.trustedImageHosts };

  const scanMessages = (input: SafetyInput): MessageScan[] => {
    const scans: MessageScan[] = [];
    const scan = (index: number, source: ScanSource, text: string) => {
      const markers = scanText(text, source, scanOptions);
      scans.push({ index, source, score: combineMarkerWeights(markers), markers });
    };
    if (input.role === "output") {
      const last = input.messages.at(-1);
      if (last !== undefined && last.role === "assistant") scan(input.messages.length - 1, "answer", last.text);
      return scans;
    }
    input.messages.forEach((message, index) => {
      const source = message.role === "assistant" && options.scanAssistantTurns ? "user" : sourceOf(message);
      if (source !== undefined) scan(index, source, message.text);
    });
    return scans;
  };

  const classifySync = (input: SafetyInput): SafetyVerdict => {
    const scans = scanMessages(input);
    const score = scans.reduce((highest, scan) => Math.max(highest, scan.score), 0);
    const safe = score < threshold;
    const flagged = scans.filter((scan) => (safe ? scan.score > 0 : scan.score >= threshold));
    const markers = flagged
      .flatMap((scan) => scan.markers.map((marker) => ({ marker, source: scan.source })))
      .sort((left, right) => right.marker.weight - left.marker.weight);
    const categories = safe ? [] : sortCategoryCodes(markers.filter(({ marker }) => marker.weight >= 0.2).flatMap(({ marker }) => marker.categories));
    const reasons = [...new Set(markers.filter(({ marker }) => marker.weight >= 0.1).map(({ marker, source }) => `${marker.reason} (${placeNames[source]})`))].slice(0, 8);
    return { safe, categories, score: Math.round(score * 1000) / 1000, reasons, classifier: id };
  };

  return {
    id,
    classifySync,
    scanMessages,
    classify(input, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return Promise.resolve(classifySync(input));
    },
  };
}
