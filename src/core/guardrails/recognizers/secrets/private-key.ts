import type { Finding, Recognizer } from "../../types.ts";

/** The label between "BEGIN " and "-----" of the PEM, OpenSSH and PGP private-key armours. */
const label = /((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----/y;

/**
 * Private keys in PEM, OpenSSH and PGP armour. The finding covers the whole block, BEGIN line
 * through the END line with the same label; a block whose END line is missing (a truncated paste)
 * runs to the end of the text, because every line of it is key material.
 */
export const privateKeyRecognizer: Recognizer = {
  id: "private-key",
  category: "secret",
  types: ["private_key"],
  scan(text: string, out: Finding[]): void {
    // "BEGIN " starts with a rare capital, so looking for it and checking the dashes before is
    // several times faster than looking for "-----BEGIN " itself.
    let anchor = text.indexOf("BEGIN ", 5);
    while (anchor !== -1) {
      const begin = anchor - 5;
      label.lastIndex = anchor + 6;
      const match = text.startsWith("-----", begin) ? label.exec(text) : null;
      if (match === null) {
        anchor = text.indexOf("BEGIN ", anchor + 6);
        continue;
      }
      const endLine = `-----END ${match[1] as string}-----`;
      const found = text.indexOf(endLine, label.lastIndex);
      const end = found === -1 ? text.length : found + endLine.length;
      out.push({ type: "private_key", category: "secret", start: begin, end, confidence: 0.99, recognizer: "private-key" });
      anchor = text.indexOf("BEGIN ", end + 5);
    }
  },
};
