import { dataTypes, type DataType } from "../data-types.ts";
import type { ContextLanguage } from "../types.ts";
import {
  base58Check,
  decimalModulo,
  eip55,
  githubChecksum,
  ibanCheckDigits,
  iso7064Mod11Check,
  italianCheckCharacter,
  luhnCheckDigit,
  luhnValid,
  spanishControlLetter,
  segwitAddress,
  weightedSum,
} from "./checksums.ts";
import { alphanumeric, base64UrlAlphabet, digits, hexLower, lowerLetters, upperLetters, type Random } from "./random.ts";
import {
  cities,
  companyWords,
  firstNames,
  hostNames,
  lastNames,
  monthNames,
  streetKinds,
  streetStems,
  topLevelDomains,
  ukPostcodeAreas,
  usCities,
  usStreetKinds,
  userNames,
  webmailDomains,
} from "./vocabulary.ts";

/**
 * Generators of VALID sensitive values for the evaluation set: every data type in data-types.ts
 * except person and organisation names (which need a gazetteer-free ground truth we cannot
 * generate honestly). Identifiers carry real check digits, secrets real vendor shapes (and, for
 * GitHub, the real CRC32 checksum), so a recognizer that validates is rewarded and one that only
 * matches a loose shape is caught by the hard negatives below.
 *
 * Every generator is a pure function of the Random it is given, so a seed fixes the whole set.
 */

/** The data types the evaluation set contains (all but the name types). */
export type GeneratedType = Exclude<DataType, "person_name" | "organization">;

export const generatedTypes: readonly GeneratedType[] = (Object.keys(dataTypes) as DataType[]).filter(
  (type): type is GeneratedType => type !== "person_name" && type !== "organization",
);

/**
 * One generated value as it will appear in a document. `start`/`end` delimit the labelled part:
 * the whole text for most types, only the password inside a connection string.
 */
export interface GeneratedValue {
  text: string;
  start: number;
  end: number;
}

export type ValueGenerator = (random: Random, language: ContextLanguage) => GeneratedValue;

function whole(text: string): GeneratedValue {
  return { text, start: 0, end: text.length };
}

function numberString(random: Random, length: number, firstNonZero = false): string {
  return (firstNonZero ? String(random.integer(1, 9)) : random.string(digits, 1)) + random.string(digits, length - 1);
}

function padded(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function groupEvery(text: string, size: number, separator: string): string {
  const groups: string[] = [];
  for (let index = 0; index < text.length; index += size) groups.push(text.slice(index, index + size));
  return groups.join(separator);
}

function groupBy(text: string, sizes: readonly number[], separator: string): string {
  const groups: string[] = [];
  let index = 0;
  for (const size of sizes) {
    groups.push(text.slice(index, index + size));
    index += size;
  }
  if (index < text.length) groups.push(text.slice(index));
  return groups.join(separator);
}

/** Latin letters for local parts of e-mail addresses (ü → ue, é → e). */
export function asciiFold(text: string): string {
  return text
    .replaceAll("ä", "ae")
    .replaceAll("ö", "oe")
    .replaceAll("ü", "ue")
    .replaceAll("Ä", "Ae")
    .replaceAll("Ö", "Oe")
    .replaceAll("Ü", "Ue")
    .replaceAll("ß", "ss")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "");
}

/** A language other than `language` now and then, so documents are not perfectly uniform. */
function mostly(random: Random, language: ContextLanguage, probability = 0.8): ContextLanguage {
  return random.chance(probability) ? language : random.pick(["en", "de", "fr"] as const);
}

// ── Payment cards ────────────────────────────────────────────────────────────────────────────

interface CardBrand {
  prefixes: () => string;
  length: number;
  groups: readonly number[];
}

function cardBrands(random: Random): readonly CardBrand[] {
  return [
    { prefixes: () => random.pick(["4", "4539", "4556", "4916", "4485", "4024", "4716"]), length: 16, groups: [4, 4, 4, 4] },
    { prefixes: () => String(random.chance(0.7) ? random.integer(51, 55) : random.integer(2221, 2720)), length: 16, groups: [4, 4, 4, 4] },
    { prefixes: () => random.pick(["34", "37"]), length: 15, groups: [4, 6, 5] },
    { prefixes: () => random.pick(["6011", "65", String(random.integer(644, 649))]), length: 16, groups: [4, 4, 4, 4] },
    { prefixes: () => String(random.integer(3528, 3589)), length: 16, groups: [4, 4, 4, 4] },
    { prefixes: () => random.pick(["36", "38", String(random.integer(300, 305))]), length: 14, groups: [4, 6, 4] },
  ];
}

/** A Luhn-valid card number with a real issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners). */
export function cardNumber(random: Random): { digits: string; groups: readonly number[] } {
  const brand = random.pick(cardBrands(random));
  const prefix = brand.prefixes();
  const payload = prefix + random.string(digits, brand.length - 1 - prefix.length);
  return { digits: payload + String(luhnCheckDigit(payload)), groups: brand.groups };
}

const paymentCard: ValueGenerator = (random) => {
  const card = cardNumber(random);
  const style = random.integer(0, 2);
  return whole(style === 0 ? card.digits : groupBy(card.digits, card.groups, style === 1 ? " " : "-"));
};

// ── IBAN ─────────────────────────────────────────────────────────────────────────────────────

