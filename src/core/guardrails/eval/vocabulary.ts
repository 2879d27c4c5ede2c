import type { ContextLanguage } from "../types.ts";

/**
 * Word lists for the synthetic evaluation documents. Names and places are common ones, combined at
 * random, so no generated record describes a real person.
 */

export const firstNames: Record<ContextLanguage, readonly string[]> = {
  en: ["James", "Olivia", "Noah", "Emma", "Liam", "Ava", "Ethan", "Sophia", "Mason", "Grace", "Lucas", "Chloe", "Henry", "Ella", "Jack", "Amelia"],
  de: ["Lukas", "Anna", "Felix", "Lea", "Jonas", "Mia", "Paul", "Hannah", "Leon", "Sophie", "Tim", "Laura", "Jan", "Marie", "Max", "Katrin"],
  fr: ["Louis", "Camille", "Hugo", "Chloé", "Jules", "Léa", "Arthur", "Manon", "Gabriel", "Inès", "Raphaël", "Jade", "Théo", "Louise", "Nathan", "Zoé"],
};

export const lastNames: Record<ContextLanguage, readonly string[]> = {
  en: ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "Wright", "Robinson", "Hughes", "Clarke", "Turner"],
  de: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf"],
  fr: ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel"],
};

export const companyWords: readonly string[] = [
  "northwind", "bluepeak", "acmecorp", "lumatrix", "stonebridge", "brightlane", "kestrel", "novasoft", "rivergate", "tallowby",
  "quillon", "fernhill", "larkspur", "ironvale", "cobaltic", "sunmoor", "haventree", "orbitly", "pinecrest", "glasswing",
];

export const webmailDomains: Record<ContextLanguage, readonly string[]> = {
  en: ["gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com", "proton.me"],
  de: ["gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de", "freenet.de"],
  fr: ["orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr", "wanadoo.fr"],
};

export const topLevelDomains: Record<ContextLanguage, readonly string[]> = {
  en: ["com", "co.uk", "io", "net", "org"],
  de: ["de", "com", "at", "ch", "eu"],
  fr: ["fr", "com", "be", "eu", "net"],
};

export const cities: Record<ContextLanguage, readonly string[]> = {
  en: ["London", "Manchester", "Bristol", "Leeds", "Glasgow", "Cardiff", "Norwich", "York"],
  de: ["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig", "Dresden", "Bremen", "Nürnberg"],
  fr: ["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Nantes", "Lille", "Strasbourg", "Rennes", "Montpellier"],
};

export const usCities: readonly (readonly [string, string])[] = [
  ["Springfield", "IL"], ["Austin", "TX"], ["Portland", "OR"], ["Denver", "CO"], ["Madison", "WI"], ["Raleigh", "NC"], ["Columbus", "OH"], ["Tucson", "AZ"],
];

export const streetStems: Record<ContextLanguage, readonly string[]> = {
  en: ["Baker", "Kingsley", "Station", "Church", "Victoria", "Mill", "Park", "Highfield", "Oak", "Elm", "Maple", "Willow", "Queen's", "Albert"],
  de: ["Linden", "Goethe", "Schiller", "Bahnhof", "Berg", "Garten", "Kirch", "Schul", "Mozart", "Birken", "Eichen", "Rosen", "Wald", "Feld"],
  fr: ["de la Paix", "Victor Hugo", "des Lilas", "Jean Jaurès", "de la République", "Pasteur", "du Moulin", "des Écoles", "Voltaire", "de la Gare", "Gambetta", "du Château"],
};

export const streetKinds: Record<ContextLanguage, readonly string[]> = {
  en: ["Street", "Road", "Lane", "Avenue", "Close", "Way", "Gardens"],
  de: ["straße", "weg", "allee", "gasse", "ring", "platz"],
  fr: ["rue", "avenue", "boulevard", "place", "allée", "impasse"],
};

export const usStreetKinds: readonly string[] = ["St", "Ave", "Blvd", "Drive", "Court", "Lane"];

export const ukPostcodeAreas: readonly string[] = ["NW", "SW", "EC", "BS", "LS", "M", "G", "CF", "NR", "YO", "E", "N"];

export const monthNames: Record<ContextLanguage, readonly string[]> = {
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
  de: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
  fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
};

export const serviceNames: readonly string[] = ["auth", "billing", "checkout", "gateway", "orders", "search", "notifier", "profile", "ingest", "scheduler"];

export const userNames: readonly string[] = ["app", "admin", "svc_billing", "deploy", "reporting", "etl", "backend", "readonly", "api", "root"];

export const hostNames: readonly string[] = [
  "db-prod-3.internal", "postgres.svc.cluster.local", "10-db.eu-west-1.rds.amazonaws.com", "mysql-primary", "cache.internal",
  "rabbitmq.prod", "cluster0.x7k2p.mongodb.net", "db.staging.lan", "pg-replica-2", "redis-master.default.svc",
];
