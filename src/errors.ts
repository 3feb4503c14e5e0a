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
  // Reflow's own.
  InvalidEventPattern: 400, // thrown by testEventPattern(); the API maps it onto InvalidEventPatternException
  InvalidArgument: 400,
  InvalidConfiguration: 400,
  NotFound: 404,
  BadRequest: 400,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ReflowErrorOptions {
  /** The request field the error is about (`Entries[3].Detail`, `EventPattern`), when there is one. */
  field?: string;
  cause?: unknown;
  /** Overrides the registry status (EventBridge answers some codes with another status). */
  httpStatus?: number;
}

export class ReflowError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: ReflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.field = options.field;
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
