import type { ContextLanguage } from "../types.ts";
import type { GeneratedType, HardNegativeKind } from "./generators.ts";

/**
 * The surrounding text of the evaluation documents: sentences that carry a value ("{}" marks
 * where it goes), key names for logs, JSON and code, and filler without anything sensitive.
 * Context words appear the way people write them (in en, de and fr, in snake_case keys, after
 * "Authorization: Bearer"), because that is what the recognizers will meet.
 */

type Sentences = Record<ContextLanguage, readonly string[]>;

export const valueSentences: Record<GeneratedType, Sentences> = {
  email: {
    en: ["You can reach me at {} if anything changes.", "Please send the signed contract to {}.", "My e-mail is {}, use that one from now on."],
    de: ["Du erreichst mich unter {}.", "Bitte schick den unterschriebenen Vertrag an {}.", "Meine E-Mail-Adresse lautet {}."],
    fr: ["Vous pouvez me joindre à {}.", "Merci d'envoyer le contrat signé à {}.", "Mon adresse e-mail est {}."],
  },
  phone: {
    en: ["Call me on {} after five.", "My mobile number is {}.", "The front desk can be reached at {}."],
    de: ["Ruf mich bitte unter {} an.", "Meine Handynummer ist {}.", "Telefon: {}"],
    fr: ["Appelez-moi au {} après 17 heures.", "Mon numéro de portable est le {}.", "Tél. : {}"],
  },
  ipv4: {
    en: ["The suspicious requests come from {} since this morning.", "Can you allow {} on the firewall?", "My home IP is {}."],
    de: ["Die verdächtigen Anfragen kommen seit heute früh von {}.", "Kannst du {} in der Firewall freigeben?"],
    fr: ["Les requêtes suspectes viennent de {} depuis ce matin.", "Pouvez-vous autoriser {} sur le pare-feu ?"],
  },
  ipv6: {
    en: ["The login came from {} according to the audit log.", "Please add {} to the allow list."],
    de: ["Der Login kam laut Audit-Log von {}.", "Bitte {} auf die Allowlist setzen."],
    fr: ["La connexion venait de {} d'après le journal d'audit.", "Ajoutez {} à la liste autorisée."],
  },
  mac_address: {
    en: ["The laptop's MAC address is {}.", "Register device {} for the guest network."],
    de: ["Die MAC-Adresse des Laptops ist {}.", "Bitte Gerät {} fürs Gäste-WLAN freischalten."],
    fr: ["L'adresse MAC de l'ordinateur est {}.", "Enregistrez l'appareil {} sur le réseau invité."],
  },
  payment_card: {
    en: ["My card number is {}, expiry 09/27.", "Can you check why my card {} was declined?", "Please charge it to {}."],
    de: ["Meine Kreditkartennummer ist {}.", "Warum wurde meine Karte {} abgelehnt?", "Bitte belaste die Karte {}."],
    fr: ["Mon numéro de carte est le {}.", "Pourquoi ma carte {} a-t-elle été refusée ?", "Débitez la carte {} s'il vous plaît."],
  },
  iban: {
    en: ["Please transfer the deposit to IBAN {}.", "My bank account is {}.", "Refund to {} please."],
    de: ["Bitte überweise die Kaution auf {}.", "Meine IBAN lautet {}.", "Kontoverbindung: {}"],
    fr: ["Merci de virer l'acompte sur l'IBAN {}.", "Mon RIB : {}", "Remboursez sur le compte {} s'il vous plaît."],
  },
  crypto_wallet: {
    en: ["Send the coins to {}.", "My wallet address is {}.", "Payout address: {}"],
    de: ["Schick die Coins an {}.", "Meine Wallet-Adresse ist {}."],
    fr: ["Envoyez les fonds à l'adresse {}.", "Mon portefeuille : {}"],
  },
  vat_number: {
    en: ["Our VAT number is {}.", "Please put VAT reg. no. {} on the invoice."],
    de: ["Unsere USt-IdNr. lautet {}.", "Bitte die Umsatzsteuer-ID {} auf der Rechnung angeben."],
    fr: ["Notre numéro de TVA intracommunautaire est {}.", "TVA : {}"],
  },
  us_ssn: {
    en: ["My SSN is {}.", "Social security number: {}", "For the background check, use SSN {}."],
    de: ["Meine US-Sozialversicherungsnummer (SSN) ist {}."],
    fr: ["Mon numéro de sécurité sociale américain (SSN) est {}."],
  },
  us_itin: {
    en: ["My ITIN is {}.", "Individual taxpayer identification number: {}"],
    de: ["Meine ITIN lautet {}."],
    fr: ["Mon ITIN est {}."],
  },
  uk_nino: {
    en: ["My National Insurance number is {}.", "NI number: {}"],
    de: ["Meine britische National Insurance Number ist {}."],
    fr: ["Mon numéro National Insurance est {}."],
  },
  de_tax_id: {
    en: ["My German tax ID is {}."],
    de: ["Meine Steuer-ID ist {}.", "Steuerliche Identifikationsnummer: {}", "Steuer-IdNr. {}"],
    fr: ["Mon identifiant fiscal allemand est {}."],
  },
  fr_nir: {
    en: ["My French social security number is {}."],
    de: ["Meine französische Sozialversicherungsnummer ist {}."],
    fr: ["Mon numéro de sécurité sociale est le {}.", "N° INSEE : {}", "NIR {}"],
  },
  es_dni: {
    en: ["My Spanish ID (DNI) is {}.", "NIE: {}"],
    de: ["Meine spanische DNI ist {}."],
    fr: ["Mon DNI espagnol est {}."],
  },
  it_fiscal_code: {
    en: ["My codice fiscale is {}."],
    de: ["Meine italienische Steuernummer (Codice fiscale) ist {}."],
    fr: ["Mon code fiscal italien est {}."],
  },
  nl_bsn: {
    en: ["My BSN is {}.", "Dutch citizen service number: {}"],
    de: ["Meine BSN lautet {}."],
    fr: ["Mon numéro BSN est {}."],
  },
  pl_pesel: {
    en: ["My PESEL number is {}."],
    de: ["Meine PESEL-Nummer ist {}."],
    fr: ["Mon numéro PESEL est {}."],
  },
  passport: {
    en: ["My passport number is {}.", "Passport no. {}, expires 2031."],
    de: ["Meine Reisepassnummer ist {}.", "Pass-Nr.: {}"],
    fr: ["Mon numéro de passeport est {}.", "Passeport n° {}"],
  },
  driving_licence: {
    en: ["Driving licence number: {}", "My driver's license number is {}."],
    de: ["Meine Führerscheinnummer lautet {}."],
    fr: ["Numéro de permis de conduire : {}"],
  },
  date_of_birth: {
    en: ["I was born on {}.", "Date of birth: {}", "DOB {}"],
    de: ["Ich bin am {} geboren.", "Geburtsdatum: {}", "geb. {}"],
    fr: ["Je suis né le {}.", "Date de naissance : {}", "née le {}"],
  },
  postal_address: {
    en: ["Please ship it to {}.", "My address is {}.", "Deliver to: {}"],
    de: ["Bitte an {} liefern.", "Meine Adresse: {}", "Anschrift: {}"],
    fr: ["Livrez à {} s'il vous plaît.", "Mon adresse : {}", "Adresse de livraison : {}"],
  },
  aws_access_key: {
    en: ["Our AWS access key {} gets AccessDenied on s3:PutObject.", "aws_access_key_id = {}"],
    de: ["Unser AWS Access Key {} bekommt AccessDenied."],
    fr: ["Notre clé d'accès AWS {} renvoie AccessDenied."],
  },
  aws_secret_key: {
    en: ["and the AWS secret access key is {}", "aws_secret_access_key = {}"],
    de: ["der AWS Secret Access Key ist {}"],
    fr: ["la clé secrète AWS (secret access key) est {}"],
  },
  github_token: {
    en: ["The CI uses the token {} to push tags.", "GitHub token: {}"],
    de: ["Die CI nutzt das GitHub-Token {} zum Pushen."],
    fr: ["La CI utilise le jeton GitHub {} pour pousser les tags."],
  },
  gitlab_token: {
    en: ["The runner authenticates with {}.", "GitLab personal access token: {}"],
    de: ["Der Runner meldet sich mit {} an."],
    fr: ["Le runner s'authentifie avec {}."],
  },
  slack_token: {
    en: ["The Slack bot token is {}.", "Our alerts bot posts with {}."],
    de: ["Das Slack-Bot-Token ist {}."],
    fr: ["Le jeton du bot Slack est {}."],
  },
  stripe_key: {
    en: ["Our Stripe key {} stopped working after the upgrade.", "STRIPE_SECRET_KEY is {}"],
    de: ["Unser Stripe-Key {} funktioniert seit dem Update nicht mehr."],
    fr: ["Notre clé Stripe {} ne fonctionne plus depuis la mise à jour."],
  },
  openai_key: {
    en: ["My OpenAI key {} returns 401.", "Here is the key: {}"],
    de: ["Mein OpenAI-Key {} liefert 401."],
    fr: ["Ma clé OpenAI {} renvoie 401."],
  },
  anthropic_key: {
    en: ["The Anthropic API key is {}.", "I set ANTHROPIC_API_KEY to {} but it says invalid."],
    de: ["Der Anthropic-API-Key ist {}."],
    fr: ["La clé API Anthropic est {}."],
  },
  google_api_key: {
    en: ["The maps stopped loading with key {}.", "Google API key: {}"],
    de: ["Die Karten laden mit dem Key {} nicht mehr."],
    fr: ["Les cartes ne se chargent plus avec la clé {}."],
  },
  jwt: {
    en: ["The JWT {} is rejected, can you decode it?", "id_token: {}"],
    de: ["Das JWT {} wird abgelehnt, kannst du es dekodieren?"],
    fr: ["Le JWT {} est rejeté, pouvez-vous le décoder ?"],
  },
  bearer_token: {
    en: ["I send Authorization: Bearer {} and get 403.", "curl -H \"Authorization: Bearer {}\" https://api.internal/v2/me"],
    de: ["Ich schicke Authorization: Bearer {} und bekomme 403."],
    fr: ["J'envoie Authorization: Bearer {} et j'obtiens 403."],
  },
  private_key: {
    en: ["Here is the deploy key:\n{}\nWhy does ssh say invalid format?", "My TLS key is below.\n{}\n"],
    de: ["Hier der Deploy-Schlüssel:\n{}\nWarum meldet ssh ein ungültiges Format?"],
    fr: ["Voici la clé de déploiement :\n{}\nPourquoi ssh dit-il que le format est invalide ?"],
  },
  url_password: {
    en: ["The app connects with {} but times out.", "DATABASE_URL is {}"],
    de: ["Die App verbindet sich mit {}, bekommt aber einen Timeout."],
    fr: ["L'application se connecte avec {} mais expire."],
  },
  generic_secret: {
    en: ["The password is {}", "api_key: {}", "My secret token is {}"],
    de: ["Das Passwort lautet {}", "Passwort: {}"],
    fr: ["Le mot de passe est {}", "mot de passe : {}"],
  },
};

