import type { Finding, Recognizer } from "../../types.ts";
import { isAlphanumeric, isSpaceCode, placeholderKind } from "./shared.ts";

/** Schemes whose URLs are connection strings or carry basic credentials by design. */
const knownSchemes = new Set([
  "postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps",
  "http", "https", "ftp", "ftps", "sftp", "smtp", "smtps", "ldap", "ldaps", "mssql", "sqlserver", "oracle", "clickhouse",
]);

function isSchemeCode(code: number): boolean {
  return isAlphanumeric(code) || code === 43 || code === 45 || code === 46;
}

/** Characters that end an unquoted key=value value in ADO/JDBC/ODBC strings and query strings. */
function endsValue(code: number): boolean {
  return isSpaceCode(code) || code === 59 || code === 38 || code === 34 || code === 39 || code === 96 || code === 60 || code === 62;
}

const longestUserinfo = 256;

/** Characters that cannot be part of a URL's userinfo or host. */
function endsAuthority(code: number): boolean {
  return isSpaceCode(code) || code === 47 || code === 34 || code === 39 || code === 96 || code === 60 || code === 62 || code === 92 || code === 63 || code === 35;
}

const passwordKeys = new Set(["password", "pwd", "passwd", "pass"]);

/**
 * Confidence of a password in scheme://user:password@host: the shape is unambiguous, and the
 * e-mail recognizer (0.9) may also see "password@host"; the detector keeps the more confident of
 * overlapping findings, so the password must outrank it. Other schemes (git+ssh, custom) a little
 * less, still above it.
 */
export const knownSchemeConfidence = 0.95;
export const otherSchemeConfidence = 0.92;

/**
 * Confidence of "password=…" outside a connection string (a command-line flag, a log field):
 * below the generic-secret recognizer's reading of a random value under a password key (0.75 to
 * 0.85), which names such a value better; a weak value ("password=abc123") is still reported here.
 */
export const loneKeyValueConfidence = 0.7;
export const connectionStringConfidence = 0.85;

/** True when text[index] is "&" starting another query parameter ("&ssl=true"), not part of a password. */
function startsParameter(text: string, index: number): boolean {
  let end = index + 1;
  while (end < text.length && end - index <= 32 && (isAlphanumeric(text.charCodeAt(end)) || text.charCodeAt(end) === 95 || text.charCodeAt(end) === 46 || text.charCodeAt(end) === 45)) end++;
  return end > index + 1 && text.charCodeAt(end) === 61;
}

function confidenceFor(text: string, start: number, end: number, base: number): number {
  const placeholder = placeholderKind(text, start, end);
  if (placeholder === "template") return 0;
  return placeholder === "word" ? 0.55 : base;
}

/**
 * Anchored on "@", which is rare outside e-mail addresses: from each one the scan walks back over
 * the userinfo to "//" and the scheme. A password may hold an unencoded "@", so only the last "@"
 * before the host counts. Linear: a walk back stops at the previous anchor whose walk found no
 * "//", since it would find none either.
 */
function scanUrls(text: string, out: Finding[]): void {
  let failedAnchor = -1;
  let at = text.indexOf("@");
  while (at !== -1) {
    const next = text.indexOf("@", at + 1);
    // Another "@" before the host ends belongs to the same userinfo: let that one report.
    let hostEnd = at + 1;
    while (hostEnd < text.length && hostEnd !== next && !endsAuthority(text.charCodeAt(hostEnd))) hostEnd++;
    if (hostEnd === next) {
      at = next;
      continue;
    }
    let userinfoStart = at;
    const limit = Math.max(0, at - longestUserinfo);
    while (userinfoStart > limit && userinfoStart - 1 !== failedAnchor && !endsAuthority(text.charCodeAt(userinfoStart - 1))) userinfoStart--;
    if (userinfoStart >= 3 && text.startsWith("://", userinfoStart - 3)) {
      const separator = userinfoStart - 3;
      let schemeStart = separator;
      while (schemeStart > 0 && separator - schemeStart < 16 && isSchemeCode(text.charCodeAt(schemeStart - 1))) schemeStart--;
      let colon = userinfoStart;
      while (colon < at && text.charCodeAt(colon) !== 58) colon++;
      if (schemeStart < separator && isLetterCode(text.charCodeAt(schemeStart)) && colon < at - 1) {
        const scheme = text.slice(schemeStart, separator).toLowerCase();
        const confidence = confidenceFor(text, colon + 1, at, knownSchemes.has(scheme) ? knownSchemeConfidence : otherSchemeConfidence);
        if (confidence > 0) out.push({ type: "url_password", category: "secret", start: colon + 1, end: at, confidence, recognizer: "url-password" });
      }
    } else {
      failedAnchor = at;
    }
    at = next;
  }
}

