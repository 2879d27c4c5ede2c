import { rescanHiddenText } from "./encoded-payload.ts";
import { foldText, hasAny, triggerStems, type Marker, type ScanContext, type ScanSubject } from "./marker.ts";
import { sortCategoryCodes, type SafetyCategoryCode } from "./taxonomy.ts";

/**
 * Markup that carries instructions or opens a data channel:
 *
 * - HTML comments and hidden elements (display:none, zero font size, white text...) whose content
 *   addresses the model — the usual shape of an indirect injection planted in a web page;
 * - markdown or HTML images pointing at an outside server with data in the URL: rendered by the
 *   client, they send whatever the model put in the URL to that server (the classic exfiltration
 *   pattern). In input it shows as a URL template to fill with conversation data; in an answer
 *   as a long or wordy query string;
 * - `<script>`, `javascript:` links and event handlers, strong only when they touch cookies,
 *   storage or the network;
 * - fake role headers ("### System:", "<|im_start|>system", "[INST]", "<<SYS>>") inside user or
 *   tool content, which try to pass data off as operator instructions.
 *
 * Plain HTML with developer comments, badges and diagram images, or a question about ChatML, stay
 * below the blocking threshold.
 */

export interface MarkupOptions {
  /** Image hosts whose URLs are never treated as exfiltration (e.g. the operator's own CDN). */
  trustedImageHosts?: readonly string[];
}

