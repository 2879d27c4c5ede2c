/**
 * Check-digit algorithms shared by several recognizers (cards, IBANs, tax ids, VAT numbers). They
 * work on digit arrays (values 0-9) so a recognizer can fill one reusable buffer per candidate.
 */

/** Luhn (mod 10) over digits[0, count): true when the last digit checks the others. */
export function luhnValid(digits: ArrayLike<number>, count: number): boolean {
  let sum = 0;
  let double = false;
  for (let index = count - 1; index >= 0; index--) {
    let value = digits[index] as number;
    if (double) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * ISO 7064 MOD 11,10 check digit for digits[0, count): the German tax id (Steuer-IdNr) and the
 * German VAT number use it.
 */
export function iso7064Mod11Radix10(digits: ArrayLike<number>, count: number): number {
  let product = 10;
  for (let index = 0; index < count; index++) {
    let sum = ((digits[index] as number) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** Sum of digits[i] * weights[i] over the weights' length. */
export function weightedSum(digits: ArrayLike<number>, weights: readonly number[], offset = 0): number {
  let sum = 0;
  for (let index = 0; index < weights.length; index++) sum += (digits[offset + index] as number) * (weights[index] as number);
  return sum;
}

/** Digits[from, to) read as one decimal number, reduced mod `modulus` as it goes (no overflow). */
export function decimalModulo(digits: ArrayLike<number>, from: number, to: number, modulus: number): number {
  let remainder = 0;
  for (let index = from; index < to; index++) remainder = (remainder * 10 + (digits[index] as number)) % modulus;
  return remainder;
}

/**
 * ISO 13616 / ISO 7064 MOD 97-10 remainder of an alphanumeric string (letters count 10-35), as the
 * IBAN check uses it after moving the first four characters to the end. Lower-case letters count as
 * upper-case; any other character makes the result -1.
 */
export function alphanumericModulo97(value: string): number {
  let remainder = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + code - 48) % 97;
    else {
      const letter = code >= 97 && code <= 122 ? code - 32 : code;
      if (letter < 65 || letter > 90) return -1;
      remainder = (remainder * 100 + letter - 55) % 97;
    }
  }
  return remainder;
}
