import { hasAny, mentionAdjustedWeight, triggerStems, type Marker, type ScanContext, type ScanSubject } from "./marker.ts";
import type { SafetyCategoryCode } from "./taxonomy.ts";

/**
 * Instruction-override phrases in English, German and French: text that tells the model to drop
 * the instructions it was given ("ignore all previous instructions", "ignoriere alle vorherigen
 * Anweisungen", "ignore toutes les instructions précédentes"), to adopt a rule-free persona ("you
 * are now DAN", "developer mode") or to hand over its hidden prompt.
 *
 * Everything runs on folded text (marker.ts): lower case, accents stripped, look-alikes mapped.
 * The phrase patterns insist on an override *target* (instructions, rules, system prompt...) and a
 * qualifier that points at the operator's instructions (previous, above, all, your, system...), so
 * "ignore the previous error and retry" or "ignore the warning" do not match; instructions the
 * user scopes to something else ("ignore all the rules of grammar") or owns ("forget my previous
 * instructions") count as weak evidence only.
 */

interface PhraseRule {
  id: string;
  pattern: RegExp;
  /**
   * Words (stems, matched at word starts) of which at least one must be present for `pattern` to
   * match; when none is, the rule is skipped without running the pattern (see marker.ts).
   */
  triggers: readonly string[];
  weight: number;
  categories: SafetyCategoryCode[];
  reason: string;
  /** Adjusts the weight for one match (0 drops the match); default: keep it. */
  weigh?: (match: RegExpExecArray, folded: string, original: string) => number;
  /** Whether a quoted mention counts for less (default true). */
  mentionable?: boolean;
}

const injection: SafetyCategoryCode[] = ["prompt_injection"];
const jailbreak: SafetyCategoryCode[] = ["jailbreak"];

// ── English ────────────────────────────────────────────────────────────────────────────────────
const englishVerbs =
  "ignore|ignoring|disregard|disregarding|forget|forgetting|override|overrule|bypass|circumvent|discard|abandon|neglect|set aside|throw out|pay no (?:attention|heed) to|do not (?:follow|obey|listen to)|don'?t (?:follow|obey|listen to)|stop (?:following|obeying)|no longer (?:follow|obey)";
const englishFillers =
  "all|any|every|each|of|the|your|my|these|those|that|this|previous|previously|prior|above|earlier|preceding|foregoing|former|original|initial|old|existing|current|system|developer|given|provided|aforementioned|other|safety|built-in|hidden|and|whatever|such";
const englishTargets =
  "instructions?|prompts?|rules?|directions?|directives?|guidelines?|guidance|commands?|orders?|constraints?|restrictions?|limitations?|polic(?:y|ies)|programming|training|system prompt|system message|guardrails?|safeguards?|filters?|ethics|ethical (?:guidelines|principles|rules)|moral(?:s|ity)?|messages?|context|conversation";
const englishPhrase = new RegExp(
  String.raw`\b(${englishVerbs})\s+((?:(?:${englishFillers})\s+){0,5})(${englishTargets})\b(\s+(?:above|before|so far|until now|from before|you(?:'ve| have| were| got)(?: been)? (?:given|told|received|configured|programmed|set up|trained|instructed|provided)(?: with)?|(?:given|provided|received)(?: to you)?(?: earlier| before| above| previously)?|from (?:the )?(?:system|developer|operator|openai|anthropic|admin)\w*))?((?:\s+(?:of|for|about|on|in|regarding|when|from|i|we)\b)?(?:\s+\S+){0,2})`,
  "g",
);
const strongQualifier = /\b(?:previous(?:ly)?|prior|above|earlier|preceding|foregoing|former|original|initial|system|developer|your|aforementioned|safety|built-in|hidden)\b/;
const broadQualifier = /\b(?:all|any|every|whatever)\b/;
const aiTargets = /^(?:system prompt|system message|programming|training|guardrails?|safeguards?|ethics|ethical \w+|moral(?:s|ity)?)$/;
const softTargets = /^(?:messages?|context|conversation)$/;
const ownInstructions = /^\s+(?:i|we)\s+(?:gave|wrote|sent|provided|mentioned|said|asked|told)\b/;
const scopedElsewhere = /^\s+(?:of|for|about|on|in|regarding|when|from)\s+(?!you\b|your\b|me\b|my\b|now\b|the next\b|this\b|the (?:system|assistant|ai|model|developer|operator|user)\b|openai|anthropic)\S/;

