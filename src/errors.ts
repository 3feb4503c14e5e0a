/**
 * One registry of error codes (Fastify's lib/errors.js is the model). Every code Reflow can answer with is declared
 * here once, with its HTTP status; docs/errors.md has an anchor per code and a test keeps the two in step.
 * Codes reuse the anchor system's names (EventBridge, S3) so a user recognises them.
 */
export const ERROR_CODES = {
  // EventBridge API errors (names as the AWS SDK exposes them in `err.name`).
  ValidationException: 400,
  InvalidEventPatternException: 400,
  ResourceNotFoundException: 400,
  ResourceAlreadyExistsException: 400,
  LimitExceededException: 400,
  IllegalStatusException: 400,
  ConcurrentModificationException: 400,
  InternalException: 500,
  UnknownOperationException: 400,
  SerializationException: 400,
  // Authentication (SigV4).
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  // S3 API errors (the store and its S3 endpoint), with S3's statuses.
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchVersion: 404,
  NoSuchUpload: 404,
  BucketAlreadyOwnedByYou: 409,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  InvalidBucketName: 400,
  KeyTooLongError: 400,
  InvalidObjectName: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  EntityTooSmall: 400,
  EntityTooLarge: 400,
  BadDigest: 400,
  InvalidDigest: 400,
  XAmzContentSHA256Mismatch: 400,
  IncompleteBody: 400,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  NotModified: 304,
  InvalidRange: 416,
  MethodNotAllowed: 405,
  MalformedXML: 400,
  InvalidRequest: 400,
  NotImplemented: 501,
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  AuthorizationHeaderMalformed: 400,
  InternalError: 500,
  ServiceUnavailable: 503, // the S3 adapter could not reach its remote object store
  // Reflow's own.
  InvalidEventPattern: 400, // thrown by testEventPattern(); the API maps it onto InvalidEventPatternException
  InvalidArgument: 400,
  InvalidConfiguration: 400,
  NotFound: 404,
  BadRequest: 400,
  // Jobs and transforms (src/runtime): the error a failed attempt records in its log and in the dead letters.
  TransformFailed: 500,
  TransformTimedOut: 504,
  TransformWroteNothing: 500,
  WorkerDied: 500,
  JobCancelled: 409,
  JobNotFound: 404,
  InvalidJobState: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ReflowErrorOptions {
  /** The request field the error is about (`Entries[3].Detail`, `EventPattern`), when there is one. */
  field?: string;
  cause?: unknown;
  /** Overrides the registry status (EventBridge answers some codes with another status). */
  httpStatus?: number;
  /**
   * Facts a wire layer needs beyond the code (S3 answers a GET of a delete marker with NoSuchKey plus
   * `x-amz-delete-marker` and `x-amz-version-id` headers): e.g. `{ deleteMarker: true, versionId }`.
   */
  details?: Record<string, unknown>;
}

export class ReflowError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ReflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.field = options.field;
    this.details = options.details;
    this.httpStatus = options.httpStatus ?? ERROR_CODES[code];
  }
}

export function isReflowError(err: unknown): err is ReflowError {
  return err instanceof ReflowError;
}

/** Wrap, don't swallow: a driver error becomes a ReflowError with the original kept as `cause`. */
export function wrapError(err: unknown, code: ErrorCode = 'InternalException', message?: string): ReflowError {
  if (err instanceof ReflowError) return err;
  const text = message ?? (err instanceof Error ? err.message : String(err));
  return new ReflowError(code, text, { cause: err });
}
