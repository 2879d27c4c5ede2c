import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../spec/errors.ts";
import { createRedactionSession, placeholderLiteralType, redactForLog, type RedactionSession } from "./redaction.ts";
import type { DataCategory, Finding } from "./types.ts";

/** A finding for every occurrence of `value` in `text`, the way a recognizer would report it. */
function findEvery(text: string, value: string, type: string, category: DataCategory = "pii"): Finding[] {
  const findings: Finding[] = [];
  let index = text.indexOf(value);
  while (index !== -1) {
    findings.push({ type, category, start: index, end: index + value.length, confidence: 0.9, recognizer: `test-${type}` });
    index = text.indexOf(value, index + value.length);
  }
  return findings;
}

/** Like findEvery, for fixtures that must contain the value. */
function findAll(text: string, value: string, type: string, category: DataCategory = "pii"): Finding[] {
  const findings = findEvery(text, value, type, category);
  assert.ok(findings.length > 0, `fixture: ${value} not in text`);
  return findings;
}

function span(type: string, start: number, end: number): Finding {
  return { type, category: "pii", start, end, confidence: 0.9, recognizer: `test-${type}` };
}

/** Small seeded generator so random tests are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function streamInChunks(session: RedactionSession, text: string, cuts: readonly number[]): string {
  const restorer = session.createStreamRestorer();
  let emitted = "";
  let previous = 0;
  for (const cut of [...cuts, text.length]) {
    emitted += restorer.push(text.slice(previous, cut));
    previous = cut;
  }
  return emitted + restorer.flush();
}

const email = "ada@example.com";
const otherEmail = "grace@example.org";
const phone = "+44 20 7946 0958";

function sessionWithContacts(): { session: RedactionSession; redacted: string; original: string } {
  const session = createRedactionSession();
  const original = `Write to ${email} or call ${phone}; cc ${otherEmail}.`;
  const findings = [...findAll(original, email, "email"), ...findAll(original, phone, "phone"), ...findAll(original, otherEmail, "email")];
  return { session, redacted: session.redact(original, findings), original };
}

describe("redact and restore", () => {
  test("replaces each finding by a numbered placeholder per type and restores the originals", () => {
    const { session, redacted, original } = sessionWithContacts();
    assert.equal(redacted, "Write to <EMAIL_1> or call <PHONE_1>; cc <EMAIL_2>.");
    assert.equal(session.restore(redacted), original);
    assert.equal(session.restore("Sure, I emailed <EMAIL_2> and <EMAIL_1>."), `Sure, I emailed ${otherEmail} and ${email}.`);
  });

  test("gives the same value the same placeholder across the messages of one request", () => {
    const session = createRedactionSession();
    const first = `My address is ${email}.`;
    const second = `Again: ${otherEmail}, and ${email} once more.`;
    assert.equal(session.redact(first, findAll(first, email, "email")), "My address is <EMAIL_1>.");
    const secondFindings = [...findAll(second, email, "email"), ...findAll(second, otherEmail, "email")];
    assert.equal(session.redact(second, secondFindings), "Again: <EMAIL_2>, and <EMAIL_1> once more.");
    assert.equal(session.size, 2);
  });

  test("is deterministic: a fresh session redacting the same messages gives the same text", () => {
    const messages = [`${phone} then ${email}`, `${email} ${otherEmail} ${phone}`];
    const run = (): string[] => {
      const session = createRedactionSession();
      return messages.map((text) =>
        session.redact(text, [...findEvery(text, otherEmail, "email").reverse(), ...findEvery(text, phone, "phone"), ...findEvery(text, email, "email")]),
      );
    };
    const first = run();
    assert.deepEqual(run(), first);
    assert.deepEqual(first, ["<PHONE_1> then <EMAIL_1>", "<EMAIL_1> <EMAIL_2> <PHONE_1>"]);
  });

  test("labels dictionary types upper-cased with non-alphanumerics as underscores", () => {
    const session = createRedactionSession();
    const text = "Project Bluebird ships with Straße code 7.";
    const findings = [...findAll(text, "Bluebird", "project-codename", "dictionary"), ...findAll(text, "Straße", "street name", "dictionary")];
    const redacted = session.redact(text, findings);
    assert.equal(redacted, "Project <PROJECT_CODENAME_1> ships with <STREET_NAME_1> code 7.");
    assert.equal(session.restore(redacted), text);
  });

  test("compares values exactly: different case or spacing gets a different placeholder", () => {
    const session = createRedactionSession();
    const text = "Ada@Example.com, ada@example.com, ada@example.com ";
    const findings = [span("email", 0, 15), span("email", 17, 32), span("email", 34, 50)];
    assert.equal(session.redact(text, findings), "<EMAIL_1>, <EMAIL_2>, <EMAIL_3>");
    assert.equal(session.originalOf("<EMAIL_3>"), "ada@example.com ");
  });

  test("returns the text unchanged for an empty finding list, and skips zero-length findings", () => {
    const session = createRedactionSession();
    assert.equal(session.redact("nothing to hide", []), "nothing to hide");
    assert.equal(session.redact("nothing to hide", [span("email", 3, 3)]), "nothing to hide");
    assert.equal(session.redact("", []), "");
    assert.equal(session.size, 0);
    assert.equal(session.restore("<EMAIL_1> stays"), "<EMAIL_1> stays");
  });

  test("fails on findings whose offsets fall outside the text instead of sending it half-redacted", () => {
    const session = createRedactionSession();
    for (const bad of [span("email", -1, 3), span("email", 2, 40), span("email", 5, 2), span("email", 1.5, 3)]) {
      assert.throws(() => session.redact("short text", [bad]), (error: unknown) => error instanceof HearthError && error.code === "internal");
      assert.throws(() => redactForLog("short text", [bad]), HearthError);
    }
  });
});

describe("overlapping and unsorted findings", () => {
  test("sorts by position and skips a finding that overlaps one already applied", () => {
    const session = createRedactionSession();
    const text = "mail ada@example.com now";
    // The URL-password finding overlaps the e-mail: the earlier-starting one wins.
    const findings = [span("email", 5, 20), span("url_password", 3, 9), span("phone", 21, 24)];
    assert.equal(session.redact(text, findings), "mai<URL_PASSWORD_1>example.com <PHONE_1>");
  });

  test("prefers the longer finding when two start at the same offset, and drops nested ones", () => {
    const session = createRedactionSession();
    const text = "IBAN DE89370400440532013000 end";
    const findings = [span("de_tax_id", 7, 18), span("iban", 5, 27), span("payment_card", 5, 21)];
    const redacted = session.redact(text, findings);
    assert.equal(redacted, "IBAN <IBAN_1> end");
    assert.equal(session.restore(redacted), text);
    assert.deepEqual(
      session.entries().map((entry) => entry.type),
      ["iban"],
    );
  });

  test("applies adjacent findings that touch without overlapping", () => {
    const session = createRedactionSession();
    const text = "abcdef";
    const redacted = session.redact(text, [span("b", 3, 6), span("a", 0, 3)]);
    assert.equal(redacted, "<A_1><B_1>");
    assert.equal(session.restore(redacted), text);
  });
});

describe("placeholders the user typed", () => {
  test("reserves a literal placeholder in the input so numbering skips it and restore keeps it", () => {
    const session = createRedactionSession();
    const text = `Template says <EMAIL_1>; mine is ${email}.`;
    const redacted = session.redact(text, findAll(text, email, "email"));
    assert.equal(redacted, "Template says <EMAIL_1>; mine is <EMAIL_2>.");
    assert.equal(session.restore(redacted), text);
    assert.equal(session.restore("Replace <EMAIL_1> with <EMAIL_2>."), `Replace <EMAIL_1> with ${email}.`);
    assert.equal(session.originalOf("<EMAIL_1>"), undefined);
  });

  test("reserves case variants too, since restore accepts them", () => {
    const session = createRedactionSession();
    const text = `literal <email_1> and ${email}`;
    const redacted = session.redact(text, findAll(text, email, "email"));
    assert.equal(redacted, "literal <email_1> and <EMAIL_2>");
    assert.equal(session.restore(redacted), text);
  });

  test("replaces a literal that collides with a placeholder handed out for an earlier message", () => {
    const session = createRedactionSession();
    const first = `Contact ${email}.`;
    assert.equal(session.redact(first, findAll(first, email, "email")), "Contact <EMAIL_1>.");
    const second = "What does <EMAIL_1> mean? And <Email_1>?";
    const redacted = session.redact(second, []);
    assert.equal(redacted, "What does <PLACEHOLDER_LITERAL_1> mean? And <PLACEHOLDER_LITERAL_2>?");
    assert.equal(session.restore(redacted), second);
    assert.equal(session.restore("<PLACEHOLDER_LITERAL_1> stood for <EMAIL_1>."), `<EMAIL_1> stood for ${email}.`);
    assert.deepEqual(
      session.entries().filter((entry) => entry.type === placeholderLiteralType).map((entry) => entry.placeholder),
      ["<PLACEHOLDER_LITERAL_1>", "<PLACEHOLDER_LITERAL_2>"],
    );
  });

  test("handles a literal of the collision type itself", () => {
    const session = createRedactionSession();
    const first = `Contact ${email}.`;
    session.redact(first, findAll(first, email, "email"));
    session.redact("again <EMAIL_1>", []);
    const third = "typed <PLACEHOLDER_LITERAL_1> and <EMAIL_1>";
    const redacted = session.redact(third, []);
    assert.equal(redacted, "typed <PLACEHOLDER_LITERAL_2> and <PLACEHOLDER_LITERAL_1>");
    assert.equal(session.restore(redacted), third);
  });

  test("round-trips any text and any findings: random texts full of placeholder-like tokens", () => {
    const random = seeded(42);
    const alphabet = ["<", ">", "_", "1", "2", "E", "e", "A", "a", " ", "<EMAIL_1>", "<email_2>", "<A_1>", "<PLACEHOLDER_LITERAL_1>", "é", "😀"];
    for (let round = 0; round < 300; round += 1) {
      const session = createRedactionSession();
      const texts: string[] = [];
      const redactedTexts: string[] = [];
      for (let message = 0; message < 3; message += 1) {
        let text = "";
        const pieces = Math.floor(random() * 30);
        for (let piece = 0; piece < pieces; piece += 1) text += alphabet[Math.floor(random() * alphabet.length)];
        const findings: Finding[] = [];
        const count = Math.floor(random() * 5);
        for (let index = 0; index < count && text.length > 0; index += 1) {
          const start = Math.floor(random() * text.length);
          const end = start + Math.floor(random() * Math.min(8, text.length - start + 1));
          findings.push(span(random() < 0.5 ? "email" : "a", start, end));
        }
        texts.push(text);
        redactedTexts.push(session.redact(text, findings));
      }
      assert.deepEqual(
        redactedTexts.map((text) => session.restore(text)),
        texts,
        `round ${round}`,
      );
    }
  });
});

describe("restore", () => {
  test("accepts case variants of a known placeholder and nothing fuzzier", () => {
    const { session } = sessionWithContacts();
    assert.equal(session.restore("<email_1> <Email_1> <PHONE_1>"), `${email} ${email} ${phone}`);
    assert.equal(
      session.restore("<EMAIL 1> <EMAIL-1> <EMAIL_01> <EMAIL1> EMAIL_1 < EMAIL_1> <EMAIL_1 >"),
      "<EMAIL 1> <EMAIL-1> <EMAIL_01> <EMAIL1> EMAIL_1 < EMAIL_1> <EMAIL_1 >",
    );
  });

  test("leaves unknown placeholders and other angle-bracket text alone", () => {
    const { session } = sessionWithContacts();
    assert.equal(session.restore("<EMAIL_9> <IBAN_1> <div> a < b > c <<EMAIL_1>>"), `<EMAIL_9> <IBAN_1> <div> a < b > c <${email}>`);
  });

  test("does not restore recursively when an original itself looks like a placeholder", () => {
    const session = createRedactionSession();
    const text = "name <PHONE_1> then +1 555 0100";
    const redacted = session.redact(text, [span("person_name", 0, 14), span("phone", 20, 31)]);
    assert.equal(redacted, "<PERSON_NAME_1> then <PHONE_1>");
    assert.equal(session.restore(redacted), text);
  });
});

describe("stream restorer", () => {
  const answers = [
    "Sure! I wrote to <EMAIL_1> and <email_2>, then called <PHONE_1>.",
    "<EMAIL_1><PHONE_1><EMAIL_2>",
    "Edge: <EMAIL_3> is unknown, <EMAIL_1 is cut, <<EMAIL_2>> nested, a < b, <PHONE_1",
    "no placeholders at all here",
    "tail <EMAIL_",
    "🙂<EMAIL_1>🙂 e\u0301<PHONE_1>\u0301",
  ];

  test("emits exactly restore(whole) for a split at every position", () => {
    const { session } = sessionWithContacts();
    for (const answer of answers) {
      const expected = session.restore(answer);
      for (let cut = 0; cut <= answer.length; cut += 1) {
        assert.equal(streamInChunks(session, answer, [cut]), expected, `cut ${cut} of ${JSON.stringify(answer)}`);
      }
    }
  });

  test("emits exactly restore(whole) for every pair of split positions", () => {
    const { session } = sessionWithContacts();
    const answer = answers[0] ?? "";
    const expected = session.restore(answer);
    for (let first = 0; first <= answer.length; first += 1) {
      for (let second = first; second <= answer.length; second += 1) {
        assert.equal(streamInChunks(session, answer, [first, second]), expected, `cuts ${first},${second}`);
      }
    }
  });

  test("emits exactly restore(whole) for random chunk sizes and one character at a time", () => {
    const { session } = sessionWithContacts();
    const random = seeded(7);
    for (const answer of answers) {
      const expected = session.restore(answer);
      assert.equal(streamInChunks(session, answer, Array.from({ length: answer.length }, (_, index) => index)), expected);
      for (let round = 0; round < 200; round += 1) {
        const cuts: number[] = [];
        let position = 0;
        while (position < answer.length) {
          position += Math.floor(random() * 12);
          if (position < answer.length) cuts.push(position);
        }
        assert.equal(streamInChunks(session, answer, cuts), expected, `cuts ${cuts.join(",")}`);
      }
    }
  });

  test("holds back only a suffix that could still become a placeholder", () => {
    const { session } = sessionWithContacts();
    const restorer = session.createStreamRestorer();
    assert.equal(restorer.push("Hi <EM"), "Hi ");
    assert.equal(restorer.push("AIL_1> and <di"), `${email} and `);
    assert.equal(restorer.push("v> x <EMAIL_1"), "<div> x ");
    assert.equal(restorer.push("!"), "<EMAIL_1!");
    assert.equal(restorer.push(" <PHONE_"), " ");
    assert.equal(restorer.flush(), "<PHONE_");
  });

  test("releases a candidate once it is longer than any placeholder of the session", () => {
    const { session } = sessionWithContacts();
    const longest = Math.max(...session.entries().map((entry) => entry.placeholder.length));
    const restorer = session.createStreamRestorer();
    const run = "A".repeat(longest - 2);
    assert.equal(restorer.push(`x <${run}`), "x ");
    assert.equal(restorer.push("A"), `<${run}A`);
    assert.equal(restorer.push("_1>"), "_1>");
  });

  test("passes text straight through when the session has no placeholders", () => {
    const session = createRedactionSession();
    const restorer = session.createStreamRestorer();
    assert.equal(restorer.push("a <EM"), "a <EM");
    assert.equal(restorer.push("AIL_1>"), "AIL_1>");
    assert.equal(restorer.flush(), "");
  });

  test("never holds back more than the longest placeholder while streaming a long answer", () => {
    const { session } = sessionWithContacts();
    const longest = Math.max(...session.entries().map((entry) => entry.placeholder.length));
    const answer = "word <EMAIL_1> <tag> ".repeat(120);
    const restorer = session.createStreamRestorer();
    let consumed = 0;
    let emitted = "";
    for (let position = 0; position < answer.length; position += 7) {
      const delta = answer.slice(position, position + 7);
      consumed += delta.length;
      emitted += restorer.push(delta);
      const restoredSoFar = session.restore(answer.slice(0, consumed));
      assert.ok(restoredSoFar.length - emitted.length < longest, `held ${restoredSoFar.length - emitted.length} at ${consumed}`);
    }
    emitted += restorer.flush();
    assert.equal(emitted, session.restore(answer));
  });
});

describe("restoreJson", () => {
  test("restores strings deep inside parsed JSON, keys included, and returns a new value", () => {
    const { session } = sessionWithContacts();
    const parsed: unknown = JSON.parse(
      '{"to":["<EMAIL_1>","<email_2>"],"<PHONE_1>":{"note":"call <PHONE_1> first","count":2,"ok":true,"none":null},"__proto__":"<EMAIL_1>"}',
    );
    const snapshot = structuredClone(parsed);
    const restored = session.restoreJson(parsed);
    const expected: unknown = JSON.parse(
      JSON.stringify({ to: [email, otherEmail], [phone]: { note: `call ${phone} first`, count: 2, ok: true, none: null } }).replace(/}$/, `,"__proto__":"${email}"}`),
    );
    assert.deepEqual(restored, expected);
    assert.notEqual(restored, parsed);
    assert.deepEqual(parsed, snapshot);
    assert.equal(Object.getPrototypeOf(restored), Object.prototype);
  });

  test("returns primitives as they are and restores a bare string", () => {
    const { session } = sessionWithContacts();
    assert.equal(session.restoreJson(42), 42);
    assert.equal(session.restoreJson(null), null);
    assert.equal(session.restoreJson(false), false);
    assert.equal(session.restoreJson("<EMAIL_1>"), email);
  });
});

describe("audit view", () => {
  test("entries expose type and placeholder only; originalOf reveals a value on request", () => {
    const { session } = sessionWithContacts();
    const entries = session.entries();
    assert.deepEqual(entries, [
      { type: "email", placeholder: "<EMAIL_1>" },
      { type: "phone", placeholder: "<PHONE_1>" },
      { type: "email", placeholder: "<EMAIL_2>" },
    ]);
    const serialized = JSON.stringify(entries);
    for (const value of [email, otherEmail, phone]) assert.ok(!serialized.includes(value));
    assert.equal(session.size, 3);
    assert.equal(session.originalOf("<PHONE_1>"), phone);
    assert.equal(session.originalOf("<phone_1>"), phone);
    assert.equal(session.originalOf("<PHONE_2>"), undefined);
  });

  test("entries are copies: changing them does not change the session", () => {
    const { session } = sessionWithContacts();
    const entries = session.entries() as { type: string; placeholder: string }[];
    const first = entries[0];
    assert.ok(first);
    first.placeholder = "<HACKED_1>";
    assert.equal(session.entries()[0]?.placeholder, "<EMAIL_1>");
  });
});

describe("Unicode", () => {
  test("round-trips originals with emoji, combining marks and surrogate pairs next to placeholders", () => {
    const session = createRedactionSession();
    const name = "Zoe\u0301 👩🏽‍💻";
    const text = `👋${name}🎉 wrote, e\u0301${email}\u0301 😀`;
    const findings = [...findAll(text, name, "person_name", "name"), ...findAll(text, email, "email")];
    const redacted = session.redact(text, findings);
    assert.equal(redacted, "👋<PERSON_NAME_1>🎉 wrote, e\u0301<EMAIL_1>\u0301 😀");
    assert.equal(session.restore(redacted), text);
    const answer = `🙂 <person_name_1>, ✉️ <EMAIL_1>\u0301`;
    const expected = `🙂 ${name}, ✉️ ${email}\u0301`;
    assert.equal(session.restore(answer), expected);
    for (let cut = 0; cut <= answer.length; cut += 1) assert.equal(streamInChunks(session, answer, [cut]), expected);
  });

  test("treats composed and decomposed forms as different values", () => {
    const session = createRedactionSession();
    const text = "Zoé Zoe\u0301";
    const redacted = session.redact(text, [span("person_name", 0, 3), span("person_name", 4, 8)]);
    assert.equal(redacted, "<PERSON_NAME_1> <PERSON_NAME_2>");
    assert.equal(session.restore(redacted), text);
  });
});

describe("redactForLog", () => {
  test("masks each finding with its type and no number", () => {
    const text = `Write to ${email} or ${otherEmail}, key AKIAIOSFODNN7EXAMPLE.`;
    const findings = [...findAll(text, otherEmail, "email"), ...findAll(text, "AKIAIOSFODNN7EXAMPLE", "aws_access_key", "secret"), ...findAll(text, email, "email")];
    assert.equal(redactForLog(text, findings), "Write to [EMAIL] or [EMAIL], key [AWS_ACCESS_KEY].");
  });

  test("skips overlapping findings and leaves text without findings as it is", () => {
    assert.equal(redactForLog("abcdef", [span("x", 1, 4), span("y", 2, 6)]), "a[X]ef");
    assert.equal(redactForLog("plain <EMAIL_1>", []), "plain <EMAIL_1>");
  });
});