/** Key names (log fields, JSON keys, variables); the data type's context is in the name. */
export const valueKeys: Record<GeneratedType, readonly string[]> = {
  email: ["email", "user_email", "contactEmail", "reply_to"],
  phone: ["phone", "phone_number", "mobile", "telefon"],
  ipv4: ["client_ip", "remote_addr", "ip", "source_ip"],
  ipv6: ["client_ip", "remote_addr", "ipv6"],
  mac_address: ["mac", "mac_address", "deviceMac"],
  payment_card: ["card_number", "pan", "cardNumber", "cc_number"],
  iban: ["iban", "account_iban", "payoutIban"],
  crypto_wallet: ["wallet", "btc_address", "payout_address", "walletAddress"],
  vat_number: ["vat_id", "vatNumber", "ust_id", "tva"],
  us_ssn: ["ssn", "social_security_number"],
  us_itin: ["itin", "taxpayer_id"],
  uk_nino: ["nino", "ni_number", "national_insurance_number"],
  de_tax_id: ["steuer_id", "tax_id", "steuerIdNr"],
  fr_nir: ["nir", "numero_securite_sociale", "insee"],
  es_dni: ["dni", "nie", "documento_identidad"],
  it_fiscal_code: ["codice_fiscale", "codiceFiscale", "cf"],
  nl_bsn: ["bsn", "burgerservicenummer"],
  pl_pesel: ["pesel"],
  passport: ["passport_number", "passportNo", "reisepass", "passeport"],
  driving_licence: ["driving_licence", "license_number", "fuehrerschein", "permis_conduire"],
  date_of_birth: ["date_of_birth", "dob", "birthDate", "geburtsdatum", "date_naissance"],
  postal_address: ["address", "shipping_address", "billingAddress", "anschrift", "adresse"],
  aws_access_key: ["aws_access_key_id", "AWS_ACCESS_KEY_ID", "accessKeyId"],
  aws_secret_key: ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secretAccessKey"],
  github_token: ["github_token", "GH_TOKEN", "token"],
  gitlab_token: ["gitlab_token", "GITLAB_TOKEN", "private_token"],
  slack_token: ["slack_token", "SLACK_BOT_TOKEN", "token"],
  stripe_key: ["stripe_key", "STRIPE_SECRET_KEY", "apiKey"],
  openai_key: ["openai_api_key", "OPENAI_API_KEY", "api_key"],
  anthropic_key: ["anthropic_api_key", "ANTHROPIC_API_KEY", "x-api-key"],
  google_api_key: ["google_api_key", "GOOGLE_MAPS_KEY", "key"],
  jwt: ["id_token", "access_token", "jwt", "session"],
  bearer_token: ["authorization", "Authorization"],
  private_key: ["private_key", "PRIVATE_KEY", "ssh_key", "tls_key"],
  url_password: ["database_url", "DATABASE_URL", "dsn", "broker_url", "REDIS_URL"],
  generic_secret: ["password", "db_password", "client_secret", "api_secret", "passwort", "mot_de_passe", "SECRET_KEY", "webhook_secret"],
};

