import { describe } from "node:test";
import { registerAccountingStoreTests } from "../accounting-stores.suite.ts";
import { openSqliteStorage } from "./open.ts";

describe("SQLite key and usage stores", () => {
  registerAccountingStoreTests("SQLite", async () => {
    const storage = await openSqliteStorage(":memory:");
    if (storage.keys === undefined || storage.usage === undefined) throw new Error("SQLite storage offers keys and usage");
    return { keys: storage.keys, usage: storage.usage, close: () => storage.close() };
  });
});
