import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decide, describeTypes, isLocal, type DataFound, type Destination, type Policy, type PolicyRule, type RequestFacts } from "./engine.ts";

const local: Destination = { key: "engine/llama", model: "llama", provider: "engine", locality: "in-process", trust: [] };
const vllm: Destination = { key: "vllm/qwen", model: "qwen", provider: "vllm", locality: "self-hosted", trust: ["trusted"] };
const ollama: Destination = { key: "ollama/qwen", model: "qwen-lab", provider: "ollama", locality: "self-hosted", trust: [] };
const openai: Destination = { key: "openai/gpt", model: "gpt", provider: "openai", locality: "third-party", trust: ["zero-retention"], region: "us" };
const shady: Destination = { key: "cheap/x", model: "x", provider: "cheap", locality: "third-party", trust: [] };

const email: DataFound = { type: "email", category: "pii", count: 2 };
const ssn: DataFound = { type: "us_ssn", category: "pii", count: 1 };
const privateKey: DataFound = { type: "private_key", category: "secret", count: 1 };
const customer: DataFound = { type: "customer", category: "dictionary", count: 1 };

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({ model: "gpt", tags: [], estimatedTokens: 100, ...over });

/** The issue's example: PII and secrets never reach third parties; e-mails redacted for trusted vendors; private keys blocked everywhere. */
const issuePolicy: Policy = {
  rules: [
    { name: "private-keys-never", when: { data: ["private_key"] }, action: "block" },
    { name: "emails-redacted-for-trusted", when: { data: ["email"], destination: { locality: ["third-party"], trust: ["zero-retention"] } }, action: "redact" },
    { name: "pii-and-secrets-stay-local", when: { data: ["pii", "secret"], destination: { locality: ["third-party"] } }, action: "route_local" },
  ],
  default: "allow",
  localTrust: "trusted",
};