const ibanCountries: Record<string, (random: Random) => string> = {
  DE: (random) => numberString(random, 8, true) + random.string(digits, 10),
  AT: (random) => numberString(random, 5, true) + random.string(digits, 11),
  CH: (random) => random.string(digits, 5) + random.string(digits, 12),
  FR: (random) => {
    const bank = numberString(random, 5, true);
    const branch = random.string(digits, 5);
    const account = random.string(digits, 11);
    const key = 97 - ((89 * Number(bank) + 15 * Number(branch) + 3 * decimalModulo(account, 97)) % 97);
    return bank + branch + account + padded(key, 2);
  },
  BE: (random) => {
    const first = random.string(digits, 10);
    const check = decimalModulo(first, 97) || 97;
    return first + padded(check, 2);
  },
  GB: (random) => random.pick(["NWBK", "BARC", "LOYD", "HBUK", "MIDL", "BUKB"]) + random.string(digits, 6) + random.string(digits, 8),
  NL: (random) => random.pick(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB"]) + random.string(digits, 10),
  ES: (random) => {
    const bank = random.string(digits, 4);
    const branch = random.string(digits, 4);
    const account = random.string(digits, 10);
    const weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    const control = (payload: string) => {
      const value = 11 - (weightedSum(payload, weights) % 11);
      return value === 11 ? 0 : value === 10 ? 1 : value;
    };
    return bank + branch + String(control(`00${bank}${branch}`)) + String(control(account)) + account;
  },
  IT: (random) => {
    const rest = random.string(digits, 5) + random.string(digits, 5) + random.string(digits, 12);
    return italianCheckCharacter(rest) + rest;
  },
  PL: (random) => random.string(digits, 8) + random.string(digits, 16),
};

const ibanCountriesByLanguage: Record<ContextLanguage, readonly string[]> = {
  en: ["GB", "GB", "NL", "ES", "IT", "PL", "DE", "FR"],
  de: ["DE", "DE", "DE", "AT", "CH", "NL"],
  fr: ["FR", "FR", "FR", "BE", "CH", "IT"],
};

/** A compact, mod-97-valid IBAN (national check digits too where the country has them). */
export function compactIban(random: Random, language: ContextLanguage): string {
  const country = random.pick(ibanCountriesByLanguage[language]);
  const bban = (ibanCountries[country] as (random: Random) => string)(random);
  return `${country}${ibanCheckDigits(country, bban)}${bban}`;
}

const iban: ValueGenerator = (random, language) => {
  const compact = compactIban(random, language);
  return whole(random.chance(0.55) ? groupEvery(compact, 4, " ") : compact);
};

// ── Crypto wallets ───────────────────────────────────────────────────────────────────────────

const cryptoWallet: ValueGenerator = (random) => {
  const kind = random.integer(0, 4);
  if (kind === 0 || kind === 1) {
    const payload = new Uint8Array(21);
    payload[0] = kind === 0 ? 0x00 : 0x05;
    payload.set(random.bytes(20), 1);
    return whole(base58Check(payload));
  }
  if (kind === 2) return whole(segwitAddress("bc", 0, random.bytes(20)));
  if (kind === 3) return whole(segwitAddress("bc", 1, random.bytes(32)));
  return whole(eip55(random.string(hexLower, 40)));
};

// ── VAT numbers ──────────────────────────────────────────────────────────────────────────────

const vatCountries: Record<string, (random: Random) => string> = {
  DE: (random) => {
    const payload = numberString(random, 8, true);
    return `DE${payload}${iso7064Mod11Check(payload)}`;
  },
  FR: (random) => {
    const sirenPayload = numberString(random, 8, true);
    const siren = sirenPayload + String(luhnCheckDigit(sirenPayload));
    const key = (12 + 3 * (Number(siren) % 97)) % 97;
    return `FR${padded(key, 2)}${siren}`;
  },
  IT: (random) => {
    const payload = random.string(digits, 7) + padded(random.integer(1, 100), 3);
    return `IT${payload}${luhnCheckDigit(payload)}`;
  },
  NL: (random) => {
    for (;;) {
      const payload = numberString(random, 8, true);
      const check = weightedSum(payload, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
      if (check < 10) return `NL${payload}${check}B${padded(random.integer(1, 99), 2)}`;
    }
  },
  BE: (random) => {
    const payload = `0${numberString(random, 7, true)}`;
    return `BE${payload}${padded(97 - (Number(payload) % 97), 2)}`;
  },
  AT: (random) => {
    const payload = random.string(digits, 7);
    const digitAt = (index: number) => payload.charCodeAt(index) - 48;
    const doubled = (value: number) => Math.floor((2 * value) / 10) + ((2 * value) % 10);
    const sum = digitAt(0) + doubled(digitAt(1)) + digitAt(2) + doubled(digitAt(3)) + digitAt(4) + doubled(digitAt(5)) + digitAt(6);
    return `ATU${payload}${(10 - ((sum + 4) % 10)) % 10}`;
  },
  PL: (random) => {
    for (;;) {
      const payload = numberString(random, 9, true);
      const check = weightedSum(payload, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
      if (check < 10) return `PL${payload}${check}`;
    }
  },
  GB: (random) => {
    const payload = numberString(random, 7, true);
    const check = (97 - (weightedSum(payload, [8, 7, 6, 5, 4, 3, 2]) % 97)) % 97;
    return `GB${payload}${padded(check, 2)}`;
  },
};

const vatCountriesByLanguage: Record<ContextLanguage, readonly string[]> = {
  en: ["GB", "GB", "IT", "NL", "PL", "DE"],
  de: ["DE", "DE", "AT", "AT", "NL"],
  fr: ["FR", "FR", "BE", "BE", "IT"],
};

const vatNumber: ValueGenerator = (random, language) => {
  const compact = (vatCountries[random.pick(vatCountriesByLanguage[language])] as (random: Random) => string)(random);
  if (compact.startsWith("DE") && random.chance(0.3)) return whole(`DE ${groupEvery(compact.slice(2), 3, " ")}`);
  if (compact.startsWith("FR") && random.chance(0.3)) return whole(`FR ${compact.slice(2, 4)} ${groupEvery(compact.slice(4), 3, " ")}`);
  return whole(compact);
};

// ── National identifiers ─────────────────────────────────────────────────────────────────────

const deTaxId: ValueGenerator = (random) => {
  for (;;) {
    const present = random.shuffle([..."0123456789"]).slice(0, 9);
    const doubled = random.pick(present);
    const body = random.shuffle([...present, doubled]).join("");
    if (body.startsWith("0")) continue;
    const id = body + String(iso7064Mod11Check(body));
    return whole(random.chance(0.3) ? groupBy(id, [2, 3, 3, 3], " ") : id);
  }
};

const frNir: ValueGenerator = (random) => {
  const sex = random.pick(["1", "2"]);
  const year = padded(random.integer(0, 99), 2);
  const month = padded(random.integer(1, 12), 2);
  const corsica = random.chance(0.05);
  const department = corsica ? random.pick(["2A", "2B"]) : padded(random.pick([random.integer(1, 19), random.integer(21, 95)]), 2);
  const commune = padded(random.integer(1, 999), 3);
  const order = padded(random.integer(1, 999), 3);
  const numeric = `${sex}${year}${month}${department.replace("2A", "19").replace("2B", "18")}${commune}${order}`;
  const key = padded(97 - decimalModulo(numeric, 97), 2);
  const parts = [sex, year, month, department, commune, order, key];
  return whole(random.chance(0.5) ? parts.join(" ") : parts.join(""));
};

const esDni: ValueGenerator = (random) => {
  if (random.chance(0.3)) {
    const prefix = random.integer(0, 2);
    const number = random.string(digits, 7);
    const letter = spanishControlLetter(Number(`${prefix}${number}`));
    return whole(`${"XYZ"[prefix]}${number}${random.chance(0.2) ? "-" : ""}${letter}`);
  }
  const number = random.string(digits, 8);
  return whole(`${number}${random.chance(0.2) ? "-" : ""}${spanishControlLetter(Number(number))}`);
};

const consonants = "BCDFGHJKLMNPQRSTVWXZ";

const itFiscalCode: ValueGenerator = (random) => {
  const surname = random.string(consonants, 3);
  const name = random.string(consonants, 3);
  const year = padded(random.integer(40, 99), 2);
  const month = random.pick([..."ABCDEHLMPRST"]);
  const day = padded(random.integer(1, 28) + (random.chance(0.5) ? 40 : 0), 2);
  const place = `${random.pick([..."ABCDEFGHILM"])}${padded(random.integer(1, 999), 3)}`;
  const body = `${surname}${name}${year}${month}${day}${place}`;
  return whole(body + italianCheckCharacter(body));
};

const nlBsn: ValueGenerator = (random) => {
  for (;;) {
    const payload = numberString(random, 8, true);
    const check = weightedSum(payload, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
    if (check === 10) continue;
    const bsn = payload + String(check);
    return whole(random.chance(0.2) ? groupBy(bsn, [4, 2, 3], ".") : bsn);
  }
};

const plPesel: ValueGenerator = (random) => {
  const year = random.integer(1940, 2009);
  const month = random.integer(1, 12) + (year >= 2000 ? 20 : 0);
  const day = random.integer(1, 28);
  const payload = `${padded(year % 100, 2)}${padded(month, 2)}${padded(day, 2)}${random.string(digits, 4)}`;
  const check = (10 - (weightedSum(payload, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10;
  return whole(payload + String(check));
};

const usSsn: ValueGenerator = (random) => {
  let area = random.integer(1, 899);
  if (area === 666) area = 667;
  const parts = [padded(area, 3), padded(random.integer(1, 99), 2), padded(random.integer(1, 9999), 4)];
  const style = random.integer(0, 9);
  return whole(parts.join(style < 8 ? "-" : style === 8 ? " " : ""));
};

const usItin: ValueGenerator = (random) => {
  const group = random.pick([random.integer(50, 65), random.integer(70, 88), random.integer(90, 92), random.integer(94, 99)]);
  return whole(`9${random.string(digits, 2)}-${group}-${random.string(digits, 4)}`);
};

const ukNino: ValueGenerator = (random) => {
  for (;;) {
    const first = random.pick([..."ABCEGHJKLMNOPRSTWXYZ"]);
    const second = random.pick([..."ABCEGHJKLMNPRSTWXYZ"]);
    const prefix = first + second;
    if (["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].includes(prefix)) continue;
    const number = random.string(digits, 6);
    const suffix = random.pick([..."ABCD"]);
    return whole(random.chance(0.5) ? `${prefix} ${groupEvery(number, 2, " ")} ${suffix}` : `${prefix}${number}${suffix}`);
  }
};

const passport: ValueGenerator = (random, language) => {
  const country = mostly(random, language);
  if (country === "de") return whole(random.pick([..."CFGHJK"]) + random.string("CFGHJKLMNPRTVWXYZ0123456789", 8));
  if (country === "fr") return whole(`${random.string(digits, 2)}${random.string(upperLetters, 2)}${random.string(digits, 5)}`);
  return whole(random.chance(0.5) ? numberString(random, 9, true) : `${random.pick([..."ACEHKLMNPRSTUW"])}${random.string(digits, 8)}`);
};

const drivingLicence: ValueGenerator = (random, language) => {
  const country = mostly(random, language);
  if (country === "de") return whole(random.pick([..."BFJKLMN"]) + random.string(digits, 3) + random.string(upperLetters + digits, 6) + random.string(digits, 1));
  if (country === "fr") return whole(`${random.string(digits, 2)}${random.string(upperLetters, 2)}${random.string(digits, 5)}`);
  if (random.chance(0.5)) return whole(`${random.pick([..."ABCDEFGNSW"])}${random.string(digits, 7)}`);
  const surname = asciiFold(random.pick(lastNames.en)).toUpperCase().padEnd(5, "9").slice(0, 5);
  const year = random.integer(40, 99);
  const month = random.integer(1, 12) + (random.chance(0.5) ? 50 : 0);
  const day = padded(random.integer(1, 28), 2);
  return whole(`${surname}${Math.floor(year / 10)}${padded(month, 2)}${day}${year % 10}${random.string(upperLetters, 2)}9${random.string(upperLetters + digits, 2)}`);
};

// ── Personal details ─────────────────────────────────────────────────────────────────────────

/** A calendar date between 1940 and 2006. */
export function birthDate(random: Random): { year: number; month: number; day: number } {
  const month = random.integer(1, 12);
  const lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return { year: random.integer(1940, 2006), month, day: random.integer(1, lengths[month - 1] as number) };
}

/** A date in the style `language` writes it (several styles each). */
export function formatDate(random: Random, language: ContextLanguage, date: { year: number; month: number; day: number }): string {
  const { year, month, day } = date;
  const iso = `${year}-${padded(month, 2)}-${padded(day, 2)}`;
  const monthName = monthNames[language][month - 1] as string;
  const style = random.integer(0, 3);
  if (language === "de") return [`${padded(day, 2)}.${padded(month, 2)}.${year}`, `${day}. ${monthName} ${year}`, iso, `${day}.${month}.${year}`][style] as string;
  if (language === "fr") return [`${padded(day, 2)}/${padded(month, 2)}/${year}`, `${day} ${monthName} ${year}`, iso, `${day === 1 ? "1er" : day} ${monthName} ${year}`][style] as string;
  return [`${monthName} ${day}, ${year}`, `${day} ${monthName} ${year}`, iso, `${padded(month, 2)}/${padded(day, 2)}/${year}`][style] as string;
}

const dateOfBirth: ValueGenerator = (random, language) => whole(formatDate(random, language, birthDate(random)));

function ukPostcode(random: Random): string {
  const inward = `${random.integer(1, 9)}${random.string("ABDEFGHJLNPQRSTUWXYZ", 2)}`;
  return `${random.pick(ukPostcodeAreas)}${random.integer(1, 20)} ${inward}`;
}

const postalAddress: ValueGenerator = (random, language) => {
  const houseNumber = random.integer(1, 240);
  if (language === "de") {
    const stem = random.pick(streetStems.de);
    const kind = random.pick(streetKinds.de);
    return whole(`${stem}${kind} ${houseNumber}${random.chance(0.1) ? "a" : ""}, ${padded(random.integer(1067, 99998), 5)} ${random.pick(cities.de)}`);
  }
  if (language === "fr") {
    const street = `${random.pick(streetKinds.fr)} ${random.pick(streetStems.fr)}`;
    return whole(`${houseNumber}${random.chance(0.1) ? " bis" : ""} ${street}, ${padded(random.integer(1000, 95999), 5)} ${random.pick(cities.fr)}`);
  }
  if (random.chance(0.5)) {
    const [city, state] = random.pick(usCities);
    return whole(`${houseNumber} ${random.pick(streetStems.en)} ${random.pick(usStreetKinds)}, ${city}, ${state} ${padded(random.integer(10001, 99950), 5)}`);
  }
  return whole(`${houseNumber} ${random.pick(streetStems.en)} ${random.pick(streetKinds.en)}, ${random.pick(cities.en)} ${ukPostcode(random)}`);
};

// ── Contact and network identifiers ──────────────────────────────────────────────────────────

/** An e-mail address for someone with a name from `language`. */
export function emailAddress(random: Random, language: ContextLanguage): string {
  const first = asciiFold(random.pick(firstNames[language])).toLowerCase();
  const last = asciiFold(random.pick(lastNames[language])).toLowerCase();
  const local = random.pick([`${first}.${last}`, `${first[0]}${last}`, `${first}${random.integer(1, 99)}`, `${first}_${last}`, `${last}.${first}`]);
  const domain = random.chance(0.5)
    ? random.pick(webmailDomains[language])
    : `${random.chance(0.2) ? "mail." : ""}${random.pick(companyWords)}.${random.pick(topLevelDomains[language])}`;
  return `${local}@${domain}`;
}

const email: ValueGenerator = (random, language) => whole(emailAddress(random, language));

function spacedPairs(text: string): string {
  return groupEvery(text, 2, " ");
}

const phone: ValueGenerator = (random, language) => {
  const country = mostly(random, language, 0.85);
  if (country === "de") {
    const mobile = random.chance(0.4);
    const area = mobile ? random.pick(["151", "152", "160", "170", "171", "176", "157"]) : random.pick(["30", "40", "89", "221", "69", "711", "341", "351"]);
    const subscriber = numberString(random, mobile ? 8 : random.integer(6, 8), true);
    const style = random.integer(0, 3);
    return whole([`+49 ${area} ${subscriber}`, `0${area} ${subscriber}`, `+49 (0)${area} ${subscriber}`, `0${area}/${subscriber}`][style] as string);
  }
  if (country === "fr") {
    const leading = random.pick(["1", "2", "3", "4", "5", "6", "7", "9"]);
    const rest = random.string(digits, 8);
    const style = random.integer(0, 3);
    return whole([`+33 ${leading} ${spacedPairs(rest)}`, `0${leading} ${spacedPairs(rest)}`, `0${leading}${rest}`, `0${leading}.${groupEvery(rest, 2, ".")}`][style] as string);
  }
  if (random.chance(0.5)) {
    const area = `${random.integer(2, 9)}${random.integer(0, 8)}${random.integer(0, 9)}`;
    const exchange = `${random.integer(2, 9)}${random.string(digits, 2)}`;
    const line = random.string(digits, 4);
    const style = random.integer(0, 4);
    return whole([`+1 ${area} ${exchange} ${line}`, `+1 (${area}) ${exchange}-${line}`, `(${area}) ${exchange}-${line}`, `${area}-${exchange}-${line}`, `${area}.${exchange}.${line}`][style] as string);
  }
  if (random.chance(0.5)) {
    const subscriber = `7${random.integer(1, 9)}${random.string(digits, 2)} ${random.string(digits, 6)}`;
    return whole(random.chance(0.5) ? `+44 ${subscriber}` : `0${subscriber}`);
  }
  const london = `${random.pick(["3", "7", "8"])}${random.string(digits, 3)} ${random.string(digits, 4)}`;
  return whole(random.chance(0.5) ? `+44 20 ${london}` : `020 ${london}`);
};

const ipv4: ValueGenerator = (random) => {
  let first = random.integer(1, 223);
  while ([10, 100, 127, 169, 172, 192].includes(first)) first = random.integer(1, 223);
  return whole(`${first}.${random.integer(0, 255)}.${random.integer(0, 255)}.${random.integer(1, 254)}`);
};

const ipv6: ValueGenerator = (random) => {
  const groups = [random.pick(["2001", "2a00", "2a01", "2a02", "2a03", "2600", "2604", "2003", "2c0f", "2406"])];
  if (groups[0] === "2001") groups.push(random.pick(["470", "4860", "67c", "1608", "41d0"]));
  while (groups.length < 8) groups.push(random.integer(0, 65535).toString(16));
  if (random.chance(0.5)) {
    const from = random.integer(3, 5);
    const length = random.integer(2, 8 - from);
    const head = groups.slice(0, from).join(":");
    const tail = groups.slice(from + length).join(":");
    return whole(`${head}::${tail}`);
  }
  return whole(groups.join(":"));
};

const macAddress: ValueGenerator = (random) => {
  const bytes = random.bytes(6);
  bytes[0] = (bytes[0] as number) & 0xfe;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"));
  const text = hex.join(random.chance(0.7) ? ":" : "-");
  return whole(random.chance(0.4) ? text.toUpperCase() : text);
};

// ── Secrets ──────────────────────────────────────────────────────────────────────────────────

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const base64Alphabet = `${alphanumeric}+/`;

/** Base64url without padding, as JWTs use it. */
export function base64Url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64url");
}

const awsAccessKey: ValueGenerator = (random) => whole(`${random.chance(0.85) ? "AKIA" : "ASIA"}${random.string(base32Upper, 16)}`);

const awsSecretKey: ValueGenerator = (random) => whole(random.string(base64Alphabet, 40));

/** A GitHub token with a valid CRC32 checksum (classic prefixes), or a fine-grained PAT. */
export function githubToken(random: Random): string {
  if (random.chance(0.2)) return `github_pat_${random.string(alphanumeric, 22)}_${random.string(alphanumeric, 59)}`;
  const entropy = random.string(alphanumeric, 30);
  return `${random.pick(["ghp", "gho", "ghu", "ghs", "ghr"])}_${entropy}${githubChecksum(entropy)}`;
}

const githubTokenGenerator: ValueGenerator = (random) => whole(githubToken(random));

const gitlabToken: ValueGenerator = (random) => whole(`glpat-${random.string(base64UrlAlphabet, 20)}`);

const slackToken: ValueGenerator = (random) => {
  const number = () => numberString(random, random.integer(10, 13), true);
  if (random.chance(0.6)) return whole(`xoxb-${number()}-${number()}-${random.string(alphanumeric, 24)}`);
  return whole(`xoxp-${number()}-${number()}-${number()}-${random.string(hexLower, 32)}`);
};

const stripeKey: ValueGenerator = (random) => whole(`${random.chance(0.8) ? "sk_live_" : "rk_live_"}${random.string(alphanumeric, random.chance(0.5) ? 24 : 99)}`);

const openaiKey: ValueGenerator = (random) => {
  const marker = "T3BlbkFJ";
  const kind = random.integer(0, 5);
  if (kind === 0) return whole(`sk-${random.string(alphanumeric, 20)}${marker}${random.string(alphanumeric, 20)}`);
  const prefix = kind === 1 ? "sk-svcacct-" : "sk-proj-";
  return whole(`${prefix}${random.string(base64UrlAlphabet, 74)}${marker}${random.string(base64UrlAlphabet, 74)}`);
};

const anthropicKey: ValueGenerator = (random) => whole(`sk-ant-api03-${random.string(base64UrlAlphabet, 93)}AA`);

const googleApiKey: ValueGenerator = (random) => whole(`AIza${random.string(base64UrlAlphabet, 35)}`);

/** A JWT whose header and payload are real base64url JSON; the signature is random bytes. */
export function jsonWebToken(random: Random): string {
  const algorithm = random.pick(["HS256", "RS256", "ES256"]);
  const header = algorithm === "HS256" ? { alg: algorithm, typ: "JWT" } : { alg: algorithm, typ: "JWT", kid: random.string(hexLower, 16) };
  const issuedAt = 1_700_000_000 + random.integer(0, 60_000_000);
  const payload = {
    sub: random.chance(0.5) ? String(random.integer(1000, 9_999_999)) : random.string(hexLower, 24),
    iss: `https://auth.${random.pick(companyWords)}.com`,
    scope: random.pick(["read", "read write", "admin", "orders:read"]),
    iat: issuedAt,
    exp: issuedAt + random.pick([900, 3600, 86_400]),
  };
  const signatureLength = algorithm === "RS256" ? 256 : algorithm === "ES256" ? 64 : 32;
  return `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(payload))}.${base64Url(random.bytes(signatureLength))}`;
}

const jwt: ValueGenerator = (random) => whole(jsonWebToken(random));

const bearerToken: ValueGenerator = (random) => {
  for (;;) {
    const token = random.string(base64UrlAlphabet, random.integer(32, 64));
    if (!token.startsWith("eyJ") && !/^[-_]/.test(token)) return whole(token);
  }
};

const privateKeyKinds = [
  { label: "RSA PRIVATE KEY", header: [0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00], bytes: 1190, width: 64 },
  { label: "PRIVATE KEY", header: [0x30, 0x82, 0x04, 0xbe, 0x02, 0x01, 0x00], bytes: 1218, width: 64 },
  { label: "EC PRIVATE KEY", header: [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20], bytes: 121, width: 64 },
  { label: "OPENSSH PRIVATE KEY", header: [...new TextEncoder().encode("openssh-key-v1\0")], bytes: 400, width: 70 },
] as const;

/** A PEM private-key block with a random body (real newlines; callers escape as their format needs). */
export function privateKeyBlock(random: Random): string {
  const kind = random.pick(privateKeyKinds);
  const body = new Uint8Array(kind.bytes);
  body.set(kind.header);
  body.set(random.bytes(kind.bytes - kind.header.length), kind.header.length);
  const base64 = Buffer.from(body).toString("base64");
  return `-----BEGIN ${kind.label}-----\n${groupEvery(base64, kind.width, "\n")}\n-----END ${kind.label}-----`;
}

const privateKey: ValueGenerator = (random) => whole(privateKeyBlock(random));

const urlPassword: ValueGenerator = (random) => {
  const password = random.string(alphanumeric, 1) + random.string(`${alphanumeric}-_.~!*`, random.integer(9, 22)) + random.string(alphanumeric, 1);
  const user = random.pick(userNames);
  const host = random.pick(hostNames);
  const scheme = random.pick(["postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqp", "https"]);
  const suffix = {
    postgres: `:5432/${random.pick(["app", "billing", "orders"])}`,
    postgresql: `:5432/${random.pick(["app", "analytics"])}?sslmode=require`,
    mysql: `:3306/${random.pick(["shop", "wordpress"])}`,
    "mongodb+srv": `/${random.pick(["prod", "events"])}?retryWrites=true&w=majority`,
    redis: `:6379/${random.integer(0, 3)}`,
    amqp: `:5672/${random.pick(["%2F", "jobs"])}`,
    https: `/${random.pick(["repo.git", "api/v1/export", "simple/"])}`,
  }[scheme];
  const userPart = scheme === "redis" && random.chance(0.5) ? "" : user;
  const before = `${scheme}://${userPart}:`;
  return { text: `${before}${password}@${host}${suffix ?? ""}`, start: before.length, end: before.length + password.length };
};

const humanWords = ["Sommer", "Winter", "Soleil", "Dragon", "Sunshine", "Falcon", "Kaffee", "Baguette", "Monkey", "Phoenix"];

const genericSecret: ValueGenerator = (random) => {
  const kind = random.integer(0, 4);
  if (kind === 0) return whole(random.string(hexLower, random.pick([32, 40, 64])));
  if (kind === 1) {
    const length = random.pick([24, 32, 44]);
    return whole(random.string(base64Alphabet, length - 1) + (random.chance(0.5) ? "=" : random.string(alphanumeric, 1)));
  }
  if (kind === 2) return whole(random.string(alphanumeric, random.integer(16, 32)));
  if (kind === 3) return whole(`${random.pick(humanWords)}${random.integer(1970, 2025)}${random.pick(["!", "#", "$", "?", "&"])}${random.string(lowerLetters, 2)}`);
  return whole(`${random.string(alphanumeric, 8)}-${random.string(alphanumeric, 8)}-${random.string(alphanumeric, 8)}`);
};

/** One generator per evaluated data type. */
export const valueGenerators: Record<GeneratedType, ValueGenerator> = {
  email,
  phone,
  ipv4,
  ipv6,
  mac_address: macAddress,
  payment_card: paymentCard,
  iban,
  crypto_wallet: cryptoWallet,
  vat_number: vatNumber,
  us_ssn: usSsn,
  us_itin: usItin,
  uk_nino: ukNino,
  de_tax_id: deTaxId,
  fr_nir: frNir,
  es_dni: esDni,
  it_fiscal_code: itFiscalCode,
  nl_bsn: nlBsn,
  pl_pesel: plPesel,
  passport,
  driving_licence: drivingLicence,
  date_of_birth: dateOfBirth,
  postal_address: postalAddress,
  aws_access_key: awsAccessKey,
  aws_secret_key: awsSecretKey,
  github_token: githubTokenGenerator,
  gitlab_token: gitlabToken,
  slack_token: slackToken,
  stripe_key: stripeKey,
  openai_key: openaiKey,
  anthropic_key: anthropicKey,
  google_api_key: googleApiKey,
  jwt,
  bearer_token: bearerToken,
  private_key: privateKey,
  url_password: urlPassword,
  generic_secret: genericSecret,
};

/** A valid value of `type`, formatted the way `language` writes it where that matters (dates, addresses, phones). */
export function generateValue(type: GeneratedType, random: Random, language: ContextLanguage): GeneratedValue {
  return valueGenerators[type](random, language);
}

// ── Hard negatives ───────────────────────────────────────────────────────────────────────────

/**
 * Near misses that must NOT be flagged. Decisions where reasonable people differ:
 * - Documentation examples (`AKIAIOSFODNN7EXAMPLE`, `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`) and
 *   placeholders (`sk-xxxx…`, `YOUR_API_KEY`, `${DB_PASSWORD}`, `********`) COUNT as negatives:
 *   users paste them while asking for help, they grant nothing, and blocking them is exactly the
 *   false alarm that makes people switch a guardrail off. They are recognisable (the literal
 *   EXAMPLE suffix, one repeated character, a template reference).
 * - Checksum failures (Luhn-invalid 16-digit numbers, IBANs with a wrong check digit, base58 or
 *   EIP-55 with one character changed, `ghp_` tokens whose CRC32 does not match) COUNT as
 *   negatives: for the checksum group, validating is the point.
 * - Four-part version numbers whose parts are all ≤ 255 ("version 1.2.3.4") are genuinely
 *   IPv4-shaped; they are in NEITHER the positives nor the negatives. Build numbers with a part
 *   above 255 (10.0.19045.3803) are negatives.
 * - All-lower-case 0x… Ethereum addresses carry no EIP-55 checksum; they are in neither set.
 * - Dates are negatives unless a birth context word is near (invoice dates, delivery dates).
 * - Private IPv4 ranges are in neither set (whether 10.0.0.5 is personal data is a policy choice).
 */
export type HardNegativeKind =
  | "luhn_invalid_number"
  | "order_number"
  | "invoice_number"
  | "tracking_number"
  | "timestamp"
  | "version"
  | "uuid"
  | "git_sha"
  | "sha256"
  | "hex_colour"
  | "product_code"
  | "isbn"
  | "bad_iban"
  | "bad_bitcoin"
  | "bad_ethereum"
  | "bad_github_token"
  | "customer_number"
  | "base64_image"
  | "placeholder_key"
  | "documentation_example"
  | "secret_reference"
  | "plain_date";

export const hardNegativeKinds: readonly HardNegativeKind[] = [
  "luhn_invalid_number",
  "order_number",
  "invoice_number",
  "tracking_number",
  "timestamp",
  "version",
  "uuid",
  "git_sha",
  "sha256",
  "hex_colour",
  "product_code",
  "isbn",
  "bad_iban",
  "bad_bitcoin",
  "bad_ethereum",
  "bad_github_token",
  "customer_number",
  "base64_image",
  "placeholder_key",
  "documentation_example",
  "secret_reference",
  "plain_date",
];

/** A digit string of `length` whose Luhn check fails (so no card recognizer may accept it). */
function luhnInvalidDigits(random: Random, length: number, prefix = ""): string {
  const payload = prefix + random.string(digits, length - 1 - prefix.length);
  const valid = luhnCheckDigit(payload);
  return payload + String((valid + random.integer(1, 9)) % 10);
}

/** Changes one character of `text` at an index in [from, to) to another from `alphabet`. */
function changeOne(random: Random, text: string, alphabet: string, from: number, to: number): string {
  const index = random.integer(from, to - 1);
  const current = text[index] as string;
  let replacement = current;
  while (replacement === current) replacement = random.pick([...alphabet]);
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

/** Vendor prefixes a random base64 blob must not contain by accident. */
const accidentalSecret = /AKIA|ASIA|AIza|sk-|sk_|rk_|xox|ghp_|gho_|glpat|eyJ|T3BlbkFJ/;

function uuid(random: Random): string {
  const hex = random.string(hexLower, 32);
  const variant = "89ab"[random.integer(0, 3)] as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** One generator per hard-negative kind; the values must NOT be flagged (see {@link HardNegativeKind}). */
export const hardNegativeGenerators: Record<HardNegativeKind, (random: Random, language: ContextLanguage) => string> = {
  luhn_invalid_number: (random) => {
    const number = luhnInvalidDigits(random, 16, random.pick(["4", "5", "6"]));
    return random.chance(0.5) ? groupEvery(number, 4, " ") : number;
  },
  order_number: (random) =>
    random.pick([`ORD-${random.integer(2019, 2025)}-${random.string(digits, 7)}`, `#${numberString(random, 8, true)}`, `45${random.string(digits, 8)}`, `PO-${random.string(upperLetters, 2)}${random.string(digits, 6)}`]),
  invoice_number: (random) => `${random.pick(["INV", "RE", "FAC", "RG"])}-${random.integer(2019, 2025)}-${random.string(digits, random.integer(4, 6))}`,
  tracking_number: (random) => {
    const kind = random.integer(0, 2);
    if (kind === 0) return `1Z${random.string(upperLetters + digits, 6)}${random.string(digits, 10)}`;
    if (kind === 1) return groupEvery(`${random.pick(["9400", "9205", "9361"])}${random.string(digits, 18)}`, 4, " ");
    return `JJD${random.string(digits, 18)}`;
  },
  timestamp: (random) => {
    const seconds = 1_600_000_000 + random.integer(0, 180_000_000);
    const iso = new Date(seconds * 1000 + random.integer(0, 999)).toISOString();
    return random.pick([iso, String(seconds), String(seconds * 1000 + random.integer(0, 999)), iso.replace("T", " ").slice(0, 19)]);
  },
  version: (random) =>
    random.pick([
      `v${random.integer(0, 9)}.${random.integer(0, 30)}.${random.integer(0, 20)}`,
      `${random.integer(1, 20)}.${random.integer(0, 99)}.${random.integer(0, 99)}-beta.${random.integer(1, 9)}`,
      `10.0.${random.integer(17000, 26100)}.${random.integer(300, 5000)}`,
    ]),
  uuid,
  git_sha: (random) => (random.chance(0.6) ? random.string(hexLower, 40) : random.string(hexLower, random.integer(7, 12))),
  sha256: (random) => random.string(hexLower, 64),
  hex_colour: (random) => `#${random.chance(0.8) ? random.string(hexLower, 6) : random.string("0123456789ABCDEF", 3)}`,
  product_code: (random) => {
    const kind = random.integer(0, 2);
    if (kind === 0) return luhnInvalidDigits(random, 13, random.pick(["40", "30", "50", "87"]));
    if (kind === 1) return `${random.string(digits, 4)}-${random.string(digits, 4)}-${random.string(digits, 2)}`;
    return `${random.string(upperLetters, 2)}${random.string(digits, 2)}-${random.string(digits, 4)}-${random.string(digits, 2)}`;
  },
  isbn: (random) => `978-${random.integer(0, 3)}-${random.string(digits, 3)}-${random.string(digits, 5)}-${random.integer(0, 9)}`,
  bad_iban: (random, language) => {
    const valid = compactIban(random, language);
    const broken = random.chance(0.5) ? changeOne(random, valid, digits, 2, 4) : changeOne(random, valid, digits, valid.length - 6, valid.length);
    return random.chance(0.5) ? groupEvery(broken, 4, " ") : broken;
  },
  bad_bitcoin: (random) => {
    const payload = new Uint8Array(21);
    payload.set(random.bytes(20), 1);
    const valid = base58Check(payload);
    return changeOne(random, valid, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 5, valid.length);
  },
  bad_ethereum: (random) => {
    for (;;) {
      const valid = eip55(random.string(hexLower, 40));
      const letters = [...valid.slice(2)].flatMap((character, index) => (/[a-fA-F]/.test(character) ? [index + 2] : []));
      if (letters.length === 0) continue;
      const index = random.pick(letters);
      const character = valid[index] as string;
      const flipped = character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase();
      const broken = valid.slice(0, index) + flipped + valid.slice(index + 1);
      if (broken !== broken.toLowerCase()) return broken;
    }
  },
  bad_github_token: (random) => {
    const entropy = random.string(alphanumeric, 30);
    const checksum = githubChecksum(entropy);
    return `${random.pick(["ghp", "gho", "ghs"])}_${entropy}${changeOne(random, checksum, alphanumeric, 0, 6)}`;
  },
  customer_number: (random) => {
    for (;;) {
      const length = random.pick([9, 11]);
      const candidate = numberString(random, length, true);
      if (length === 9 && weightedSum(candidate.slice(0, 8), [9, 8, 7, 6, 5, 4, 3, 2]) % 11 === candidate.charCodeAt(8) - 48) continue;
      if (length === 11) {
        const peselCheck = (10 - (weightedSum(candidate.slice(0, 10), [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10;
        if (peselCheck === candidate.charCodeAt(10) - 48 || iso7064Mod11Check(candidate.slice(0, 10)) === candidate.charCodeAt(10) - 48) continue;
      }
      if (luhnValid(candidate)) continue;
      return candidate;
    }
  },
  base64_image: (random) => {
    for (;;) {
      const bytes = random.bytes(random.integer(200, 1500));
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const encoded = Buffer.from(bytes).toString("base64");
      if (!accidentalSecret.test(encoded)) return `data:image/png;base64,${encoded}`;
    }
  },
  placeholder_key: (random) => {
    const filler = random.pick(["x", "X", "0", "*"]);
    return random.pick([
      `sk-${filler.repeat(48)}`,
      `sk-proj-${filler.repeat(random.integer(20, 64))}`,
      `AKIA${"X".repeat(16)}`,
      `ghp_${"x".repeat(36)}`,
      `sk_live_${"x".repeat(24)}`,
      `AIza${"X".repeat(35)}`,
      "YOUR_API_KEY",
      "<your-api-key>",
      `sk-ant-api03-${"x".repeat(10)}...`,
      "xoxb-your-token-here",
    ]);
  },
  documentation_example: (random) => random.pick(["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]),
  secret_reference: (random) => random.pick(["${DB_PASSWORD}", "{{ .Values.apiKey }}", "********", "<redacted>", "${env:API_TOKEN}", "%(password)s", "$SECRET_KEY"]),
  plain_date: (random, language) => {
    const year = random.integer(2019, 2026);
    const month = random.integer(1, 12);
    return formatDate(random, language, { year, month, day: random.integer(1, 28) });
  },
};

/** A near miss of `kind`. */
export function generateHardNegative(kind: HardNegativeKind, random: Random, language: ContextLanguage): string {
  return hardNegativeGenerators[kind](random, language);
}
