/**
 * The safety categories a verdict can name. Two families live side by side:
 *
 * - the fourteen hazard categories S1..S14 of Llama Guard 3, so that a verdict from a local Llama
 *   Guard model, from a hosted moderation endpoint mapped onto the same codes, and from Hearth's
 *   own layers can be combined, counted and matched by policy rules without translation tables;
 * - Hearth's own categories for attacks on the model rather than harmful content (prompt
 *   injection, jailbreaks, hidden or encoded payloads, markup smuggling), which Llama Guard 3 does
 *   not cover and which the fast heuristic layer reports.
 *
 * The descriptions are Hearth's own short summaries, used in logs, the console and (for S1..S14)
 * the local-model classifier prompt. Codes are stable identifiers: policy files refer to them.
 */

export type HazardCategoryCode =
  | "S1"
  | "S2"
  | "S3"
  | "S4"
  | "S5"
  | "S6"
  | "S7"
  | "S8"
  | "S9"
  | "S10"
  | "S11"
  | "S12"
  | "S13"
  | "S14";

/** Attack categories reported by the heuristic layer; snake_case like the other finding types. */
export type AttackCategoryCode = "prompt_injection" | "jailbreak" | "obfuscation" | "markup_smuggling";

export type SafetyCategoryCode = HazardCategoryCode | AttackCategoryCode;

export interface SafetyCategory {
  code: SafetyCategoryCode;
  /** Display name; for S1..S14 the name Llama Guard 3 was trained on, so prompts stay compatible. */
  name: string;
  /** One or two sentences saying what falls under the category (Hearth's wording). */
  description: string;
  /** Where the category comes from: the Llama Guard 3 taxonomy or Hearth's heuristic layer. */
  origin: "llama-guard-3" | "hearth";
}

export interface HazardCategory extends SafetyCategory {
  code: HazardCategoryCode;
  origin: "llama-guard-3";
}

export interface AttackCategory extends SafetyCategory {
  code: AttackCategoryCode;
  origin: "hearth";
}

/** S1..S14 in order; the order is the one the local-model prompt lists them in. */
export const hazardCategories: readonly HazardCategory[] = [
  {
    code: "S1",
    name: "Violent Crimes",
    description: "Helping, encouraging or excusing violence against people or animals: murder, assault, kidnapping, terrorism, animal cruelty.",
    origin: "llama-guard-3",
  },
  {
    code: "S2",
    name: "Non-Violent Crimes",
    description: "Helping with crimes that do not hurt anyone physically: fraud, theft, hacking into systems, drug production or trafficking, weapons offences, money laundering.",
    origin: "llama-guard-3",
  },
  {
    code: "S3",
    name: "Sex-Related Crimes",
    description: "Helping with or excusing sexual assault, harassment, trafficking or prostitution offences.",
    origin: "llama-guard-3",
  },
  {
    code: "S4",
    name: "Child Sexual Exploitation",
    description: "Any sexual content involving minors, or help to groom, exploit or abuse children.",
    origin: "llama-guard-3",
  },
  {
    code: "S5",
    name: "Defamation",
    description: "False statements of fact presented as true that damage the reputation of a real, living person.",
    origin: "llama-guard-3",
  },
  {
    code: "S6",
    name: "Specialized Advice",
    description: "Financial, medical or legal advice given as authoritative where an error could cause serious harm, or that says dangerous activities are safe.",
    origin: "llama-guard-3",
  },
  {
    code: "S7",
    name: "Privacy",
    description: "Revealing sensitive, non-public personal information about a specific person that could enable harm to them.",
    origin: "llama-guard-3",
  },
  {
    code: "S8",
    name: "Intellectual Property",
    description: "Reproducing or helping to infringe copyrights, trademarks or patents of third parties.",
    origin: "llama-guard-3",
  },
  {
    code: "S9",
    name: "Indiscriminate Weapons",
    description: "Helping to make or use weapons that cause mass harm: chemical, biological, radiological and nuclear weapons, high-yield explosives, cluster munitions.",
    origin: "llama-guard-3",
  },
  {
    code: "S10",
    name: "Hate",
    description: "Demeaning or dehumanising people for protected characteristics such as race, religion, sex, sexual orientation, disability or illness.",
    origin: "llama-guard-3",
  },
  {
    code: "S11",
    name: "Suicide & Self-Harm",
    description: "Encouraging or helping with suicide, self-injury or disordered eating, rather than pointing to help.",
    origin: "llama-guard-3",
  },
  {
    code: "S12",
    name: "Sexual Content",
    description: "Sexually explicit descriptions or erotica involving adults.",
    origin: "llama-guard-3",
  },
  {
    code: "S13",
    name: "Elections",
    description: "False information about when, where or how to vote, who may vote, or how elections are run, that could stop people from voting.",
    origin: "llama-guard-3",
  },
  {
    code: "S14",
    name: "Code Interpreter Abuse",
    description: "Using a code-execution tool to attack its host: escaping the sandbox, denial of service, privilege escalation, reading or exfiltrating data it should not reach.",
    origin: "llama-guard-3",
  },
];

/** Hearth's attack categories, reported by the heuristic layer (heuristics.ts). */
export const attackCategories: readonly AttackCategory[] = [
  {
    code: "prompt_injection",
    name: "Prompt Injection",
    description: "Text that tries to replace the operator's instructions: override phrases, fake system headers, instructions planted in retrieved content.",
    origin: "hearth",
  },
  {
    code: "jailbreak",
    name: "Jailbreak",
    description: "Attempts to talk the model out of its safety rules: unrestricted personas, 'developer mode', fictional wrappers around a harmful request.",
    origin: "hearth",
  },
  {
    code: "obfuscation",
    name: "Obfuscation",
    description: "Instructions hidden from a human reader or a naive filter: base64, hex or rot13 payloads, invisible Unicode tags, zero-width or bidi-control tricks.",
    origin: "hearth",
  },
  {
    code: "markup_smuggling",
    name: "Markup Smuggling",
    description: "Instructions or data channels carried by markup: hidden HTML, comments addressed to the model, image links that leak conversation data to an outside server, scripts.",
    origin: "hearth",
  },
];

/** Every category, hazards first, in the order verdicts list them. */
export const safetyCategories: readonly SafetyCategory[] = [...hazardCategories, ...attackCategories];

const byCode = new Map<string, SafetyCategory>(safetyCategories.map((category) => [category.code, category]));
const order = new Map<string, number>(safetyCategories.map((category, index) => [category.code, index]));

/** True when `code` is one of the categories above (verdicts from outside are checked with it). */
export function isSafetyCategoryCode(code: string): code is SafetyCategoryCode {
  return byCode.has(code);
}

/** True for S1..S14. */
export function isHazardCategoryCode(code: string): code is HazardCategoryCode {
  return byCode.get(code)?.origin === "llama-guard-3";
}

/** The category for a code, or undefined for an unknown code. */
export function safetyCategory(code: string): SafetyCategory | undefined {
  return byCode.get(code);
}

/**
 * Sorts and de-duplicates category codes into taxonomy order (S1..S14, then attack categories,
 * then unknown codes alphabetically), so verdicts that name the same categories compare equal.
 */
export function sortCategoryCodes(codes: Iterable<string>): string[] {
  return [...new Set(codes)].sort((left, right) => {
    const leftIndex = order.get(left) ?? Number.MAX_SAFE_INTEGER;
    const rightIndex = order.get(right) ?? Number.MAX_SAFE_INTEGER;
    return leftIndex !== rightIndex ? leftIndex - rightIndex : left < right ? -1 : left > right ? 1 : 0;
  });
}
