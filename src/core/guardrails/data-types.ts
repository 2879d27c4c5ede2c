import type { DataCategory } from "./types.ts";

/**
 * The closed list of data types Hearth's built-in recognizers report. Policy rules, the evaluation
 * set and the recognizers all use these names, so a typo is a type error rather than a rule that
 * silently never matches. Dictionary types are the user's own (config) and are not listed here.
 *
 * `validation` says how strongly a finding is established, and so which evaluation target applies:
 * - "checksum": a check digit or checksum is verified (Luhn, mod-97, base58check...) — or, for
 *   secrets, a vendor prefix of fixed shape: recall ≥ 0.98 and precision ≥ 0.95 are required.
 * - "format": a strict format without a checksum (e-mail, IP, SSN...): F2 reported.
 * - "context": only a shape plus context words (passport numbers, addresses...): F2 reported.
 */
export interface DataTypeInfo {
  category: DataCategory;
  validation: "checksum" | "format" | "context";
  /** Human label, used in block messages ("payment card number"). */
  label: string;
}

export const dataTypes = {
  // Contact and network identifiers
  email: { category: "pii", validation: "format", label: "e-mail address" },
  phone: { category: "pii", validation: "format", label: "phone number" },
  ipv4: { category: "pii", validation: "format", label: "IPv4 address" },
  ipv6: { category: "pii", validation: "format", label: "IPv6 address" },
  mac_address: { category: "pii", validation: "format", label: "MAC address" },
  // Financial
  payment_card: { category: "pii", validation: "checksum", label: "payment card number" },
  iban: { category: "pii", validation: "checksum", label: "IBAN" },
  crypto_wallet: { category: "pii", validation: "checksum", label: "crypto wallet address" },
  vat_number: { category: "pii", validation: "checksum", label: "VAT number" },
  // National identifiers
  us_ssn: { category: "pii", validation: "format", label: "US social security number" },
  us_itin: { category: "pii", validation: "format", label: "US individual taxpayer id" },
  uk_nino: { category: "pii", validation: "format", label: "UK national insurance number" },
  de_tax_id: { category: "pii", validation: "checksum", label: "German tax id" },
  fr_nir: { category: "pii", validation: "checksum", label: "French social security number" },
  es_dni: { category: "pii", validation: "checksum", label: "Spanish DNI/NIE" },
  it_fiscal_code: { category: "pii", validation: "checksum", label: "Italian fiscal code" },
  nl_bsn: { category: "pii", validation: "checksum", label: "Dutch BSN" },
  pl_pesel: { category: "pii", validation: "checksum", label: "Polish PESEL" },
  passport: { category: "pii", validation: "context", label: "passport number" },
  driving_licence: { category: "pii", validation: "context", label: "driving licence number" },
  // Personal details
  date_of_birth: { category: "pii", validation: "context", label: "date of birth" },
  postal_address: { category: "pii", validation: "context", label: "postal address" },
  person_name: { category: "name", validation: "context", label: "person name" },
  organization: { category: "name", validation: "context", label: "organisation name" },
  // Secrets
  aws_access_key: { category: "secret", validation: "checksum", label: "AWS access key id" },
  aws_secret_key: { category: "secret", validation: "context", label: "AWS secret access key" },
  github_token: { category: "secret", validation: "checksum", label: "GitHub token" },
  gitlab_token: { category: "secret", validation: "checksum", label: "GitLab token" },
  slack_token: { category: "secret", validation: "checksum", label: "Slack token" },
  stripe_key: { category: "secret", validation: "checksum", label: "Stripe key" },
  openai_key: { category: "secret", validation: "checksum", label: "OpenAI API key" },
  anthropic_key: { category: "secret", validation: "checksum", label: "Anthropic API key" },
  google_api_key: { category: "secret", validation: "checksum", label: "Google API key" },
  jwt: { category: "secret", validation: "format", label: "JSON web token" },
  bearer_token: { category: "secret", validation: "context", label: "bearer token" },
  private_key: { category: "secret", validation: "checksum", label: "private key" },
  url_password: { category: "secret", validation: "format", label: "password in a URL or connection string" },
  generic_secret: { category: "secret", validation: "context", label: "secret token" },
} as const satisfies Record<string, DataTypeInfo>;

export type DataType = keyof typeof dataTypes;

export function isDataType(name: string): name is DataType {
  return Object.hasOwn(dataTypes, name);
}
