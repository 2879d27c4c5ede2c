export type {
  ReviewDecideResult,
  ReviewDecision,
  ReviewInput,
  ReviewItem,
  ReviewKind,
  ReviewQuery,
  ReviewStatus,
  ReviewStore,
} from "./types.ts";
export { reviewKinds, reviewStatuses } from "./types.ts";
export {
  createReviewService,
  defaultApprovalGraceMs,
  defaultReviewTtlMs,
  type ReviewOutcome,
  type ReviewService,
  type ReviewServiceOptions,
  type ReviewSubmission,
  type ReviewWaitOptions,
} from "./service.ts";