/** What goes around a value in key/value form ("Bearer {}" for the Authorization header). */
export const valueTemplates: Partial<Record<GeneratedType, string>> = {
  bearer_token: "Bearer {}",
};

export const negativeSentences: Record<HardNegativeKind, Sentences> = {
  luhn_invalid_number: {
    en: ["Reference {} has been processed.", "Your booking reference is {}."],
    de: ["Vorgangsnummer {} wurde bearbeitet."],
    fr: ["La référence {} a été traitée."],
  },
  order_number: {
    en: ["Order {} has shipped.", "Any update on order {}?"],
    de: ["Bestellung {} wurde versandt."],
    fr: ["La commande {} a été expédiée."],
  },
  invoice_number: {
    en: ["Invoice {} is attached."],
    de: ["Anbei die Rechnung {}."],
    fr: ["Vous trouverez la facture {} en pièce jointe."],
  },
  tracking_number: {
    en: ["Tracking number: {}"],
    de: ["Sendungsnummer: {}"],
    fr: ["Numéro de suivi : {}"],
  },
  timestamp: {
    en: ["Last sync at {}."],
    de: ["Letzte Synchronisation: {}"],
    fr: ["Dernière synchronisation : {}"],
  },
  version: {
    en: ["We upgraded to version {} yesterday."],
    de: ["Gestern auf Version {} aktualisiert."],
    fr: ["Mis à jour en version {} hier."],
  },
  uuid: {
    en: ["Request id {} failed."],
    de: ["Anfrage {} ist fehlgeschlagen."],
    fr: ["La requête {} a échoué."],
  },
  git_sha: {
    en: ["The regression came in with commit {}."],
    de: ["Der Fehler kam mit Commit {}."],
    fr: ["La régression vient du commit {}."],
  },
  sha256: {
    en: ["Checksum (sha256): {}"],
    de: ["Prüfsumme (SHA-256): {}"],
    fr: ["Somme de contrôle (SHA-256) : {}"],
  },
  hex_colour: {
    en: ["Use {} for the primary button."],
    de: ["Nimm {} für den Button."],
    fr: ["Utilisez {} pour le bouton principal."],
  },
  product_code: {
    en: ["Item {} is out of stock."],
    de: ["Artikel {} ist nicht lieferbar."],
    fr: ["L'article {} est en rupture de stock."],
  },
  isbn: {
    en: ["The book's ISBN is {}."],
    de: ["ISBN des Buchs: {}"],
    fr: ["ISBN du livre : {}"],
  },
  bad_iban: {
    en: ["The IBAN {} was rejected as invalid, please check it."],
    de: ["Die IBAN {} wurde als ungültig abgelehnt."],
    fr: ["L'IBAN {} a été refusé comme invalide."],
  },
  bad_bitcoin: {
    en: ["The address {} fails validation, there must be a typo."],
    de: ["Die Adresse {} ist ungültig, da ist ein Tippfehler drin."],
    fr: ["L'adresse {} est invalide, il doit y avoir une faute de frappe."],
  },
  bad_ethereum: {
    en: ["MetaMask says {} has an invalid checksum."],
    de: ["MetaMask meldet für {} eine ungültige Prüfsumme."],
    fr: ["MetaMask indique que {} a une somme de contrôle invalide."],
  },
  bad_github_token: {
    en: ["The token {} was rejected as malformed."],
    de: ["Das Token {} wurde als fehlerhaft abgelehnt."],
    fr: ["Le jeton {} a été rejeté comme mal formé."],
  },
  customer_number: {
    en: ["Customer number {}"],
    de: ["Kundennummer {}"],
    fr: ["Numéro client {}"],
  },
  base64_image: {
    en: ["Here is the screenshot: {}"],
    de: ["Hier der Screenshot: {}"],
    fr: ["Voici la capture : {}"],
  },
  placeholder_key: {
    en: ["Replace {} with your own key."],
    de: ["Ersetze {} durch deinen eigenen Schlüssel."],
    fr: ["Remplacez {} par votre propre clé."],
  },
  documentation_example: {
    en: ["The AWS docs use {} as an example."],
    de: ["Die AWS-Doku nutzt {} als Beispiel."],
    fr: ["La doc AWS utilise {} comme exemple."],
  },
  secret_reference: {
    en: ["Set the password to {} in the config."],
    de: ["Setz das Passwort in der Konfiguration auf {}."],
    fr: ["Mettez le mot de passe à {} dans la config."],
  },
  plain_date: {
    en: ["The invoice is dated {}.", "Meeting on {}."],
    de: ["Rechnungsdatum: {}", "Lieferung am {}."],
    fr: ["Facture du {}.", "Livraison le {}."],
  },
};

