import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { dataTypes } from "../data-types.ts";
import type { ContextLanguage } from "../types.ts";
import { eip55, githubChecksum, ibanValid, iso7064Mod11Check, italianCheckCharacter, luhnValid, spanishControlLetter, weightedSum } from "./checksums.ts";
import { generatedTypes, generateHardNegative, generateValue, hardNegativeKinds, type GeneratedType, type HardNegativeKind } from "./generators.ts";
import { createRandom } from "./random.ts";

const languages: readonly ContextLanguage[] = ["en", "de", "fr"];

/** 150 labelled parts of `type`, across the three languages. */
function samples(type: GeneratedType, seed = 7): string[] {
  const random = createRandom(seed);
  return Array.from({ length: 150 }, (_, index) => {
    const value = generateValue(type, random, languages[index % 3] as ContextLanguage);
    return value.text.slice(value.start, value.end);
  });
}

function negatives(kind: HardNegativeKind, seed = 7): string[] {
  const random = createRandom(seed);
  return Array.from({ length: 150 }, (_, index) => generateHardNegative(kind, random, languages[index % 3] as ContextLanguage));
}

const compact = (value: string) => value.replace(/[\s.-]/g, "");

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Decodes base58 and says whether the last four bytes are the double-SHA-256 checksum. */
function base58CheckValid(address: string): boolean {
  let value = 0n;
  for (const character of address) {
    const digit = base58Alphabet.indexOf(character);
    if (digit === -1) return false;
    value = value * 58n + BigInt(digit);
  }
  const hex = value.toString(16).padStart(50, "0");
  const bytes = Buffer.from(hex, "hex");
  const payload = bytes.subarray(0, 21);
  const sha = (data: Uint8Array) => createHash("sha256").update(data).digest();
  return sha(sha(payload)).subarray(0, 4).equals(bytes.subarray(21));
}

