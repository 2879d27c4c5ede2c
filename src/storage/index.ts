export type {
  RequestEndpoint,
  RequestLogEntry,
  RequestLogInput,
  RequestLogQuery,
  RequestLogStats,
  RequestLogStore,
  ReviewDecideResult,
  ReviewDecision,
  ReviewInput,
  ReviewItem,
  ReviewKind,
  ReviewQuery,
  ReviewStatus,
  ReviewStore,
  Storage,
} from "./types.ts";
export { StorageError, type StorageErrorCode, type StorageErrorOptions } from "./errors.ts";
export { createTimeOrderedId } from "./ids.ts";
export { BatchQueue, type BatchQueueOptions, type BatchQueueStats, type BatchWriteResult } from "./batch-queue.ts";
export { openSqliteStorage, type SqliteStorageOptions } from "./sqlite/open.ts";
export type { SqliteRequestLogOptions } from "./sqlite/request-log.ts";
export { createSqliteReviewStore } from "./sqlite/reviews.ts";
