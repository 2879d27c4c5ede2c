import { after, describe } from "node:test";
import { registerAccountingStoreTests } from "../accounting-stores.suite.ts";
import { registerReviewStoreTests } from "../review-store.suite.ts";
import { openPostgresAccountingStorage } from "./open.ts";
import { dropSchema, postgresUnavailable, testPool, testPostgresUrl, uniqueSchema } from "./test-server.ts";

const unavailable = await postgresUnavailable();
const schemas: string[] = [];

after(async () => {
  for (const schema of schemas) {
    const pool = testPool(schema);
    await dropSchema(pool, schema);
    await pool.end();
  }
});

describe("PostgreSQL key and usage stores", { skip: unavailable }, () => {
  registerAccountingStoreTests("PostgreSQL", async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const storage = await openPostgresAccountingStorage({ connectionString: testPostgresUrl, schema });
    return { keys: storage.keys, usage: storage.usage, close: () => storage.close() };
  });
});

describe("PostgreSQL review store", { skip: unavailable }, () => {
  registerReviewStoreTests("PostgreSQL", async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const storage = await openPostgresAccountingStorage({ connectionString: testPostgresUrl, schema });
    return { reviews: storage.reviews, close: () => storage.close() };
  });
});