/** The key just before a "=" at `equals` (spaces allowed around it), lower-cased, or "". */
function keyBefore(text: string, equals: number): { key: string; start: number } {
  let end = equals;
  while (end > 0 && end > equals - 3 && text.charCodeAt(end - 1) === 32) end--;
  let start = end;
  while (start > 0 && end - start < 9 && isLetterCode(text.charCodeAt(start - 1))) start--;
  if (start > 0 && (isAlphanumeric(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 95)) return { key: "", start };
  return { key: text.slice(start, end).toLowerCase(), start };
}

const noKey = { key: "", start: 0 };

function isLetterCode(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function scanKeyValues(text: string, out: Finding[]): void {
  let equals = text.indexOf("=");
  while (equals !== -1) {
    let next = equals + 1;
    // Every accepted key ends in "rd", "wd" or "ss" (password, pwd, passwd, pass): test those
    // letters first, so the many "id=" and "status=" cost two comparisons.
    let last = equals - 1;
    while (last > 0 && last > equals - 3 && text.charCodeAt(last) === 32) last--;
    const lastCode = text.charCodeAt(last) | 0x20;
    const previousCode = text.charCodeAt(last - 1) | 0x20;
    const candidate = lastCode === 100 ? previousCode === 114 || previousCode === 119 : lastCode === 115 && previousCode === 115;
    const { key, start: keyStart } = candidate ? keyBefore(text, equals) : noKey;
    if (passwordKeys.has(key)) {
      let valueStart = equals + 1;
      while (valueStart < text.length && valueStart < equals + 3 && text.charCodeAt(valueStart) === 32) valueStart++;
      const quote = text.charCodeAt(valueStart);
      let valueEnd: number;
      if (quote === 34 || quote === 39) {
        valueStart++;
        valueEnd = valueStart;
        const limit = Math.min(text.length, valueStart + 257);
        while (valueEnd < limit && text.charCodeAt(valueEnd) !== quote && text.charCodeAt(valueEnd) !== 10) valueEnd++;
        if (text.charCodeAt(valueEnd) !== quote) valueEnd = valueStart;
      } else {
        valueEnd = valueStart;
        const limit = Math.min(text.length, valueStart + 257);
        // "&" ends the value only where another parameter starts ("Sommer2017&nf" is one password).
        while (valueEnd < limit && !(endsValue(text.charCodeAt(valueEnd)) && (text.charCodeAt(valueEnd) !== 38 || startsParameter(text, valueEnd)))) valueEnd++;
        if (valueEnd - valueStart > 256) valueEnd = valueStart;
      }
      if (valueEnd - valueStart >= 3) {
        // Inside a connection string (Server=…;Password=…; or ?user=…&password=…) rather than a lone flag.
        const before = text.charCodeAt(keyStart - 1);
        const after = text.charCodeAt(valueEnd + (quote === 34 || quote === 39 ? 1 : 0));
        const inConnectionString = before === 59 || before === 38 || before === 63 || after === 59 || after === 38;
        const confidence = confidenceFor(text, valueStart, valueEnd, inConnectionString ? connectionStringConfidence : loneKeyValueConfidence);
        if (confidence > 0) out.push({ type: "url_password", category: "secret", start: valueStart, end: valueEnd, confidence, recognizer: "url-password" });
        next = valueEnd;
      }
    }
    equals = text.indexOf("=", next);
  }
}

/**
 * Passwords in URLs and connection strings: scheme://user:password@host (postgres, mysql,
 * mongodb+srv, redis, amqp, http(s), ftp...; the finding is the password only, so a policy can
 * mask it and keep the host) and key=value strings in ADO/JDBC/ODBC style ("Password=…;",
 * "pwd=…", "&password=…"). Template references ("${DB_PASSWORD}") are not secrets.
 */
export const urlPasswordRecognizer: Recognizer = {
  id: "url-password",
  category: "secret",
  types: ["url_password"],
  scan(text: string, out: Finding[]): void {
    scanUrls(text, out);
    scanKeyValues(text, out);
  },
};
