/** A JSON Schema document as received from a client (tool parameters, response formats). */
export type JsonSchema = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