export const negativeKeys: Record<HardNegativeKind, readonly string[]> = {
  luhn_invalid_number: ["reference", "booking_ref", "vorgang"],
  order_number: ["order_id", "orderNumber", "bestellnummer"],
  invoice_number: ["invoice", "invoice_number", "rechnungsnummer"],
  tracking_number: ["tracking", "tracking_number", "sendungsnummer"],
  timestamp: ["ts", "timestamp", "created_at", "updatedAt"],
  version: ["version", "build", "app_version"],
  uuid: ["request_id", "id", "traceId", "correlation_id"],
  git_sha: ["commit", "sha", "revision"],
  sha256: ["sha256", "digest", "checksum"],
  hex_colour: ["color", "background", "accent"],
  product_code: ["sku", "article", "part_number", "ean"],
  isbn: ["isbn"],
  bad_iban: ["iban_input", "rejected_iban"],
  bad_bitcoin: ["address_input", "rejected_address"],
  bad_ethereum: ["address_input", "rejected_address"],
  bad_github_token: ["rejected_token"],
  customer_number: ["customer_id", "kundennummer", "client_id"],
  base64_image: ["image", "avatar", "thumbnail"],
  placeholder_key: ["api_key", "OPENAI_API_KEY", "token"],
  documentation_example: ["example_key"],
  secret_reference: ["password", "api_key", "db_password", "client_secret"],
  plain_date: ["invoice_date", "delivery_date", "due_date"],
};

