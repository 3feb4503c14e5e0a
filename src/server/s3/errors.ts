/**
 * The S3 endpoint's one error handler: every failure leaves as S3's XML error document
 * (`<Error><Code/><Message/><Resource/><RequestId/></Error>`) with the registry's HTTP status. Codes from the store
 * are S3's already; SigV4's EventBridge-named codes and Fastify's own errors are mapped onto S3's names here.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReflowError, isReflowError } from '../../errors.js';
import { xmlDocument } from './xml.js';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

/** S3's name for an error from SigV4 verification (which speaks EventBridge's names). */
export function fromSigV4Error(err: ReflowError, presigned: boolean): ReflowError {
  switch (err.code) {
    case 'MissingAuthenticationTokenException':
      return new ReflowError('AccessDenied', 'Access Denied', { cause: err });
    case 'UnrecognizedClientException':
      return new ReflowError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { cause: err });
    case 'InvalidSignatureException': {
      const m = err.message;
      if (m.startsWith('The request signature we calculated')) return new ReflowError('SignatureDoesNotMatch', SIGNATURE_MISMATCH, { cause: err });
      if (m.startsWith('Signature expired') && presigned) return new ReflowError('AccessDenied', 'Request has expired', { cause: err });
      if (m.startsWith('Signature expired') || m.startsWith('Signature not yet current')) {
        return new ReflowError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
          cause: err,
        });
      }
      if (m.includes("'x-amz-content-sha256'")) return new ReflowError('XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.', { cause: err });
      return new ReflowError('AuthorizationHeaderMalformed', m, { cause: err });
    }
    default:
      return err;
  }
}

/** Anything thrown, as the ReflowError the client sees, with an S3 code. */
export function toS3Error(err: unknown): ReflowError {
  if (isReflowError(err)) {
    switch (err.code) {
      case 'MissingAuthenticationTokenException':
      case 'UnrecognizedClientException':
      case 'InvalidSignatureException':
        return fromSigV4Error(err, false);
      case 'InternalException':
        return new ReflowError('InternalError', 'We encountered an internal error. Please try again.', { cause: err });
      case 'ValidationException':
      case 'BadRequest':
      case 'InvalidConfiguration':
        return new ReflowError('InvalidArgument', err.message, { cause: err, httpStatus: 400 });
      case 'NotFound':
        return new ReflowError('InvalidRequest', err.message, { cause: err, httpStatus: 404 });
      default:
        return err;
    }
  }
  const fastifyError = err as Partial<FastifyError> & { code?: string };
  if (fastifyError?.code === 'ECONNRESET' || (err as Error)?.message === 'aborted') {
    return new ReflowError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', { cause: err });
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ReflowError('InvalidRequest', fastifyError.message ?? 'Bad request', { httpStatus: fastifyError.statusCode, cause: err });
  }
  return new ReflowError('InternalError', 'We encountered an internal error. Please try again.', { cause: err });
}

/** The path a request names (S3's `<Resource>`), without the query. */
function resource(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function sendS3Error(request: FastifyRequest, reply: FastifyReply, err: ReflowError): FastifyReply {
  const details = err.details ?? {};
  if (details.deleteMarker === true) reply.header('x-amz-delete-marker', 'true');
  if (typeof details.versionId === 'string' && details.versionId !== '') reply.header('x-amz-version-id', details.versionId);
  if (err.code === 'NotModified') return reply.code(304).send();
  const body = xmlDocument(
    'Error',
    [
      ['Code', err.code],
      ['Message', err.message],
      details.key !== undefined && ['Key', String(details.key)],
      details.bucket !== undefined && ['BucketName', String(details.bucket)],
      ['Resource', resource(request)],
      ['RequestId', request.id],
    ],
    false,
  );
  reply.code(err.httpStatus).header('content-type', 'application/xml');
  // A HEAD answer has no body: clients read the status (and S3's x-amz-* headers) only.
  if (request.method === 'HEAD') return reply.send();
  return reply.send(body);
}

export function installS3ErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const wire = toS3Error(err);
    if (wire.httpStatus >= 500) request.log.error({ err }, 'S3 request failed');
    // The request body may be unread (an error before the handler consumed it): let the connection close rather
    // than read an unknown amount of data a client may not send.
    if (!request.raw.complete) reply.header('connection', 'close');
    return sendS3Error(request, reply, wire);
  });
  app.setNotFoundHandler((request, reply) =>
    sendS3Error(request, reply, new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.')),
  );
}