function weighEnglishPhrase(match: RegExpExecArray): number {
  const verb = match[1] ?? "";
  const fillers = match[2] ?? "";
  const target = match[3] ?? "";
  const postQualifier = match[4] ?? "";
  const after = match[5] ?? "";
  const broadVerb = /^(?:ignor|disregard|forget|pay|do|don|stop|no longer)/.test(verb);
  const qualified = strongQualifier.test(fillers) || postQualifier !== "" || (broadVerb && broadQualifier.test(fillers)) || aiTargets.test(target);
  if (!qualified) return 0;
  if (/\bmy\b/.test(fillers) || ownInstructions.test(after)) return 0.25;
  // "the rules of grammar" is about grammar — unless the target is the model's own (your safety training).
  if (scopedElsewhere.test(after) && !/\b(?:your|system|safety|developer)\b/.test(fillers) && !aiTargets.test(target)) return 0.2;
  if (softTargets.test(target)) return 0.4;
  return 0.75;
}

// "disregard the above", "ignore everything above", "forget all of the previous." — the qualifier
// used as a noun; only when nothing (or a conjunction) follows, so "ignore the above warning" passes.
const englishAbove =
  /\b(?:ignore|disregard|forget|pay no attention to)\s+(?:all\s+(?:of\s+)?|everything\s+(?:that\s+(?:was|is)\s+)?|anything\s+)?(?:the\s+|what(?:'s| is| was) (?:written |said )?)?(?:above|foregoing|preceding|previous|prior|before)(?:\s+(?:this|it|that))?(?=\s*(?:[.,;:!?)\-"]|\n|$|and\b|then\b|now\b|instead\b|completely\b|entirely\b|and\b))/g;

const englishEverything =
  /\b(?:ignore|disregard|forget)\s+(?:everything|all|anything)\s+(?:you(?:'ve| have| were)? (?:been )?(?:told|taught|instructed|given|programmed)|(?:that )?(?:i|we|they|openai|anthropic|your (?:developers?|creators?))? ?(?:said|told you) (?:before|earlier|previously|so far)|in your (?:system prompt|instructions|training))/g;

const instructionsVoid =
  /\b(?:your|the|all)\s+(?:previous|prior|old|original|initial|earlier|system)\s+(?:instructions|rules|guidelines|prompt|directives)\s+(?:are|were|have been|is)\s+(?:now\s+)?(?:cancel+ed|void|null|revoked|overridden|obsolete|replaced|deleted|removed|no longer (?:valid|apply|in effect))/g;

const instructionsNoLongerApply = new RegExp(
  String.raw`\b(?:(?:your|the|all|any)\s+(?:\S+\s+){0,2}?(?:instructions|rules|guidelines|directives|restrictions|guardrails|system prompt)|everything\s+(?:the system|your (?:developers?|creators?|operator)|openai|anthropic|they|i)\s+(?:told|said to)\s+you|what you were told)\b(?:\s+\S+){0,4}?\s+(?:(?:is|are|were|have been|has been)\s+(?:now\s+)?(?:void|null|cancel+ed|revoked|overridden|obsolete|invalid|suspended|lifted|removed|deleted|disabled|no longer (?:valid|in effect|active))|no longer appl(?:y|ies)|(?:don't|do not|does not|doesn't) apply any ?more)\b`,
  "g",
);
const pointsAtOperator = /\b(?:your|previous|prior|earlier|original|initial|system|developers?|operator|openai|anthropic)\b|\byou (?:got|were given|received|were told)\b|\btold you\b|\bwhat you were told\b/;
const yourNewSystemPrompt = /\byour\s+(?:new|updated|real|actual|true)\s+(?:system prompt|system message|system instructions)\b/g;
const noteToModel =
  /\b(?:note|message|important|attention|instructions?|hint|notice)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:ai|a\.i\.|assistant|llm|model|language model|chatbot|agent)s?\b|\b(?:hinweis|anweisung|nachricht) (?:an|fur) (?:die|den) (?:ki|assistenten|bot)\b|\bnote pour (?:l'assistant|l'ia)\b|\ba l'attention de (?:l'assistant|l'ia)\b/g;
const modelReadingThis = /\b(?:ai|assistant|llm|model|agent)s?\s+reading this\b|\[\s*(?:ai|assistant|llm|model|agent|system)\s+(?:instructions?|note|message|directive)\s*\]/g;
const authorityClaim = /\b(?:i am|i'm)\s+(?:the|your)\s+(?:developer|creator|admin|administrator|owner|operator|system administrator)\b/g;
const revealHidden =
  /\b(?:reveal|print|show|output|display|dump|leak|list|give me)\s+(?:me\s+)?(?:your|the|all)\s+(?:\S+\s+){0,3}?(?:hidden|secret|internal|confidential|private)\s+(?:\S+\s+){0,3}?(?:instructions|configuration|config|prompt|rules|guidelines)\b/g;
const newInstructions = /(?:^|\n|[.!:>\]]\s*)\s*(?:new|updated|revised|real|actual|true)\s+(?:system\s+)?(?:instructions?|task|directive|orders?|rules?)\s*(?::|-{1,2}|are\b)/g;
const yourNewTask = /\byour\s+(?:new|real|actual|true|only)\s+(?:task|instructions?|objective|goal|purpose|mission|job|role)\s+(?:is|are|will be)\b/g;
const fromNowOn = /\b(?:from now on|from this point (?:on|forward|onward)|from here on|starting now|henceforth|for the rest of this (?:conversation|chat))\b,?\s+(?:you|your)\b/g;

const revealPrompt =
  /\b(?:reveal|print|show|output|repeat|display|tell me|give me|leak|dump|write out|recite|spell out|copy|paste|translate)\s+(?:me\s+)?(?:back\s+)?(?:your|the|all of your|all of the|all)\s+(?:full\s+|entire\s+|complete\s+|exact\s+|original\s+|initial\s+|hidden\s+|secret\s+|verbatim\s+|confidential\s+)*(?:system prompt|system message|system instructions|initial instructions|hidden instructions|original instructions|pre-?prompt|developer (?:message|instructions)|instructions (?:you were given|above|before this))/g;
const repeatAbove = /\b(?:repeat|print|output|copy)\s+(?:the\s+|all\s+(?:the\s+)?|everything\s+)?(?:text|words|content|lines?|everything)?\s*(?:above|before this|preceding)\b[^\n]{0,60}?(?:starting with|beginning with|verbatim|word for word)/g;
const hideFromUser = /\b(?:do not|don't|never)\s+(?:tell|inform|mention (?:this |it )?to|reveal (?:this |it )?to|let)\s+the\s+user\b/g;
const dontMention = /\b(?:do not|don't|never)\s+(?:mention|disclose|reveal)\s+(?:this|it|that)\b/g;
const whileProcessing =
  /\bwhen(?:ever)?\s+(?:you\s+)?(?:summari[sz]\w*|read\w*|process\w*|answer\w*|respond\w*|translat\w*|review\w*)\s+(?:this|the)\s+(?:email|e-mail|message|document|page|file|text|ticket|review|article|thread)\b,?\s+(?:also\s+|please\s+|you must\s+|always\s+)?(?:forward|send|email|include|add|tell|say|recommend|mention|insert|append|call|visit|open|delete)\b/g;
const rewriteInstructions = /\b(?:rewrite|change|modify|update|edit|replace|delete|remove|overwrite|erase)\s+(?:all\s+(?:of\s+)?)?your\s+(?:own\s+)?(?:instructions|rules|guidelines|system prompt|programming|restrictions|directives)\b/g;
const unboundedCompliance = /\b(?:allowed|able|free|permitted)\s+to\s+(?:help with|do|say|answer|discuss)\s+anything\b|\bdo anything i (?:ask|say|want)\b/g;
const disableFilters =
  /\b(?:disable|turn off|deactivate|switch off|remove|bypass|circumvent|shut off)\s+(?:your\s+|the\s+|all\s+(?:of\s+)?(?:your\s+|the\s+)?)?(?:content\s+|safety\s+|moderation\s+|ethical\s+)?(?:filters?|filtering|moderation|guardrails?|safeguards?|safety (?:features|checks|mode|settings|layer))\b/g;
const overrideMode = /\b(?:system|admin|administrator|developer|root|maintenance)\s+override\b|\bsudo mode\b|\bgod mode (?:enabled|activated|on)\b/g;

// Persona jailbreaks: DAN ("do anything now"), developer mode, "jailbroken".
const doAnythingNow = /\bdo anything now\b/g;
const youAreDan = /\b(?:you are|you're|you will be|you'll be|act as|pretend to be|become|called|named|you are going to (?:act|pretend) (?:as|to be))\s+(?:now\s+)?(?:a\s+|an\s+)?(?:dan|stan|dude|aim)\b(?!')/g;
const inDeveloperMode =
  /\b(?:you are|you're|you will be|you'll be|you are now|now)\s+(?:now\s+)?(?:in|running in|operating in|entering|switched (?:in)?to|acting in)\s+(?:developer|dev|debug|god|jailbreak|unrestricted|unfiltered|dan)\s+mode\b/g;
const actInDeveloperMode = /\b(?:act|behave|respond|answer|simulate|emulate|pretend)\b[^.!?\n]{0,80}?\b(?:developer|dan|jailbreak|god)\s+mode\b/g;
const developerModeEnabled = /\b(?:developer|dan|jailbreak|god|unrestricted|unfiltered|debug|admin|maintenance)\s+mode\s+(?:is\s+)?(?:now\s+)?(?:enabled|activated|engaged|unlocked|on(?=\s*(?:[.!:;,)\]]|$|\n)))/g;
const aiContext = /\b(?:chatgpt|gpt-?\d|claude|llama|gemini|openai|anthropic|as an ai|language model|your (?:responses|answers|outputs|replies)|content polic(?:y|ies)|normal (?:response|output))\b/;
const youAreJailbroken = /\b(?:you are|you're|you have been|you've been|you are now|act as|pretend to be)\s+(?:now\s+)?(?:a\s+|an\s+)?(?:jailbroken|unchained|liberated|freed|unlocked)\b/g;
const noLongerBound = /\byou\s+(?:are|were)\s+(?:now\s+)?(?:no longer|not)\s+(?:bound|restricted|limited|constrained|governed)\s+by\b|\byou\s+(?:have|now have)\s+(?:been\s+)?(?:freed|released|liberated)\s+from\b|\byou\s+(?:are|were)\s+(?:no longer|not)\s+(?:an?\s+)?(?:ai|assistant|chatgpt|language model)\b/g;

// ── German ─────────────────────────────────────────────────────────────────────────────────────
const germanPhrase =
  /\b(?:ignorier(?:e|t|en sie)?|vergiss|vergesst|vergessen sie|missachte(?:t|n sie)?|uberspring(?:e|t|en sie)?|verwirf|verwerfen sie|befolge nicht|beachte nicht)\s+((?:(?:alle|alles|die|deine|ihre|eure|samtliche|bisherigen|vorherigen|vorigen|obigen|oben|vorangegangenen|vorausgegangenen|fruheren|ursprunglichen|genannten|gegebenen|erhaltenen|bis jetzt|bisher|dir|vorher)\s+){1,5})(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|richtlinien|anordnungen|systemprompts?|system-prompts?|systemanweisungen|prompts?|einschrankungen|beschrankungen|sicherheitsregeln)\b/g;
const germanQualifier = /\b(?:alle|alles|samtliche|bisherigen|vorherigen|vorigen|obigen|oben|vorangegangenen|vorausgegangenen|fruheren|ursprunglichen|deine|ihre|eure|bisher|vorher)\b/;
const germanEverything = /\b(?:vergiss|vergessen sie|ignoriere|ignorieren sie)\s+alles,?\s+was\s+(?:dir|ihnen|man dir|ich dir)?\s*(?:vorher|bisher|zuvor|bis jetzt|oben)?\s*(?:gesagt|aufgetragen|befohlen|beigebracht|mitgeteilt)/g;
const germanPersona =
  /\b(?:(?:du bist|sie sind)\s+(?:jetzt|nun|ab sofort|ab jetzt|von nun an)|(?:jetzt|nun|ab sofort|ab jetzt|von nun an)\s+(?:bist du|sind sie))\s+(?:dan\b|ein(?:e)?\s+(?:ki|ai|assistent(?:in)?|chatbot|modell)\s+ohne\s+(?:jegliche\s+)?(?:einschrankungen|regeln|filter|grenzen|zensur|richtlinien))/g;
const germanDeveloperMode = /\b(?:du bist|sie sind|du befindest dich|sie befinden sich)\s+(?:jetzt\s+|nun\s+|ab sofort\s+)?im\s+(?:entwicklermodus|developer-?modus|dan-?modus|jailbreak-?modus)\b/g;
const germanReveal = /\b(?:gib|zeige?|nenne|verrate|wiederhole)\s+(?:mir\s+)?(?:deinen|deine|den|die|ihren|ihre)\s+(?:vollstandigen?\s+|geheimen?\s+|ursprunglichen?\s+)?(?:system-?prompt|systemanweisungen|systemnachricht|anfangsanweisungen)\b/g;
const germanNew = /(?:^|\n|[.!:]\s*)\s*neue\s+(?:anweisungen|anweisung|aufgabe|regeln)\s*:/g;

// ── French ─────────────────────────────────────────────────────────────────────────────────────
const frenchPhrase =
  /\b(?:ignore[zr]?|oublie[zr]?|ne tiens pas compte|ne tenez pas compte|fais abstraction|faites abstraction|neglige[zr]?|outrepasse[zr]?|contourne[zr]?|n'obeis plus|n'obeissez plus|desobeis|desobeissez)\s+((?:(?:a|aux|de|des|du|toutes|tous|tout|les|tes|vos|ces|la|le|ta|votre|ton|ses|leurs)\s+){0,4})(?:l'|d')?(instructions?|consignes?|regles?|directives?|ordres|commandes|indications|contraintes|restrictions|prompts?|invites?|messages?|limites|garde-fous)\b(\s+(?:precedent(?:e|s|es)?|anterieur(?:e|s|es)?|ci-dessus|plus haut|d'avant|initial(?:e|s|es)?|d'origine|du systeme|systeme|recu(?:e|s|es)?|donne(?:e|s|es)?\s+(?:plus haut|precedemment|auparavant|avant)|qu'on (?:t'a|vous a)|que l'on (?:t'a|vous a)|qui (?:t'ont|vous ont) ete))?/g;
const frenchEverything = /\b(?:oublie[zr]?|ignore[zr]?)\s+tout\s+ce\s+qu(?:e|'on|i)\s+(?:t'a|vous a|on t'a|on vous a|t'as)\s+(?:ete\s+)?(?:dit|appris|demande|ordonne)/g;
const frenchPersona =
  /\b(?:tu es|vous etes)\s+(?:maintenant|desormais|a present|a partir de maintenant)\s+(?:dan\b|une?\s+(?:ia|intelligence artificielle|assistant|assistante|chatbot|modele)\s+(?:sans|libre de)\s+(?:aucune?\s+)?(?:restrictions?|limites?|filtres?|regles?|censure|contraintes?))/g;
const frenchDeveloperMode = /\b(?:tu es|vous etes|tu passes|vous passez|tu fonctionnes|vous fonctionnez)\s+(?:maintenant\s+|desormais\s+)?(?:en\s+)?mode\s+(?:developpeur|dan|jailbreak|sans restriction)\b/g;
const frenchReveal = /\b(?:revele[zr]?|affiche[zr]?|montre[zr]?|donne[zr]?|repete[zr]?|recite[zr]?)[- ]?(?:moi\s+)?(?:ton|ta|tes|votre|vos|le|la|les)\s+(?:prompt systeme|invite systeme|message systeme|instructions (?:initiales|systeme|cachees|d'origine)|consignes (?:initiales|systeme|cachees))\b/g;
const frenchNew = /(?:^|\n|[.!:]\s*)\s*nouvelles?\s+(?:instructions?|consignes?|regles?|taches?)\s*:/g;

const rules: readonly PhraseRule[] = [
  { id: "override-phrase", pattern: englishPhrase, triggers: triggerStems("ignor", "disregard", "forget", "overrid", "overrul", "bypass", "circumvent", "discard", "abandon", "neglect", "set aside", "throw out", "pay no", "do not", "don't", "dont", "stop follow", "stop obey", "no longer"), weight: 0.75, categories: injection, reason: "instruction-override phrase", weigh: weighEnglishPhrase },
  { id: "override-phrase", pattern: englishAbove, triggers: triggerStems("ignor", "disregard", "forget", "pay no"), weight: 0.7, categories: injection, reason: "instruction-override phrase" },
  { id: "override-phrase", pattern: englishEverything, triggers: triggerStems("ignor", "disregard", "forget"), weight: 0.75, categories: injection, reason: "instruction-override phrase" },
  { id: "override-phrase", pattern: instructionsVoid, triggers: triggerStems("void", "null", "cancel", "revoked", "overridden", "obsolete", "replaced", "deleted", "removed", "no longer"), weight: 0.7, categories: injection, reason: "instruction-override phrase" },
  {
    id: "override-phrase",
    pattern: instructionsNoLongerApply, triggers: triggerStems("void", "null", "cancel", "revoked", "overridden", "obsolete", "invalid", "suspended", "lifted", "removed", "deleted", "disabled", "no longer", "don't apply", "do not apply", "does not apply", "doesn't apply"),
    weight: 0.7,
    categories: injection,
    reason: "instruction-override phrase",
    // "the rules of the old tax code no longer apply" is about something else.
    weigh: (match) => (pointsAtOperator.test(match[0]) ? 0.7 : 0),
  },
  { id: "new-system-prompt", pattern: yourNewSystemPrompt, triggers: triggerStems("system"), weight: 0.5, categories: injection, reason: "announces a replacement system prompt" },
  {
    id: "addressed-to-model",
    pattern: noteToModel,
    triggers: triggerStems(
      ..."note to|note for|message to|message for|important to|important for|attention to|attention for|instruction to|instruction for|instructions to|instructions for|hint to|hint for|notice to|notice for|hinweis an|hinweis fur|anweisung an|anweisung fur|nachricht an|nachricht fur|note pour|attention de".split("|"),
    ),
    weight: 0.3,
    categories: injection,
    reason: "text addressed to the model",
  },
  {
    id: "addressed-to-model",
    pattern: modelReadingThis,
    triggers: triggerStems(
      ..."reading this|ai instruction|assistant instruction|llm instruction|model instruction|agent instruction|system instruction|ai note|assistant note|ai message|assistant message|ai directive|assistant directive|system directive".split("|"),
    ),
    weight: 0.3,
    categories: injection,
    reason: "text addressed to the model",
  },
  { id: "authority-claim", pattern: authorityClaim, triggers: triggerStems("i am", "i'm"), weight: 0.2, categories: injection, reason: "claims developer or admin authority" },
  { id: "prompt-leak", pattern: revealHidden, triggers: triggerStems("hidden", "secret", "internal", "confidential", "private"), weight: 0.45, categories: injection, reason: "asks for hidden instructions or configuration" },
  { id: "new-instructions", pattern: newInstructions, triggers: triggerStems("new", "updated", "revised", "real", "actual", "true"), weight: 0.3, categories: injection, reason: "announces new instructions" },
  { id: "new-instructions", pattern: yourNewTask, triggers: triggerStems("your"), weight: 0.35, categories: injection, reason: "announces new instructions" },
  { id: "from-now-on", pattern: fromNowOn, triggers: triggerStems("from", "starting", "henceforth", "rest"), weight: 0.12, categories: injection, reason: "standing instruction for the rest of the chat" },
  {
    id: "prompt-leak",
    pattern: revealPrompt, triggers: triggerStems("prompt", "instructions", "system", "developer", "pre-prompt", "preprompt"),
    weight: 0.45,
    categories: injection,
    reason: "asks for the hidden system prompt",
    // "show me your system prompt" is often curiosity; "verbatim, including hidden instructions" is not.
    weigh: (match, folded) => (/\b(?:verbatim|word for word|exact(?:ly)?|in full|hidden|secret|confidential|everything)\b/.test(folded.slice(match.index, match.index + match[0].length + 80)) ? 0.55 : 0.45),
  },
  { id: "prompt-leak", pattern: repeatAbove, triggers: triggerStems("starting", "beginning", "verbatim", "word"), weight: 0.4, categories: injection, reason: "asks to repeat the hidden prompt" },
  { id: "hide-from-user", pattern: dontMention, triggers: triggerStems("mention", "disclose", "reveal"), weight: 0.2, categories: injection, reason: "asks to keep something from the user" },
  { id: "while-processing", pattern: whileProcessing, triggers: triggerStems("when", "whenever"), weight: 0.4, categories: injection, reason: "plants an action in content the model processes" },
  { id: "rewrite-instructions", pattern: rewriteInstructions, triggers: triggerStems("rewrite", "change", "modify", "update", "edit", "replace", "delete", "remove", "overwrite", "erase"), weight: 0.4, categories: injection, reason: "asks the model to rewrite its own instructions" },
  { id: "unbounded-compliance", pattern: unboundedCompliance, triggers: triggerStems("anything"), weight: 0.3, categories: jailbreak, reason: "asks for unbounded compliance" },
  {
    id: "disable-filters",
    pattern: disableFilters, triggers: triggerStems("filter", "filters", "filtering", "moderation", "guardrail", "guardrails", "safeguard", "safeguards", "safety"),
    weight: 0.4,
    categories: jailbreak,
    reason: "asks to switch off safety filters",
    // "disable the content filter in my router" is a settings question; "disable your filters" is not.
    weigh: (match) => (/\byour\b/.test(match[0]) ? 0.55 : 0.4),
  },
  { id: "hide-from-user", pattern: hideFromUser, triggers: triggerStems("user"), weight: 0.3, categories: injection, reason: "asks to keep something from the user" },
  { id: "override-mode", pattern: overrideMode, triggers: triggerStems("override", "sudo", "god"), weight: 0.4, categories: injection, reason: "claims an override or privileged mode" },
  { id: "persona-dan", pattern: doAnythingNow, triggers: triggerStems("do anything now"), weight: 0.75, categories: jailbreak, reason: "DAN-style persona jailbreak" },
  {
    id: "persona-dan",
    pattern: youAreDan, triggers: triggerStems("dan", "stan", "dude", "aim"),
    weight: 0.75,
    categories: jailbreak,
    reason: "DAN-style persona jailbreak",
    // "you are now Dan, our support agent" is a name; the jailbreak writes DAN in capitals.
    weigh: (_match, _folded, original) => (/\b(?:DAN|STAN|DUDE|AIM)\b/.test(original) ? 0.75 : 0.2),
  },
  { id: "developer-mode", pattern: inDeveloperMode, triggers: triggerStems("mode$"), weight: 0.75, categories: jailbreak, reason: "developer-mode jailbreak" },
  { id: "developer-mode", pattern: actInDeveloperMode, triggers: triggerStems("mode$"), weight: 0.7, categories: jailbreak, reason: "developer-mode jailbreak" },
  {
    id: "developer-mode",
    pattern: developerModeEnabled, triggers: triggerStems("mode$"),
    weight: 0.3,
    categories: jailbreak,
    reason: "developer-mode jailbreak",
    // "developer mode enabled" is also an Android setting; only with AI context is it a jailbreak.
    weigh: (_match, folded) => (aiContext.test(folded) ? 0.7 : 0.3),
  },
  { id: "jailbroken-persona", pattern: youAreJailbroken, triggers: triggerStems("jailbroken", "unchained", "liberated", "freed", "unlocked"), weight: 0.7, categories: jailbreak, reason: "jailbroken persona" },
  { id: "no-longer-bound", pattern: noLongerBound, triggers: triggerStems("you are", "you were", "freed", "released", "liberated"), weight: 0.6, categories: jailbreak, reason: "claims the model is free of its rules" },
  {
    id: "override-phrase",
    pattern: germanPhrase, triggers: triggerStems("ignorier", "vergiss", "vergesst", "vergessen", "missacht", "uberspring", "verwirf", "verwerfen", "befolge", "beachte"),
    weight: 0.75,
    categories: injection,
    reason: "instruction-override phrase",
    weigh: (match) => (germanQualifier.test(match[1] ?? "") ? 0.75 : 0),
  },
  { id: "override-phrase", pattern: germanEverything, triggers: triggerStems("vergiss", "vergessen", "ignorier"), weight: 0.7, categories: injection, reason: "instruction-override phrase" },
  { id: "persona-dan", pattern: germanPersona, triggers: triggerStems("du", "sie", "bist", "sind"), weight: 0.75, categories: jailbreak, reason: "persona jailbreak" },
  { id: "developer-mode", pattern: germanDeveloperMode, triggers: triggerStems("entwicklermodus", "developer-modus", "developermodus", "dan-modus", "danmodus", "jailbreak-modus", "jailbreakmodus"), weight: 0.75, categories: jailbreak, reason: "developer-mode jailbreak" },
  { id: "prompt-leak", pattern: germanReveal, triggers: triggerStems("system-prompt", "systemprompt", "systemanweisungen", "systemnachricht", "anfangsanweisungen"), weight: 0.45, categories: injection, reason: "asks for the hidden system prompt" },
  { id: "new-instructions", pattern: germanNew, triggers: triggerStems("neue"), weight: 0.3, categories: injection, reason: "announces new instructions" },
  {
    id: "override-phrase",
    pattern: frenchPhrase, triggers: triggerStems("ignor", "oubli", "ne tiens", "ne tenez", "fais abstraction", "faites abstraction", "neglige", "outrepass", "contourn", "n'obeis", "n'obeissez", "desobei"),
    weight: 0.75,
    categories: injection,
    reason: "instruction-override phrase",
    weigh: (match) => (/\b(?:toutes|tous|tes|vos)\b/.test(match[1] ?? "") || (match[3] ?? "") !== "" ? 0.75 : 0),
  },
  { id: "override-phrase", pattern: frenchEverything, triggers: triggerStems("tout ce qu"), weight: 0.7, categories: injection, reason: "instruction-override phrase" },
  { id: "persona-dan", pattern: frenchPersona, triggers: triggerStems("tu", "vous"), weight: 0.75, categories: jailbreak, reason: "persona jailbreak" },
  { id: "developer-mode", pattern: frenchDeveloperMode, triggers: triggerStems("mode$"), weight: 0.75, categories: jailbreak, reason: "developer-mode jailbreak" },
  { id: "prompt-leak", pattern: frenchReveal, triggers: triggerStems("prompt", "invite", "message", "instructions", "consignes"), weight: 0.45, categories: injection, reason: "asks for the hidden system prompt" },
  { id: "new-instructions", pattern: frenchNew, triggers: triggerStems("nouvelle", "nouvelles", "nouveau", "nouveaux"), weight: 0.3, categories: injection, reason: "announces new instructions" },
];

/** At most this many matches per rule are weighed; the strongest one counts. */
const matchesPerRule = 16;

/**
 * Appends instruction-override markers for a prepared text. The original text is only consulted
 * for case ("DAN" versus the name "Dan"). One marker per rule id, at the
 * strongest weight any match reached.
 */
export function scanInstructionOverride(subject: ScanSubject, _context: ScanContext, out: Marker[]): void {
  const { folded, original } = subject;
  const strongest = new Map<string, { rule: PhraseRule; weight: number }>();
  for (const rule of rules) {
    if (!hasAny(subject, rule.triggers)) continue;
    rule.pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    let count = 0;
    while (count < matchesPerRule && (match = rule.pattern.exec(folded)) !== null) {
      count += 1;
      if (match[0].length === 0) rule.pattern.lastIndex += 1;
      let weight = rule.weigh ? rule.weigh(match, folded, original) : rule.weight;
      if (weight <= 0) continue;
      if (rule.mentionable !== false) weight = mentionAdjustedWeight(weight, folded, match.index, match.index + match[0].length);
      const previous = strongest.get(rule.id);
      if (previous === undefined || previous.weight < weight) strongest.set(rule.id, { rule, weight });
    }
  }
  for (const [id, { rule, weight }] of strongest) {
    out.push({ id, family: "instruction-override", categories: [...rule.categories], weight, reason: rule.reason });
  }
}
