import type { Recognizer } from "../../types.ts";
import { cryptoWalletRecognizer } from "./crypto-wallet.ts";
import { dateOfBirthRecognizer } from "./date-of-birth.ts";
import { deTaxIdRecognizer } from "./de-tax-id.ts";
import { drivingLicenceRecognizer } from "./driving-licence.ts";
import { emailRecognizer } from "./email.ts";
import { esDniRecognizer } from "./es-dni.ts";
import { frNirRecognizer } from "./fr-nir.ts";
import { ibanRecognizer } from "./iban.ts";
import { ipv4Recognizer } from "./ipv4.ts";
import { ipv6Recognizer } from "./ipv6.ts";
import { itFiscalCodeRecognizer } from "./it-fiscal-code.ts";
import { macAddressRecognizer } from "./mac-address.ts";
import { nlBsnRecognizer } from "./nl-bsn.ts";
import { passportRecognizer } from "./passport.ts";
import { paymentCardRecognizer } from "./payment-card.ts";
import { phoneRecognizer } from "./phone.ts";
import { plPeselRecognizer } from "./pl-pesel.ts";
import { postalAddressRecognizer } from "./postal-address.ts";
import { ukNinoRecognizer } from "./uk-nino.ts";
import { usSsnRecognizer } from "./us-ssn.ts";
import { vatNumberRecognizer } from "./vat-number.ts";

/**
 * Every built-in structured-PII recognizer (contact details, network identifiers, financial and
 * national identifiers, documents, dates of birth, addresses). Most share one numeric pass over
 * the text (numeric-tokens.ts), so running them together costs little more than running one.
 * A fresh array each call, so a caller may filter or extend it.
 */
export function piiRecognizers(): Recognizer[] {
  return [
    emailRecognizer,
    phoneRecognizer,
    paymentCardRecognizer,
    ibanRecognizer,
    usSsnRecognizer,
    ukNinoRecognizer,
    deTaxIdRecognizer,
    frNirRecognizer,
    esDniRecognizer,
    itFiscalCodeRecognizer,
    nlBsnRecognizer,
    plPeselRecognizer,
    vatNumberRecognizer,
    passportRecognizer,
    drivingLicenceRecognizer,
    ipv4Recognizer,
    ipv6Recognizer,
    macAddressRecognizer,
    dateOfBirthRecognizer,
    postalAddressRecognizer,
    cryptoWalletRecognizer,
  ];
}