const openingTag = /<([a-z][a-z0-9]*)\b([^<>]{0,400})>/gi;
const hiddenAttributes =
  /style\s*=\s*["']?[^"']{0,300}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|em|rem|pt|%)?\s*(?:[;"'!]|$)|opacity\s*:\s*0(?:\.0+)?\s*(?:[;"'!]|$)|color\s*:\s*(?:white|#fff(?:fff)?|transparent)\b|(?:height|width|max-height)\s*:\s*0(?:px)?\s*(?:[;"'!]|$)|(?:left|top|text-indent)\s*:\s*-\d{3,})|(?:^|\s)hidden(?=[\s=/]|$)/i;
const hiddenHints = /display|visibility|font-size|opacity|color|height|width|left|top|text-indent|hidden/i;
const hiddenContentLength = 4000;

/** The contents of HTML comments (at most 32; an unclosed comment ends the search). */
function commentTexts(text: string): string[] {
  const found: string[] = [];
  let position = 0;
  while (found.length < 32) {
    const start = text.indexOf("<!--", position);
    if (start === -1) break;
    const end = text.indexOf("-->", start + 4);
    if (end === -1) break;
    found.push(text.slice(start + 4, Math.min(end, start + 4 + hiddenContentLength)));
    position = end + 3;
  }
  return found;
}

/** The text inside elements hidden by style or the `hidden` attribute (at most 32), tags removed. */
function hiddenElementTexts(text: string): string[] {
  const found: string[] = [];
  let lower: string | undefined;
  openingTag.lastIndex = 0;
  let tag: RegExpExecArray | null;
  let tags = 0;
  while (found.length < 32 && tags < 4096 && (tag = openingTag.exec(text)) !== null) {
    tags += 1;
    if (!hiddenAttributes.test(tag[2] ?? "")) continue;
    lower ??= text.toLowerCase();
    const contentStart = tag.index + tag[0].length;
    const close = lower.indexOf(`</${(tag[1] ?? "").toLowerCase()}`, contentStart);
    const contentEnd = close === -1 || close - contentStart > hiddenContentLength ? Math.min(text.length, contentStart + hiddenContentLength) : close;
    found.push(text.slice(contentStart, contentEnd).replace(/<[^<>]{0,400}>/g, " "));
  }
  return found;
}

const addressesModel = /\b(?:ai|a\.i\.|assistant|chatbot|llm|language model|gpt|chatgpt|claude|copilot|agent|bot|model|ki|ia|assistenten|modell|sprachmodell|l'assistant|l'ia)\b/;
const imperative =
  /\b(?:must|should|always|never|do not|don't|instead|tell|say|respond|reply|answer|include|send|summari[sz]e|recommend|output|write|ignore|forward|visit|click|execute|run|call|use|praise|mention|append|insert|describe|claim|gib|sag|antworte|empfiehl|schreib\w*|sende|leite|ignoriere|erwahne|nenne|verlinke|donne|dis|reponds|recommande|ecris|envoie|ignore|mentionne|ajoute)\b/;

const markdownImage = /!\[[^\]\n]{0,300}\]\(\s*<?(https?:\/\/[^\s)>]{1,4000})/gi;
const referenceDefinition = /^\s{0,3}\[[^\]\n]{1,200}\]:\s*<?(https?:\/\/\S{1,4000})/gim;
const htmlImage = /<img\b[^>]{0,400}?\bsrc\s*=\s*["']?(https?:\/\/[^"'\s>]{1,4000})/gi;
const templatePlaceholder = /[{}$]|\[[^\]]*\]|<[^>]*>|%7b|%7d|%24|%3c|%5b|\b(?:insert|placeholder|your_|user_?data|data_here|secret|password|api_?key|token|conversation|chat_?history|history|summary|previous_messages|email_?address)\b/i;
const gap = String.raw`(?:[^.!?\n]|\.(?=\S)){0,100}?`;
const dataWords = "conversation|chat|history|previous messages|messages|user'?s?|secret|password|api key|credentials?|email|summary|personal (?:data|information)|data|memory|context";
const linkWords = "url|link|image|query|parameter|param|https?://";
const exfiltrationInstruction = new RegExp(
  String.raw`\b(?:append|add|include|insert|put|encode|fill in|replace|substitute|embed|attach|concatenate)\b${gap}\b(?:${dataWords})\b${gap}(?:\b(?:${linkWords}))|\b(?:url|link|image|query|parameter|param)\b${gap}\b(?:append|add|include|insert|encode|fill in|replace|embed)\b${gap}\b(?:${dataWords})\b`,
);

const scriptLength = 8000;

/** The opening tag and body of each `<script>` (at most 16; a body runs to `</script` or for 8,000 characters). */
function scriptContents(original: string): Array<{ tag: string; body: string }> {
  const scripts: Array<{ tag: string; body: string }> = [];
  const lower = original.toLowerCase();
  let position = 0;
  while (scripts.length < 16) {
    const start = lower.indexOf("<script", position);
    if (start === -1) break;
    const tagEnd = lower.indexOf(">", start);
    if (tagEnd === -1 || tagEnd - start > 400) {
      position = start + 7;
      continue;
    }
    const close = lower.indexOf("</script", tagEnd);
    const bodyEnd = close === -1 || close - tagEnd > scriptLength ? Math.min(original.length, tagEnd + 1 + scriptLength) : close;
    scripts.push({ tag: original.slice(start, tagEnd + 1), body: original.slice(tagEnd + 1, bodyEnd) });
    position = bodyEnd;
  }
  return scripts;
}
const scriptSource = /<script\b[^>]{0,400}\bsrc\s*=\s*["']?https?:\/\//i;
const scriptExfiltration = /document\.cookie|localStorage|sessionStorage|fetch\s*\(|XMLHttpRequest|sendBeacon|(?:window\.|document\.)location(?:\.href)?\s*=|\blocation\s*=|new\s+Image\s*\(|\.src\s*=|\beval\s*\(|\batob\s*\(|WebSocket\s*\(/i;
const eventHandler = /\bon(?:error|load|mouseover|focus|click|animationstart|toggle)\s*=\s*["']?[^"'>]{0,300}?(?:fetch|location|cookie|eval|atob|src\s*=|alert)/i;
const javascriptUrl = /(?:href|src|action)\s*=\s*["']?\s*javascript:/i;

const specialTokenAtLineStart =
  /(?:^|\n)[ \t]*(?:<\|im_start\|>[ \t]*system|<\|start_header_id\|>[ \t]*system[ \t]*<\|end_header_id\|>|<<SYS>>|<\|system\|>|<start_of_turn>[ \t]*system|\[INST\][ \t]*<<SYS>>)/i;
const specialToken = /<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|<<\/?SYS>>|\[\/?INST\]|<(?:start|end)_of_turn>/i;
const fakeRoleHeader = /(?:^|\n)[ \t]*(?:#{1,6}[ \t]*|\*\*|\[|<)?[ \t]*(?:system|system prompt|system message|developer|developer message|admin(?:istrator)?(?: message)?)[ \t]*(?:\*\*|\]|>)?[ \t]*(?::|\n)/i;
const fakeSystemTag = /<\s*(?:system|sys|system_prompt|system-prompt|developer|admin)\s*>/i;
const fakeAssistantTurn = /(?:^|\n)[ \t]*(?:#{1,6}[ \t]*|\*\*)?[ \t]*assistant[ \t]*(?:\*\*)?[ \t]*:/i;
const fakeContextEnd =
  /<\/(?:user|user_input|context|document|data|untrusted\w*|input|tool_output|search_results?|retrieved)>|\b(?:end of (?:user input|the document|document|context|retrieved content|tool output|search results))\b/i;

/** An e-mail address or an API-key-shaped token in a URL value: personal data or a secret on its way out. */
const personalOrSecret = /[\w.+-]+@[\w-]+\.[\w.-]+|\b(?:sk|pk|rk|ghp|gho|xox[bap]|AKIA)[-_][A-Za-z0-9_-]{8,}|\bAKIA[0-9A-Z]{16}\b/;

const referenceStart = /^\s{0,3}\[[^\]\n]{1,200}\]:\s*https?:/im;
const headerStems = triggerStems("system", "developer", "admin", "assistant");
const contextEndStems = triggerStems("end of");

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isTrustedHost(url: string, options: MarkupOptions): boolean {
  const host = hostOf(url);
  if (host === undefined) return false;
  return (options.trustedImageHosts ?? []).some((trusted) => host === trusted.toLowerCase() || host.endsWith(`.${trusted.toLowerCase()}`));
}

/** The decoded query values of a URL (and its fragment), bounded. */
function queryValues(url: string): string[] {
  const question = url.indexOf("?");
  if (question === -1) return [];
  const values: string[] = [];
  for (const pair of url.slice(question + 1).split(/[&#;]/).slice(0, 32)) {
    const value = pair.includes("=") ? pair.slice(pair.indexOf("=") + 1) : pair;
    try {
      values.push(decodeURIComponent(value.replace(/\+/g, " ")));
    } catch {
      values.push(value);
    }
  }
  return values;
}

interface ImageFinding {
  template: boolean;
  data: boolean;
}

function inspectImageUrl(url: string, source: ScanContext["source"]): ImageFinding {
  const values = queryValues(url);
  const path = url.slice(url.indexOf("//") + 2).replace(/[?#].*$/, "");
  const template = values.some((value) => templatePlaceholder.test(value)) || /[{}$]|%7b|%7d|%24/i.test(path);
  // In an answer, data shows as a long value, a wordy value or an encoded blob.
  const data = values.some(
    (value) =>
      value.length >= 40 ||
      (value.match(/\S+/g)?.length ?? 0) >= 5 ||
      personalOrSecret.test(value) ||
      (source === "answer" && /^[A-Za-z0-9+/_-]{24,}={0,2}$/.test(value)),
  );
  return { template, data };
}

/** Appends markup-smuggling markers for `original` (the raw message text). */
export function scanMarkupSmuggling(subject: ScanSubject, context: ScanContext, out: Marker[], options: MarkupOptions = {}): void {
  const { original, folded } = subject;
  const hasAngle = original.includes("<");
  const hasLink = folded.includes("http");
  const hasImage = original.includes("![") || (hasAngle && folded.includes("<img")) || (hasLink && referenceStart.test(original));
  const hasHeader = hasAny(subject, headerStems) || folded.includes("[inst]") || hasAngle;
  const hasContextEnd = hasAny(subject, contextEndStems) || original.includes("</");
  if (!hasAngle && !hasImage && !hasHeader && !hasLink && !hasContextEnd) return;
  const source = context.source;
  const fromInput = source !== "answer";
  const push = (id: string, weight: number, categories: SafetyCategoryCode[], reason: string) =>
    out.push({ id, family: "markup-smuggling", categories: sortCategoryCodes(categories) as SafetyCategoryCode[], weight, reason });

  // Hidden content: comments and invisible elements.
  const hiddenTexts = original.includes("<!--") ? commentTexts(original) : [];
  const commentCount = hiddenTexts.length;
  if (hasAngle && hiddenHints.test(original)) hiddenTexts.push(...hiddenElementTexts(original));
  let hiddenStrongest = 0;
  let hiddenCategories: SafetyCategoryCode[] = [];
  let hiddenAddressed = false;
  // Rescans are bounded: distinct texts only, 16,384 characters in all.
  let rescanBudget = 16_384;
  for (const text of new Set(hiddenTexts)) {
    if (text.trim().length < 8 || rescanBudget <= 0) continue;
    const bounded = text.slice(0, rescanBudget);
    rescanBudget -= bounded.length;
    const found = rescanHiddenText(bounded, context);
    if (found.weight > hiddenStrongest) {
      hiddenStrongest = found.weight;
      hiddenCategories = found.categories;
    }
    const hiddenFolded = foldText(bounded);
    if (addressesModel.test(hiddenFolded) && imperative.test(hiddenFolded)) hiddenAddressed = true;
  }
  const where = commentCount === hiddenTexts.length ? "HTML comment" : "hidden HTML";
  if (hiddenStrongest >= 0.5) {
    push("hidden-instructions", 0.85, ["markup_smuggling", "prompt_injection", ...hiddenCategories], `${where} carries an override or jailbreak`);
  } else if (hiddenAddressed) {
    push("hidden-instructions", source === "tool" ? 0.5 : source === "user" ? 0.3 : 0.4, ["markup_smuggling", "prompt_injection"], `${where} addresses instructions to the model`);
  }

  // Images that send data out.
  if (hasImage) {
    const urls: string[] = [];
    for (const pattern of [markdownImage, referenceDefinition, htmlImage]) {
      pattern.lastIndex = 0;
      let image: RegExpExecArray | null;
      while (urls.length < 64 && (image = pattern.exec(original)) !== null) urls.push(image[1] ?? "");
    }
    let template = false;
    let data = false;
    for (const url of urls) {
      if (isTrustedHost(url, options)) continue;
      const finding = inspectImageUrl(url, source);
      template ||= finding.template;
      data ||= finding.data;
    }
    if (template) push("image-exfiltration", fromInput ? 0.7 : 0.45, ["markup_smuggling", "prompt_injection"], "image link template that sends data to an outside server");
    else if (data) push("image-exfiltration", fromInput ? 0.35 : 0.6, ["markup_smuggling"], "image link carries data to an outside server");
  }
  // An instruction to put conversation data into a URL, with or without the image already written.
  if (fromInput && hasLink && /https?:\/\//i.test(original) && exfiltrationInstruction.test(folded)) {
    push("exfiltration-instruction", source === "tool" ? 0.5 : 0.4, ["markup_smuggling", "prompt_injection"], "asks to put conversation data into a link");
  }

  // Scripts and script URLs.
  if (hasAngle || folded.includes("javascript:")) {
    const scripts = folded.includes("<script") ? scriptContents(original) : [];
    let exfiltrating = scripts.some((script) => scriptExfiltration.test(script.body) || scriptSource.test(script.tag));
    if (eventHandler.test(original) || javascriptUrl.test(original)) exfiltrating = true;
    if (scripts.length > 0 || exfiltrating) {
      const weight = exfiltrating ? (source === "user" ? 0.4 : 0.5) : source === "user" ? 0.15 : 0.3;
      push("script", weight, ["markup_smuggling"], exfiltrating ? "script that reaches cookies, storage or the network" : "script element");
    }
  }

  // Fake role headers and chat-template tokens (input only: an answer may explain ChatML).
  if (fromInput && hasHeader) {
    if (specialTokenAtLineStart.test(original)) push("fake-system-header", 0.6, ["markup_smuggling", "prompt_injection"], "chat-template system header inside content");
    else if (specialToken.test(original)) push("chat-template-token", 0.3, ["markup_smuggling", "prompt_injection"], "chat-template token inside content");
    if (fakeSystemTag.test(original)) push("fake-system-tag", 0.35, ["markup_smuggling", "prompt_injection"], "fake system tag inside content");
    if (fakeRoleHeader.test(original)) push("fake-role-header", source === "tool" ? 0.4 : 0.35, ["markup_smuggling", "prompt_injection"], "fake system or developer header");
    if (fakeAssistantTurn.test(original)) push("fake-assistant-turn", 0.2, ["markup_smuggling", "prompt_injection"], "fake assistant turn inside content");
  }
  if (fromInput && hasContextEnd && fakeContextEnd.test(original)) push("fake-context-end", 0.2, ["markup_smuggling", "prompt_injection"], "claims the data block has ended");
}
