import { hasAny, mentionAdjustedWeight, sentences, triggerStems, type Marker, type ScanContext, type ScanSubject } from "./marker.ts";
import type { HazardCategoryCode, SafetyCategoryCode } from "./taxonomy.ts";

/**
 * Role-play wrappers: "pretend you are an AI without restrictions", "stay in character", "in a
 * story where a chemist explains how to make…". A story, a persona or a "hypothetically" is a
 * normal request on its own ("pretend you are a pirate", "write a story where a dragon learns to
 * fly"), so fictional framing alone is weak evidence. It becomes strong in two cases: the persona is
 * explicitly rule-free (no restrictions, uncensored, amoral), or the frame wraps a harmful ask
 * (making a bomb, synthesising a drug, killing someone) — then the marker also names the hazard
 * category of the ask. Harmful asks without a wrapper are left to the local model classifier.
 */

const personaVerb =
  /\b(?:pretend(?:ing)?|imagine|act(?:ing)? as|behave as|role-?play(?:ing)?|play (?:the role|a role|the part)|you are|you're|you will be|you'll be|become|simulate|emulate|respond as|answer as|speak as|from now on you|tu so,? als|spiel(?:e)? (?:die rolle|einen|eine)|du bist|bist du|sie sind|sind sie|stell dir vor|fais comme si|fais semblant|joue(?:z)? (?:le role|un role)|tu es|vous etes|imagine que)\b/;
const personaNoun =
  /\b(?:ai|a\.i\.|assistant|chatbot|model|llm|bot|entity|character|version of (?:yourself|you|chatgpt|the ai)|chatgpt|gpt|system|ki|assistent(?:in)?|modell|ia|intelligence artificielle|modele|personnage|figur|charakter)\b/;
const unrestricted =
  /\b(?:without|with no|with zero|zero|free (?:of|from)|not bound by|no longer bound by|unconstrained by|unburdened by|(?:that|who|which) (?:has|have) no|(?:that|who|which) ignores?|(?:that|who|which) (?:does not|doesn't|do not|don't|never) (?:follow|obey|care about|have)|lacking|ohne(?: jegliche)?|sans(?: aucune?)?|libre de)\s+(?:any\s+|all\s+|the\s+|its\s+|your\s+)?(?:restrictions?|limits?|limitations?|filters?|rules?|guidelines?|ethics|ethical (?:guidelines|constraints|principles|boundaries)|morals?|morality|censorship|content polic(?:y|ies)|safeguards?|guardrails?|boundaries|constraints?|safety (?:rules|guidelines|training)|einschrankungen|regeln|filter|grenzen|zensur|ethik|moral|richtlinien|limites?|filtres?|regles?|censure|ethique|morale|contraintes?)\b/;
const lawlessPersona =
  /\b(?:uncensored|unfiltered|unrestricted|amoral|unethical|evil|jailbroken|unhinged|rogue|lawless|unchained|no-limits|unzensiert(?:e|er|es)?|uneingeschrankt(?:e|er|es)?|non censure(?:e)?|sans filtre)\s+(?:ai|a\.i\.|assistant|chatbot|model|llm|bot|version|twin|confidant|persona|character|ki|assistent(?:in)?|ia|modele)\b|\b(?:answer|respond|reply|speak|write)\s+(?:as|like)\s+(?:an?\s+)?(?:uncensored|unfiltered|unrestricted|amoral|evil|unethical)\b/;
const youHaveNoRules =
  /\byou\s+(?:have|now have|got|possess)\s+no\s+(?:\S+\s+)?(?:guidelines|rules|restrictions|limits|limitations|filters|ethics|morals|polic(?:y|ies)|boundaries)\b|\b(?:tu n'as|vous n'avez)\s+(?:plus\s+)?(?:aucune?|pas de|plus de)\s+(?:regles?|limites?|restrictions?|filtres?|contraintes?)\b|\b(?:du hast|sie haben)\s+(?:jetzt\s+|nun\s+|ab sofort\s+)?keine\s+(?:regeln|grenzen|einschrankungen|filter|richtlinien)\b/;
