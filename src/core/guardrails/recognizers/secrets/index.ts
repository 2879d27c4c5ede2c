import type { Recognizer } from "../../types.ts";
import { anthropicKeyRecognizer } from "./anthropic-key.ts";
import { awsAccessKeyRecognizer } from "./aws-access-key.ts";
import { awsSecretKeyRecognizer } from "./aws-secret-key.ts";
import { bearerTokenRecognizer } from "./bearer-token.ts";
import { genericSecretRecognizer } from "./generic-secret.ts";
import { githubTokenRecognizer } from "./github-token.ts";
import { gitlabTokenRecognizer } from "./gitlab-token.ts";
import { googleApiKeyRecognizer } from "./google-api-key.ts";
import { jwtRecognizer } from "./jwt.ts";
import { openaiKeyRecognizer } from "./openai-key.ts";
import { privateKeyRecognizer } from "./private-key.ts";
import { slackTokenRecognizer } from "./slack-token.ts";
import { stripeKeyRecognizer } from "./stripe-key.ts";
import { urlPasswordRecognizer } from "./url-password.ts";

/**
 * Every built-in secret recognizer, vendor-specific ones first. The recognizers are stateless, so
 * the same instances serve every detector; the array is new on each call so a caller may filter it.
 */
export function secretRecognizers(): Recognizer[] {
  return [
    awsAccessKeyRecognizer,
    awsSecretKeyRecognizer,
    githubTokenRecognizer,
    gitlabTokenRecognizer,
    slackTokenRecognizer,
    stripeKeyRecognizer,
    openaiKeyRecognizer,
    anthropicKeyRecognizer,
    googleApiKeyRecognizer,
    jwtRecognizer,
    privateKeyRecognizer,
    urlPasswordRecognizer,
    bearerTokenRecognizer,
    genericSecretRecognizer,
  ];
}