describe("policy engine", () => {
  test("nothing found: the default rule decides, every destination allowed", () => {
    const decision = decide(issuePolicy, facts(), [], [openai, local]);
    assert.deepEqual(decision.destinations.map((entry) => entry.outcome), ["allow", "allow"]);
    assert.deepEqual(decision.destinations[0]?.verdicts, [{ type: undefined, rule: "default", action: "allow" }]);
    assert.equal(decision.blocked, undefined);
  });

  test("e-mails only, trusted vendor: redacted there, allowed locally", () => {
    const decision = decide(issuePolicy, facts(), [email], [openai, local]);
    assert.equal(decision.destinations[0]?.outcome, "redact");
    assert.deepEqual(decision.destinations[0]?.redact, ["email"]);
    assert.equal(decision.destinations[1]?.outcome, "allow");
  });

  test("e-mails to an untrusted vendor: that vendor is excluded, the local fallback serves", () => {
    const decision = decide(issuePolicy, facts(), [email], [shady, local]);
    assert.equal(decision.destinations[0]?.outcome, "excluded");
    assert.deepEqual(decision.destinations[0]?.excludedBy.map((verdict) => verdict.rule), ["pii-and-secrets-stay-local"]);
    assert.equal(decision.destinations[1]?.outcome, "allow");
  });

  test("e-mail plus an SSN to the trusted vendor: the SSN keeps it off the vendor even though e-mails alone would be redacted", () => {
    const decision = decide(issuePolicy, facts(), [email, ssn], [openai]);
    assert.equal(decision.destinations[0]?.outcome, "excluded");
    assert.deepEqual(decision.blocked, { types: ["us_ssn"], rules: ["pii-and-secrets-stay-local"] });
  });

  test("a route with no local target is rerouted to the policy's local model when route_local excluded it", () => {
    const policy = { ...issuePolicy, localModel: "llama" };
    const decision = decide(policy, facts(), [ssn], [openai], local);
    assert.equal(decision.rerouted, true);
    assert.deepEqual(decision.destinations.map((entry) => [entry.destination.key, entry.outcome]), [["openai/gpt", "excluded"], ["engine/llama", "allow"]]);
    assert.equal(decision.blocked, undefined);
  });

  test("a block is never rerouted: private keys stop everywhere, local included", () => {
    const policy = { ...issuePolicy, localModel: "llama" };
    const decision = decide(policy, facts(), [privateKey, email], [openai, local], local);
    assert.equal(decision.rerouted, false);
    assert.deepEqual(decision.destinations.map((entry) => entry.outcome), ["excluded", "excluded"]);
    assert.deepEqual(decision.blocked?.types, ["private_key"]);
    assert.deepEqual(decision.blocked?.rules, ["private-keys-never"]);
  });

  test("a self-hosted server counts as local only with the localTrust tag", () => {
    assert.equal(isLocal(vllm, issuePolicy), true);
    assert.equal(isLocal(ollama, issuePolicy), false);
    assert.equal(isLocal(local, issuePolicy), true);
    const decision = decide(issuePolicy, facts(), [ssn], [ollama, vllm]);
    // ollama is self-hosted, not third-party: the third-party rule does not match it at all.
    assert.deepEqual(decision.destinations.map((entry) => entry.outcome), ["allow", "allow"]);
    const strict: Policy = { ...issuePolicy, rules: [{ name: "local-only", when: { data: ["pii"] }, action: "route_local" }] };
    assert.deepEqual(decide(strict, facts(), [ssn], [ollama, vllm]).destinations.map((entry) => entry.outcome), ["excluded", "allow"]);
  });

  test("first match wins: an earlier allow shadows a later block for the same data type", () => {
    const policy: Policy = {
      rules: [
        { name: "support-may-share-customers", when: { data: ["customer"], teams: ["support"] }, action: "allow" },
        { name: "customers-stay-in", when: { data: ["dictionary"] }, action: "block" },
      ],
      default: "allow",
      localTrust: "trusted",
    };
    assert.equal(decide(policy, facts({ caller: { key: "ann", team: "support" } }), [customer], [openai]).destinations[0]?.outcome, "allow");
    assert.equal(decide(policy, facts({ caller: { key: "bob", team: "sales" } }), [customer], [openai]).destinations[0]?.outcome, "excluded");
    assert.equal(decide(policy, facts(), [customer], [openai]).destinations[0]?.outcome, "excluded");
  });

  test("conditions: keys, models with a prefix pattern, tags, token counts, region and notTrust", () => {
    const rule = (when: PolicyRule["when"]): Policy => ({ rules: [{ name: "r", when, action: "block" }], default: "allow", localTrust: "trusted" });
    const outcome = (policy: Policy, over: Partial<RequestFacts> = {}, destination: Destination = openai) => decide(policy, facts(over), [], [destination]).destinations[0]?.outcome;
    assert.equal(outcome(rule({ keys: ["ci"] }), { caller: { key: "ci" } }), "excluded");
    assert.equal(outcome(rule({ keys: ["ci"] }), { caller: { key: "dev" } }), "allow");
    assert.equal(outcome(rule({ keys: ["ci"] })), "allow");
    assert.equal(outcome(rule({ models: ["gp*"] })), "excluded");
    assert.equal(outcome(rule({ models: ["claude*"] })), "allow");
    assert.equal(outcome(rule({ tags: ["Confidential"] }), { tags: ["confidential"] }), "excluded");
    assert.equal(outcome(rule({ tags: ["confidential"] }), { tags: ["public"] }), "allow");
    assert.equal(outcome(rule({ tokens: { over: 1000 } }), { estimatedTokens: 1001 }), "excluded");
    assert.equal(outcome(rule({ tokens: { over: 1000 } }), { estimatedTokens: 1000 }), "allow");
    assert.equal(outcome(rule({ tokens: { under: 10 } }), { estimatedTokens: 9 }), "excluded");
    assert.equal(outcome(rule({ destination: { region: ["eu"] } })), "allow");
    assert.equal(outcome(rule({ destination: { region: ["us"] } })), "excluded");
    assert.equal(outcome(rule({ destination: { notTrust: ["zero-retention"] } })), "allow");
    assert.equal(outcome(rule({ destination: { notTrust: ["zero-retention"] } }), {}, shady), "excluded");
  });

  test("review: held only while a usable destination needs it; a blocked request is not reviewed", () => {
    const policy: Policy = { rules: [{ name: "customers-need-review", when: { data: ["customer"] }, action: "review" }], default: "allow", localTrust: "trusted" };
    const decision = decide(policy, facts(), [customer], [openai]);
    assert.equal(decision.review, true);
    assert.equal(decision.destinations[0]?.outcome, "review");
    const both: Policy = { ...policy, rules: [{ name: "keys", when: { data: ["private_key"] }, action: "block" }, ...policy.rules] };
    const blocked = decide(both, facts(), [customer, privateKey], [openai]);
    assert.equal(blocked.review, false);
    assert.deepEqual(blocked.blocked?.types, ["private_key"]);
  });

  test("a strict default keeps everything local unless a rule allows", () => {
    const policy: Policy = { rules: [{ name: "public-ok", when: { tags: ["public"] }, action: "allow" }], default: "route_local", localTrust: "trusted" };
    assert.deepEqual(decide(policy, facts(), [], [openai, local]).destinations.map((entry) => entry.outcome), ["excluded", "allow"]);
    assert.deepEqual(decide(policy, facts({ tags: ["public"] }), [], [openai, local]).destinations.map((entry) => entry.outcome), ["allow", "allow"]);
  });

  test("block messages name data types by label, never by value", () => {
    assert.equal(describeTypes(["payment_card", "private_key", "customer_name"]), "payment card number, private key, customer name");
  });
});