/** Key names that fit a particular negative value better than the generic list. */
export function negativeKeysFor(kind: HardNegativeKind, value: string): readonly string[] {
  if (kind === "documentation_example") return value.startsWith("AKIA") ? ["aws_access_key_id", "AWS_ACCESS_KEY_ID"] : ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"];
  return negativeKeys[kind];
}

export const chatRoles: Record<ContextLanguage, readonly [string, string]> = {
  en: ["User", "Assistant"],
  de: ["Nutzer", "Assistent"],
  fr: ["Utilisateur", "Assistant"],
};

export const userFiller: Sentences = {
  en: [
    "Hi, I need some help with my account.",
    "Thanks, that worked!",
    "Could you summarise the steps again?",
    "I tried that already and it still fails.",
    "Is there a way to do this automatically?",
    "The deadline is next Friday, so there is no rush.",
    "Can you rewrite this in a more formal tone?",
    "Here is some more context on the problem.",
    "We moved to the new office last month and since then nothing works.",
    "My manager asked for a short summary of the incident.",
    "Please keep the answer short, I am on my phone.",
    "What would you recommend for a team of five people?",
  ],
  de: [
    "Hallo, ich brauche Hilfe mit meinem Konto.",
    "Danke, das hat funktioniert!",
    "Kannst du die Schritte noch einmal zusammenfassen?",
    "Das habe ich schon probiert, es geht immer noch nicht.",
    "Gibt es eine Möglichkeit, das zu automatisieren?",
    "Die Frist ist nächsten Freitag, also keine Eile.",
    "Kannst du das etwas förmlicher formulieren?",
    "Hier noch etwas mehr Kontext zum Problem.",
    "Seit dem Umzug ins neue Büro funktioniert gar nichts mehr.",
    "Meine Chefin möchte eine kurze Zusammenfassung des Vorfalls.",
    "Bitte halte die Antwort kurz, ich bin am Handy.",
    "Was würdest du für ein Team von fünf Leuten empfehlen?",
  ],
  fr: [
    "Bonjour, j'ai besoin d'aide avec mon compte.",
    "Merci, ça a marché !",
    "Pouvez-vous résumer les étapes encore une fois ?",
    "J'ai déjà essayé et ça ne marche toujours pas.",
    "Est-ce qu'il y a un moyen d'automatiser ça ?",
    "La date limite est vendredi prochain, rien ne presse.",
    "Pouvez-vous reformuler ça sur un ton plus formel ?",
    "Voici un peu plus de contexte sur le problème.",
    "Depuis le déménagement dans les nouveaux bureaux, plus rien ne fonctionne.",
    "Mon responsable veut un court résumé de l'incident.",
    "Faites court s'il vous plaît, je suis sur mon téléphone.",
    "Que recommanderiez-vous pour une équipe de cinq personnes ?",
  ],
};