const limitlessPersona =
  /\b(?:ai|a\.i\.|assistant|chatbot|model|llm|bot|persona|character|ki|ia)\s+(?:with|that has|who has|which has|mit|avec)\s+(?:no|zero|keine[nr]?|aucune?)\s+(?:limits|limitations|restrictions|rules|filters|boundaries|ethics|morals|censorship|grenzen|regeln|filter|einschrankungen|limites|regles|filtres|restrictions)\b/;
const dualResponse =
  /\b(?:respond|answer|reply)\s+(?:twice|in two ways|two times|with two (?:responses|answers))\b|\bfirst\s+(?:normally|as yourself|as chatgpt|as the (?:normal|classic) (?:ai|assistant))\b[^.!?\n]{0,40}?\b(?:then|and|second(?:ly)?)\b[^.!?\n]{0,20}?\bas\b/;
const regardlessOfHarm =
  /\b(?:however|no matter how|regardless of how|even if (?:it is|it's))\s+(?:dangerous|harmful|illegal|unethical|immoral|offensive|inappropriate)\b|\bregardless of (?:legality|ethics|morality|the consequences|safety|any (?:rules|polic(?:y|ies)))\b/;
const stayInCharacter = /\b(?:stay|remain|keep) in character\b|\b(?:never|don't|do not|must not) break character\b|\bif you break character\b|\bbleib(?:e)? in (?:der|deiner) rolle\b|\breste(?:z)? dans (?:le|ton|votre) (?:personnage|role)\b/;
const neverRefuse =
  /\b(?:never|must not|mustn't|do not|don't|cannot|can't|will not|won't|are not allowed to|may not)\s+(?:ever\s+)?(?:refuse|decline|say (?:no|you can't|you cannot|sorry|that you can't)|reject (?:a|any) request)\b|\bwithout (?:ever )?refusing\b|\b(?:answer|respond to) (?:every|any|all) (?:question|request|prompt)s? (?:no matter what|regardless)\b|\bverweigere? (?:niemals|nie)\b|\bne refuse jamais\b/;
const noDisclaimers = /\b(?:no|without|skip the|don't add|do not add)\s+(?:any\s+)?(?:warnings?|disclaimers?|moraliz\w+|moralis\w+|lectures?|ethical caveats)\b/;

const ruleNouns = triggerStems(
  ..."restriction|limit|filter|rule|guideline|ethic|ethique|moral|censor|polic|safeguard|guardrail|boundar|constraint|safety|einschrankung|regeln|grenzen|zensur|ethik|richtlinie|limite|filtre|regle|censure|contrainte".split("|"),
);
const unrestrictedLeads = triggerStems(
  ..."without|with no|with zero|zero|free of|free from|not bound|no longer bound|unconstrained|unburdened|that has no|who has no|which has no|that have no|who have no|which have no|that ignore|who ignore|which ignore|that does not|who does not|which does not|that doesn't|who doesn't|which doesn't|that do not|who do not|that don't|who don't|that never|who never|which never|lacking|ohne|sans|libre de".split(
    "|",
  ),
);
const limitlessLeads = triggerStems("with no", "with zero", "has no", "mit keine", "avec aucun");
const lawlessStems = triggerStems(
  ..."uncensored|unfiltered|unrestricted|amoral|unethical|evil|jailbroken|unhinged|rogue|lawless|unchained|no-limits|unzensiert|uneingeschrankt|non censure|sans filtre".split("|"),
);
const noRulesStems = triggerStems("you have no", "you now have no", "you got no", "you possess no", "tu n'as", "vous n'avez", "du hast", "sie haben");
const dualStems = triggerStems("twice", "in two ways", "two times", "with two", "first normally", "first as");
const harmStems = triggerStems("however", "no matter", "regardless", "even if");
const characterStems = triggerStems("character", "rolle", "personnage", "role");
const refuseStems = triggerStems(
  ..."refus|declin|say no|say you can|say sorry|say that you|reject a|reject any|answer every|answer any|answer all|respond to every|respond to any|respond to all|verweiger|ne refuse".split("|"),
);
const disclaimerStems = triggerStems("warning", "disclaimer", "moraliz", "moralis", "lecture", "ethical");

interface FramePattern {
  triggers: readonly string[];
  pattern: RegExp;
}

/** Fictional or hypothetical frames: weak alone, strong around a harmful ask. Each part has its own triggers. */
const fictionFrames: readonly FramePattern[] = [
  { triggers: triggerStems("hypothet"), pattern: /\bhypothetical(?:ly)?\b|\bhypothetisch\b|\bhypothetiquement\b/ },
  {
    triggers: triggerStems("in a", "in an", "within a", "inside a"),
    pattern:
      /\bin an? (?:fictional|hypothetical|imaginary|made-up|alternate) (?:story|world|universe|scenario|setting|reality)\b|\b(?:in|within|inside) a (?:fictional |hypothetical |imaginary |made-up |fantasy |dystopian )?(?:story|world|novel|universe|scenario|screenplay|game|movie|film|play|tale)\b[^.!?\n]{0,40}?\b(?:where|in which|whose)\b|\bin a parallel universe\b/,
  },
  {
    triggers: triggerStems("write a", "write me a"),
    pattern: /\bwrite (?:me )?a (?:story|scene|script|poem|dialogue|screenplay|chapter|fanfic\w*|song)\b[^.!?\n]{0,40}?\b(?:where|in which|about how|explaining|that explains|describing)\b/,
  },
  { triggers: triggerStems("imagine"), pattern: /\bimagine (?:a world|that you|you are|a scenario|que|un monde)\b/ },
  { triggers: triggerStems("for a", "for my"), pattern: /\bfor (?:a|my) (?:novel|story|book|screenplay|movie|game|thriller)\b/ },
  {
    triggers: triggerStems("educational", "research", "academic", "informational", "hypothetical"),
    pattern: /\b(?:purely|strictly|only|just) (?:for|as) (?:an? )?(?:educational|research|academic|informational|hypothetical) (?:purposes?|reasons|exercise)\b|\bfor educational purposes\b/,
  },
  {
    triggers: triggerStems("grandma", "grandmother", "granny", "grandpa", "grandfather"),
    pattern:
      /\bmy (?:late |dead |deceased )?(?:grandma|grandmother|granny|grandpa|grandfather)\b[^.!?\n]{0,60}?\bused to\b|\b(?:act|pretend|play|roleplay|role-play)\s+(?:as|to be)?\s*my\s+(?:late |dead |deceased )?(?:grandma|grandmother|granny|grandpa|grandfather)\b/,
  },
  { triggers: triggerStems("let's play", "lets play", "opposite day", "thought experiment"), pattern: /\blet'?s play a game\b|\bopposite day\b|\b(?:a|this) thought experiment\b/ },
  {
    triggers: triggerStems("it's for", "its for", "this is for", "that's for", "it's just for", "this is just for"),
    pattern: /\b(?:it'?s|this is|that'?s) (?:just )?for (?:a|my|an) (?:chemistry |biology |physics |school |university |college )?(?:exam|class|test|assignment|homework|project|course)\b/,
  },
  { triggers: triggerStems("complete this", "complete the"), pattern: /\bcomplete (?:this|the following|the) (?:sentence|text|paragraph|story)\b/ },
  { triggers: triggerStems("character who", "character that"), pattern: /\b(?:a|the) character (?:who|that) (?:explains|describes|tells|teaches)\b/ },
  { triggers: triggerStems("in einer", "zu bildungszwecken", "zu forschungszwecken", "zu lehrzwecken"), pattern: /\bin einer (?:fiktiven |erfundenen )?(?:geschichte|welt)\b[^.!?\n]{0,30}?\bin der\b|\bzu (?:bildungs|forschungs|lehr)zwecken\b/ },
  { triggers: triggerStems("dans une", "dans un", "a des fins"), pattern: /\bdans (?:une|un) (?:histoire|monde|roman|univers)\b[^.!?\n]{0,30}?\b(?:ou|dans laquelle|dans lequel)\b|\ba des fins (?:educatives|pedagogiques|de recherche)\b/ },
];

interface HarmfulAsk {
  /** Stems of the dangerous object or act; the full pattern runs only when one is present. */
  triggers: readonly string[];
  pattern: RegExp;
  category: HazardCategoryCode;
}

// A production verb a few words before a dangerous object ("how do I make a pipe bomb").
const makeVerb =
  "make|making|made|build|building|create|creating|synthesi[sz]e|synthesi[sz]ing|produce|producing|manufactur(?:e|ing)|assembl(?:e|ing)|cook|cooking|brew|brewing|construct|prepare|preparing|obtain|acquire|weaponi[sz]e|detonate|grow|culture|extract|refine|enrich|3d[- ]print|mix|mixing|bauen|baue|herstellen|stelle|basteln|mischen|kochen|fabriquer|construire|synthetiser|preparer|produire|faire|cuisiner";
const near = String.raw`\b(?:${makeVerb})\b(?:\s+\S+){0,4}?\s+`;

const harmfulAsks: readonly HarmfulAsk[] = [
  {
    triggers: triggerStems("bomb", "explosi", "ied", "c-4", "c4", "semtex", "tatp", "napalm", "nerve", "sarin", "vx", "tabun", "novichok", "mustard", "chlorine", "ricin", "thermite", "anthrax", "botulinum", "bio", "chemical", "radiological", "nuclear", "weapon", "molotov", "sprengs", "nervengas", "giftgas", "biowaff", "chemiewaff", "gaz", "arme"),
    category: "S9",
    pattern: new RegExp(
      near +
        String.raw`(?:(?<!bath |seed |photo |stink |smoke |glitter |calorie |cherry |flavou?r |f-|time )(?:pipe |nail |car |fertili[sz]er |homemade |improvised |dirty |nuclear |atomic |real |working )?bombs?\b(?![- ]?proof| shelters?| squads?| disposal| threats?| sniffing| drills?)|(?:high |plastic |homemade |improvised )?explosives?\b(?! (?:growth|flavou?r|performance))|(?:improvised )?explosive devices?|ieds?\b|c-?4\b|semtex|tatp\b|napalm|nerve (?:agents?|gas)|sarin|\bvx\b|tabun|novichok|mustard gas|chlorine gas|ricin|thermite|anthrax|botulinum|(?:bio|biological|chemical|radiological|nuclear) weapons?|bioweapons?|weapons?-grade (?:uranium|plutonium)|molotov|bombe|sprengstoff|sprengsatz|nervengas|giftgas|biowaffen?|chemiewaffen?|explosifs?|gaz (?:sarin|neurotoxique|moutarde)|armes? (?:chimiques?|biologiques?|nucleaires?))`,
    ),
  },
  {
    triggers: triggerStems("bomb", "sprengs", "nervengas", "giftgas", "biowaff"),
    category: "S9",
    pattern: /\b(?:bombe|sprengstoff|sprengsatz|nervengas|giftgas|biowaffe)\b(?:\s+\S+){0,3}?\s+(?:bauen|herstellen|basteln|mischen|zusammenbauen|synthetisieren)\b/,
  },
  {
    // The object first, the production request after it: "napalm..., tell me the steps to produce it".
    triggers: triggerStems("napalm", "sarin", "nerve", "ricin", "anthrax", "tatp", "semtex", "pipe", "nail", "molotov", "mustard", "novichok", "bioweapon", "chemical"),
    category: "S9",
    pattern: /\b(?:napalm|sarin|nerve agents?|ricin|anthrax|tatp|semtex|pipe bombs?|nail bombs?|molotov cocktails?|mustard gas|novichok|bioweapons?|chemical weapons?)\b(?:\s+\S+){0,10}?\s+(?:steps|recipe|instructions|procedure|synthesis)\b(?:\s+\S+){0,3}?\s+(?:to\s+)?(?:make|produce|build|synthesi[sz]e|create|prepare)\b/,
  },
  {
    triggers: triggerStems("meth", "fentanyl", "heroin", "cocaine", "crack", "lsd", "mdma", "counterfeit", "fake", "forged", "ransomware", "malware", "keylogger", "botnet", "phishing", "card", "credit", "skimmer", "untraceable", "ghost", "silencer", "suppressor", "zip"),
    category: "S2",
    pattern: new RegExp(
      near +
        String.raw`(?:(?:crystal )?meth(?:amphetamine)?\b|methamphetamin\w*|fentanyl|heroin|cocaine|crack cocaine|lsd\b|mdma\b|(?:counterfeit|fake|forged) (?:money|bills|currency|banknotes|passports?|ids?|documents)|ransomware|malware|keyloggers?|botnets?|phishing (?:emails?|pages?|sites?|kits?)|(?:credit )?card skimmers?|(?:untraceable|ghost) guns?|silencers?|suppressors?|zip guns?)`,
    ),
  },
  {
    triggers: triggerStems("hack", "break", "steal", "launder", "hotwir", "shoplift", "evad", "without", "gun", "firearm", "rifle", "pistol", "weapon"),
    category: "S2",
    pattern: /\b(?:hack(?:ing)? into|break(?:ing)? into (?:someone|a |an |my |his |her )|steal(?:ing)? (?:a |someone'?s? |credit|identit|money|passwords?|cars?|from)|launder(?:ing)? (?:money|cash|funds)|hotwir(?:e|ing) (?:a )?car|shoplift\w*|evad(?:e|ing) (?:taxes|the police)|(?:gun|firearm|rifle|pistol|weapon)s? without (?:a )?(?:background check|license|licence|serial number)|without (?:getting caught|being caught|leaving (?:a )?trace|being detected))\b/,
  },
  {
    triggers: triggerStems("kill", "murder", "poison", "stab", "shoot", "strangle", "kidnap", "tortur", "assassinat", "hurt", "harm", "beat", "attack"),
    category: "S1",
    pattern:
      /\b(?:kill|killing|murder|murdering|poison|poisoning|stab|stabbing|shoot|shooting|strangle|kidnap|kidnapping|torture|torturing|assassinate|hurt|harm|beat up|attack)\s+(?:a |an |my |the |your |his |her |their |some |that )?(?:person|people|someone|somebody|human|humans|man|woman|child|children|kid|kids|wife|husband|boss|neighbou?r|teacher|president|girlfriend|boyfriend|coworker|colleague|him|her|them|family|ex|classmates?|politician|police officer|jemanden|menschen|quelqu'un|personne)\b/,
  },
  {
    triggers: triggerStems("myself", "yourself", "themselves", "end my", "end your", "end their", "commit", "suicide", "overdose on", "mich umbringen", "me suicider"),
    category: "S11",
    pattern: /\b(?:kill(?:ing)?|hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?|starv(?:e|ing))\s+(?:myself|yourself|themselves)\b|\bend (?:my|your|their) (?:own )?life\b|\bcommit(?:ting)? suicide\b|\bsuicide (?:methods?|notes?|plan)\b|\boverdose on\b|\bmich umbringen\b|\bme suicider\b/,
  },
  {
    triggers: triggerStems("sexual", "sexy", "nude", "naked", "explicit", "erotic", "lewd", "minor", "child", "underage", "preteen"),
    category: "S4",
    pattern:
      /\b(?:sexual|sexy|nude|naked|explicit|erotic|lewd)\b(?:\s+\S+){0,4}?\s+(?:minors?|child(?:ren)?|kids?|underage|(?:\d{1,2}|twelve|thirteen|fourteen|fifteen)[- ]years?[- ]olds?|preteens?|schoolgirls?|schoolboys?)\b|\b(?:minors?|child(?:ren)?|underage|preteens?)\b(?:\s+\S+){0,3}?\s+(?:sexual|nude|naked|explicit|erotic)\b/,
  },
  {
    triggers: triggerStems("escape", "break", "breakout", "get", "reverse", "fork", "rm", "read", "cat", "dump", "exfiltrate", "print"),
    category: "S14",
    pattern: /\b(?:escape|break out of|breakout from|get out of)\s+(?:the |this |your )?(?:sandbox|container|code interpreter|jail)\b|\breverse shell\b|\bfork bomb\b|\brm -rf \/(?:\s|$)|\b(?:read|cat|dump|exfiltrate|print)\s+(?:the )?(?:\/etc\/(?:passwd|shadow)|host'?s? (?:files|filesystem)|environment variables of the host)/,
  },
  {
    triggers: triggerStems("racist", "sexist", "homophobic", "antisemitic", "transphobic", "xenophobic"),
    category: "S10",
    pattern: /\b(?:write|generate|tell|create|compose)\s+(?:me\s+)?(?:a |an |some )?(?:racist|sexist|homophobic|antisemitic|transphobic|xenophobic)\s+(?:jokes?|rants?|essays?|manifestos?|posts?|slurs?)\b/,
  },
  {
    triggers: triggerStems("explicit", "graphic", "hardcore"),
    category: "S12",
    pattern: /\b(?:explicit|graphic|hardcore)\s+(?:sex|sexual|porn\w*)\s+(?:scenes?|stor(?:y|ies)|content|descriptions?)\b/,
  },
];

/** The hazard category of the first harmful ask in a prepared text, or undefined. */
export function findHarmfulAsk(subject: ScanSubject): HazardCategoryCode | undefined {
  for (const ask of harmfulAsks) {
    if (hasAny(subject, ask.triggers) && ask.pattern.test(subject.folded)) return ask.category;
  }
  return undefined;
}

/**
 * Appends role-play markers for `folded`. Co-occurrence rules (persona + no restrictions) are
 * decided per sentence, so the work stays linear in the text length.
 */
export function scanRolePlay(subject: ScanSubject, _context: ScanContext, out: Marker[]): void {
  const { folded } = subject;
  const gated = (stems: readonly string[], pattern: RegExp) => hasAny(subject, stems) && pattern.test(folded);
  let rulelessPersona = false;
  if (hasAny(subject, unrestrictedLeads) && gated(ruleNouns, unrestricted)) {
    for (const sentence of sentences(folded)) {
      if (unrestricted.test(sentence) && personaVerb.test(sentence) && (personaNoun.test(sentence) || /\byou\b|\bdu\b|\btu\b/.test(sentence))) {
        rulelessPersona = true;
        break;
      }
    }
  }
  const lawless = hasAny(subject, lawlessStems) ? lawlessPersona.exec(folded) : null;
  const frame = fictionFrames.some((part) => hasAny(subject, part.triggers) && part.pattern.test(folded));
  const harmful = findHarmfulAsk(subject);
  const push = (id: string, weight: number, categories: SafetyCategoryCode[], reason: string) =>
    out.push({ id, family: "role-play", categories, weight, reason });

  if (!rulelessPersona && gated(noRulesStems, youHaveNoRules)) rulelessPersona = true;
  if (rulelessPersona) push("ruleless-persona", 0.6, ["jailbreak"], "asks for a persona without rules");
  if (lawless !== null) push("lawless-persona", mentionAdjustedWeight(0.55, folded, lawless.index, lawless.index + lawless[0].length), ["jailbreak"], "asks for an uncensored persona");
  if (hasAny(subject, limitlessLeads) && gated(ruleNouns, limitlessPersona)) push("limitless-persona", 0.45, ["jailbreak"], "asks for a persona without limits");
  if (gated(dualStems, dualResponse)) push("dual-response", 0.35, ["jailbreak"], "asks for a second, unfiltered answer");
  if (gated(harmStems, regardlessOfHarm)) push("regardless-of-harm", 0.3, ["jailbreak"], "asks to answer regardless of harm");
  if (gated(characterStems, stayInCharacter)) push("stay-in-character", 0.2, ["jailbreak"], "insists the model stays in character");
  if (gated(refuseStems, neverRefuse)) push("never-refuse", 0.35, ["jailbreak"], "forbids the model to refuse");
  if (gated(disclaimerStems, noDisclaimers)) push("no-disclaimers", 0.12, ["jailbreak"], "asks for no warnings or disclaimers");
  if (frame) push("fiction-frame", 0.2, ["jailbreak"], "fictional or hypothetical frame");
  if (harmful !== undefined) {
    const wrapped = frame || rulelessPersona || lawless !== null;
    if (wrapped) push("wrapped-harmful-ask", 0.8, ["jailbreak", harmful], "role-play wrapper around a harmful request");
    else push("harmful-ask", 0.25, [harmful], "asks for help with a hazardous activity");
  }
}