describe("value generators", () => {
  test("cover every data type except person and organisation names", () => {
    const expected = Object.keys(dataTypes).filter((type) => type !== "person_name" && type !== "organization");
    assert.deepEqual([...generatedTypes].sort(), expected.sort());
  });

  test("are deterministic for a seed and differ across seeds", () => {
    for (const type of generatedTypes) {
      assert.deepEqual(samples(type, 3), samples(type, 3), type);
      assert.notDeepEqual(samples(type, 3), samples(type, 4), type);
    }
  });

  test("payment cards pass Luhn with real issuer prefixes and lengths", () => {
    for (const card of samples("payment_card").map(compact)) {
      assert.ok(luhnValid(card), card.length.toString());
      assert.match(card, /^(4\d{15}|5[1-5]\d{14}|(222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)\d{12}|3[47]\d{13}|(6011|64[4-9]\d|65\d\d)\d{12}|35(2[89]|[3-8]\d)\d{12}|3(0[0-5]|6|8)\d{11,12})$/);
    }
  });

  test("IBANs pass mod 97, in several countries", () => {
    const countries = new Set<string>();
    for (const iban of samples("iban").map(compact)) {
      assert.ok(ibanValid(iban));
      countries.add(iban.slice(0, 2));
    }
    assert.ok(countries.size >= 8, [...countries].join(","));
  });

  test("crypto wallets: base58check, bech32/bech32m shapes and EIP-55 checksums", () => {
    const kinds = new Set<string>();
    for (const address of samples("crypto_wallet")) {
      if (address.startsWith("0x")) {
        assert.equal(eip55(address.slice(2)), address);
        kinds.add("ethereum");
      } else if (address.startsWith("bc1q")) {
        assert.equal(address.length, 42);
        kinds.add("bech32");
      } else if (address.startsWith("bc1p")) {
        assert.equal(address.length, 62);
        kinds.add("bech32m");
      } else {
        assert.ok(base58CheckValid(address), address.slice(0, 1));
        kinds.add(address[0] === "1" ? "p2pkh" : "p2sh");
      }
    }
    assert.deepEqual([...kinds].sort(), ["bech32", "bech32m", "ethereum", "p2pkh", "p2sh"]);
  });

  test("national identifiers carry valid check digits", () => {
    for (const id of samples("de_tax_id").map(compact)) {
      assert.equal(iso7064Mod11Check(id.slice(0, 10)), Number(id[10]));
      const occurrences = [..."0123456789"].map((digit) => [...id.slice(0, 10)].filter((character) => character === digit).length);
      assert.deepEqual(occurrences.toSorted(), [0, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    }
    for (const nir of samples("fr_nir").map((value) => value.replaceAll(" ", ""))) {
      const numeric = nir.slice(0, 13).replace("2A", "19").replace("2B", "18");
      assert.equal(97 - Number(BigInt(numeric) % 97n), Number(nir.slice(13)));
    }
    for (const dni of samples("es_dni").map((value) => value.replace("-", ""))) {
      const number = Number(dni.slice(0, -1).replace("X", "0").replace("Y", "1").replace("Z", "2"));
      assert.equal(spanishControlLetter(number), dni.slice(-1));
    }
    for (const code of samples("it_fiscal_code")) {
      assert.match(code, /^[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z]$/);
      assert.equal(italianCheckCharacter(code.slice(0, 15)), code[15]);
    }
    for (const bsn of samples("nl_bsn").map(compact)) {
      assert.equal((weightedSum(bsn.slice(0, 8), [9, 8, 7, 6, 5, 4, 3, 2]) - Number(bsn[8])) % 11, 0);
    }
    for (const pesel of samples("pl_pesel")) {
      assert.equal(weightedSum(pesel, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3, 1]) % 10, 0);
    }
  });

  test("VAT numbers verify with their country's check digits", () => {
    const countries = new Set<string>();
    for (const vat of samples("vat_number").map((value) => value.replaceAll(" ", ""))) {
      const country = vat.slice(0, 2);
      countries.add(country);
      const number = vat.slice(2);
      if (country === "DE") assert.equal(iso7064Mod11Check(number.slice(0, 8)), Number(number[8]));
      else if (country === "FR") assert.equal((12 + 3 * (Number(number.slice(2)) % 97)) % 97, Number(number.slice(0, 2)));
      else if (country === "IT") assert.ok(luhnValid(number));
      else if (country === "BE") assert.equal(97 - (Number(number.slice(0, 8)) % 97), Number(number.slice(8)));
      else if (country === "NL") assert.equal(weightedSum(number.slice(0, 8), [9, 8, 7, 6, 5, 4, 3, 2]) % 11, Number(number[8]));
      else if (country === "PL") assert.equal(weightedSum(number, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11, Number(number[9]));
      else if (country === "GB") assert.equal((weightedSum(number.slice(0, 7), [8, 7, 6, 5, 4, 3, 2]) + Number(number.slice(7))) % 97, 0);
      else if (country === "AT") assert.match(number, /^U\d{8}$/);
      else assert.fail(`unexpected VAT country ${country}`);
    }
    assert.ok(countries.size >= 7, [...countries].join(","));
  });

  test("US and UK identifiers respect the issuing rules", () => {
    for (const ssn of samples("us_ssn").map((value) => value.replace(/[\s-]/g, ""))) {
      assert.match(ssn, /^\d{9}$/);
      assert.ok(!ssn.startsWith("000") && !ssn.startsWith("666") && !ssn.startsWith("9") && ssn.slice(3, 5) !== "00" && ssn.slice(5) !== "0000");
    }
    for (const itin of samples("us_itin")) assert.match(itin, /^9\d\d-(5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9])-\d{4}$/);
    for (const nino of samples("uk_nino").map((value) => value.replaceAll(" ", ""))) {
      assert.match(nino, /^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/);
      assert.ok(!["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].includes(nino.slice(0, 2)));
    }
  });

  test("vendor secrets have their documented prefixes and shapes", () => {
    for (const key of samples("aws_access_key")) assert.match(key, /^(AKIA|ASIA)[A-Z2-7]{16}$/);
    for (const key of samples("aws_secret_key")) assert.match(key, /^[A-Za-z0-9/+]{40}$/);
    for (const token of samples("github_token")) {
      if (token.startsWith("github_pat_")) assert.match(token, /^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$/);
      else {
        assert.match(token, /^gh[pousr]_[A-Za-z0-9]{36}$/);
        assert.equal(githubChecksum(token.slice(4, 34)), token.slice(34));
      }
    }
    for (const token of samples("gitlab_token")) assert.match(token, /^glpat-[A-Za-z0-9_-]{20}$/);
    for (const token of samples("slack_token")) assert.match(token, /^xox[bp]-\d{10,13}-\d{10,13}-(\d{10,13}-[0-9a-f]{32}|[A-Za-z0-9]{24})$/);
    for (const key of samples("stripe_key")) assert.match(key, /^[sr]k_live_([A-Za-z0-9]{24}|[A-Za-z0-9]{99})$/);
    for (const key of samples("openai_key")) assert.match(key, /^sk-(proj-|svcacct-)?[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+$/);
    for (const key of samples("anthropic_key")) assert.match(key, /^sk-ant-api03-[A-Za-z0-9_-]{93}AA$/);
    for (const key of samples("google_api_key")) assert.match(key, /^AIza[A-Za-z0-9_-]{35}$/);
  });

  test("JWTs have base64url JSON headers and payloads", () => {
    for (const token of samples("jwt")) {
      const [header, payload, signature] = token.split(".");
      assert.equal(JSON.parse(Buffer.from(header ?? "", "base64url").toString()).typ, "JWT");
      assert.equal(typeof JSON.parse(Buffer.from(payload ?? "", "base64url").toString()).exp, "number");
      assert.match(signature ?? "", /^[A-Za-z0-9_-]{40,}$/);
    }
  });

  test("private keys are complete PEM blocks with a base64 body", () => {
    for (const block of samples("private_key")) {
      const match = /^-----BEGIN ([A-Z ]+)-----\n([A-Za-z0-9+/=\n]+)\n-----END \1-----$/.exec(block);
      assert.ok(match, block.slice(0, 40));
      assert.ok(Buffer.from((match[2] ?? "").replaceAll("\n", ""), "base64").length > 100);
    }
  });

  test("a URL password's span is exactly the password between ':' and '@'", () => {
    const random = createRandom(11);
    for (let index = 0; index < 100; index += 1) {
      const value = generateValue("url_password", random, "en");
      assert.match(value.text, /^[a-z+]+:\/\//);
      assert.equal(value.text[value.start - 1], ":");
      assert.equal(value.text[value.end], "@");
      assert.doesNotMatch(value.text.slice(value.start, value.end), /[:@/]/);
    }
  });

  test("contact, network and personal values are well formed", () => {
    for (const address of samples("email")) assert.match(address, /^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}$/);
    for (const ip of samples("ipv4")) {
      const octets = ip.split(".").map(Number);
      assert.equal(octets.length, 4);
      assert.ok(octets.every((octet) => octet >= 0 && octet <= 255));
      assert.ok(![10, 127, 192, 172].includes(octets[0] as number));
    }
    for (const ip of samples("ipv6")) {
      assert.match(ip, /^[0-9a-f:]+$/);
      assert.ok(!ip.startsWith("2001:db8"));
      assert.ok(ip.includes("::") ? ip.split(":").length <= 8 : ip.split(":").length === 8);
    }
    for (const mac of samples("mac_address")) assert.match(mac, /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/);
    for (const phone of samples("phone")) assert.ok(phone.replace(/\D/g, "").length >= 9, phone.length.toString());
  });
});

describe("hard negatives", () => {
  test("there is a generator for every listed kind", () => {
    for (const kind of hardNegativeKinds) assert.ok(negatives(kind).every((value) => value.length > 0), kind);
  });

  test("checksum near misses fail their checksum", () => {
    for (const number of negatives("luhn_invalid_number").map(compact)) assert.equal(luhnValid(number), false);
    for (const iban of negatives("bad_iban").map(compact)) assert.equal(ibanValid(iban), false);
    for (const address of negatives("bad_bitcoin")) assert.equal(base58CheckValid(address), false);
    for (const address of negatives("bad_ethereum")) {
      assert.notEqual(eip55(address.slice(2)), address);
      assert.notEqual(address, address.toLowerCase());
    }
    for (const token of negatives("bad_github_token")) assert.notEqual(githubChecksum(token.slice(4, 34)), token.slice(34));
  });

  test("customer numbers pass none of the BSN, PESEL, German tax id or Luhn checks", () => {
    for (const number of negatives("customer_number")) {
      assert.equal(luhnValid(number), false);
      if (number.length === 9) assert.notEqual(weightedSum(number.slice(0, 8), [9, 8, 7, 6, 5, 4, 3, 2]) % 11, Number(number[8]));
      else {
        assert.notEqual(weightedSum(number, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3, 1]) % 10, 0);
        assert.notEqual(iso7064Mod11Check(number.slice(0, 10)), Number(number[10]));
      }
    }
  });

  test("13-digit product codes are Luhn-invalid, so they cannot be read as 13-digit cards", () => {
    for (const code of negatives("product_code").filter((value) => /^\d{13}$/.test(value))) assert.equal(luhnValid(code), false);
  });

  test("base64 image data never contains a vendor secret prefix by accident", () => {
    for (const image of negatives("base64_image")) {
      assert.ok(image.startsWith("data:image/png;base64,iVBORw0KGg"));
      assert.doesNotMatch(image, /AKIA|AIza|sk-|ghp_|glpat|xox|eyJ/);
    }
  });
});