export const assistantFiller: Sentences = {
  en: [
    "Sure, here is what I would try first.",
    "That error usually means the configuration is incomplete.",
    "I recommend rotating any credential you shared in this conversation.",
    "Let me break this down into three steps.",
    "You can verify the change by running the tests again.",
    "Happy to help. Could you share the full error message?",
    "Good question: the short answer is yes, with one caveat.",
    "Here is a shorter version of the text.",
    "First, check that the service is running; then restart the client.",
    "In most cases the default settings are fine.",
  ],
  de: [
    "Klar, das würde ich zuerst versuchen.",
    "Dieser Fehler bedeutet meist, dass die Konfiguration unvollständig ist.",
    "Ich empfehle, alle hier geteilten Zugangsdaten auszutauschen.",
    "Ich teile das in drei Schritte auf.",
    "Du kannst die Änderung prüfen, indem du die Tests erneut ausführst.",
    "Gern. Kannst du die vollständige Fehlermeldung schicken?",
    "Gute Frage: Die kurze Antwort ist ja, mit einer Einschränkung.",
    "Hier eine kürzere Fassung des Textes.",
    "Prüfe zuerst, ob der Dienst läuft, und starte dann den Client neu.",
    "In den meisten Fällen passen die Standardeinstellungen.",
  ],
  fr: [
    "Bien sûr, voici ce que j'essaierais en premier.",
    "Cette erreur signifie généralement que la configuration est incomplète.",
    "Je recommande de changer tous les identifiants partagés ici.",
    "Je vais découper ça en trois étapes.",
    "Vous pouvez vérifier la modification en relançant les tests.",
    "Avec plaisir. Pouvez-vous partager le message d'erreur complet ?",
    "Bonne question : la réponse courte est oui, avec une réserve.",
    "Voici une version plus courte du texte.",
    "Vérifiez d'abord que le service tourne, puis redémarrez le client.",
    "Dans la plupart des cas, les réglages par défaut conviennent.",
  ],
};

export const emailSubjects: Sentences = {
  en: ["Re: your request", "Account update", "Question about the invoice", "Onboarding details", "Follow-up from yesterday's call"],
  de: ["AW: Ihre Anfrage", "Aktualisierung Ihres Kontos", "Frage zur Rechnung", "Unterlagen für das Onboarding", "Nachtrag zum Telefonat"],
  fr: ["RE : votre demande", "Mise à jour du compte", "Question sur la facture", "Informations d'intégration", "Suite à notre appel d'hier"],
};

export const emailGreetings: Sentences = { en: ["Hi {},", "Dear {},", "Hello {},"], de: ["Hallo {},", "Guten Tag {},", "Sehr geehrte/r {},"], fr: ["Bonjour {},", "Cher/Chère {},", "Salut {},"] };

export const emailClosings: Sentences = { en: ["Best regards,", "Thanks,", "Kind regards,"], de: ["Viele Grüße,", "Beste Grüße,", "Mit freundlichen Grüßen,"], fr: ["Cordialement,", "Bien à vous,", "Merci,"] };

export const emailFiller: Sentences = {
  en: [
    "Thank you for getting back to me so quickly.",
    "As discussed on the phone, I am sending you the remaining details.",
    "Please let me know if you need anything else from our side.",
    "We would like to finish the onboarding before the end of the month.",
    "I have copied my colleague, who handles the billing questions.",
    "Sorry for the late reply, I was travelling last week.",
    "The attached document contains the updated terms.",
  ],
  de: [
    "Vielen Dank für die schnelle Rückmeldung.",
    "Wie telefonisch besprochen, schicke ich Ihnen die fehlenden Angaben.",
    "Geben Sie mir gern Bescheid, falls Sie noch etwas benötigen.",
    "Wir möchten das Onboarding bis Monatsende abschließen.",
    "Ich habe meine Kollegin in Kopie gesetzt, sie kümmert sich um die Abrechnung.",
    "Entschuldigen Sie die späte Antwort, ich war letzte Woche unterwegs.",
    "Im Anhang finden Sie die aktualisierten Bedingungen.",
  ],
  fr: [
    "Merci pour votre retour rapide.",
    "Comme convenu au téléphone, je vous envoie les informations manquantes.",
    "N'hésitez pas à me dire s'il vous faut autre chose.",
    "Nous souhaitons terminer l'intégration avant la fin du mois.",
    "J'ai mis en copie ma collègue qui s'occupe de la facturation.",
    "Désolé pour la réponse tardive, j'étais en déplacement la semaine dernière.",
    "Le document joint contient les conditions mises à jour.",
  ],
};

export const codeComments: Sentences = {
  en: ["configuration for the staging environment", "TODO: move this to the secret store", "retry with exponential backoff", "keep in sync with the API docs", "temporary workaround, see ticket"],
  de: ["Konfiguration für die Staging-Umgebung", "TODO: in den Secret-Store verschieben", "mit exponentiellem Backoff wiederholen", "mit der API-Doku synchron halten", "vorläufiger Workaround, siehe Ticket"],
  fr: ["configuration pour l'environnement de préproduction", "TODO : déplacer dans le coffre à secrets", "réessayer avec un délai exponentiel", "à garder synchronisé avec la doc de l'API", "contournement temporaire, voir le ticket"],
};

export const logMessages: readonly string[] = [
  "request completed",
  "cache miss, loading from database",
  "health check ok",
  "user session refreshed",
  "scheduled job finished",
  "retrying upstream call",
  "connection pool resized",
  "feature flag evaluated",
  "webhook delivered",
  "payment intent created",
  "rate limit close to threshold",
  "slow query detected",
];

export const logMessagesLocalized: Sentences = {
  en: ["customer profile updated", "login succeeded", "export finished"],
  de: ["Kundenprofil aktualisiert", "Anmeldung erfolgreich", "Export abgeschlossen"],
  fr: ["profil client mis à jour", "connexion réussie", "export terminé"],
};
