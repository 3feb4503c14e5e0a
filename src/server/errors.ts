/**
 * The one error handler: every failure leaves the server as `{"__type": code, "message": text}` with the HTTP status
 * of ReflowError.httpStatus and the `x-amzn-ErrorType` header, which is what the AWS SDK reads back into
 * `err.name` / `err.message`. Reflow's own routes add `field` when the error names one.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReflowError, isReflowError } from '../errors.js';

export const AWS_JSON = 'application/x-amz-json-1.1';

const PATTERN_PREFIX = 'Event pattern is not valid.';

/** Turns anything thrown into the ReflowError the client sees (EventBridge's names where the pattern module uses Reflow's). */
export function toWireError(err: unknown): ReflowError {
  if (isReflowError(err)) {
    if (err.code === 'InvalidEventPattern') {
      // The pattern module's code is Reflow's; EventBridge answers InvalidEventPatternException with this prefix.
      const message = err.message.startsWith(PATTERN_PREFIX) ? err.message : `${PATTERN_PREFIX} Reason: ${err.message}`;
      return new ReflowError('InvalidEventPatternException', message, { field: err.field ?? 'EventPattern', cause: err });
    }
    return err;
  }
  const fastifyError = err as Partial<FastifyError> | undefined;
  if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ReflowError('ValidationException', 'Request body is over the size limit.', { httpStatus: 413, cause: err });
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ReflowError('BadRequest', fastifyError.message ?? 'Bad request', { httpStatus: fastifyError.statusCode, cause: err });
  }
  return new ReflowError('InternalException', 'Internal error', { cause: err });
}

export function sendError(reply: FastifyReply, err: ReflowError, options: { withField?: boolean } = {}): FastifyReply {
  const body: Record<string, unknown> = { __type: err.code, message: err.message };
  if (options.withField && err.field !== undefined) body.field = err.field;
  return reply.code(err.httpStatus).header('x-amzn-ErrorType', err.code).header('content-type', AWS_JSON).send(Buffer.from(JSON.stringify(body)));
}

/** Routes outside the EventBridge protocol mark themselves with this config flag to get `field` in error bodies. */
export interface ReflowRouteConfig {
  reflowErrors?: boolean;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const wire = toWireError(err);
    if (wire.httpStatus >= 500) request.log.error({ err }, 'request failed');
    const config = request.routeOptions?.config as ReflowRouteConfig | undefined;
    return sendError(reply, wire, { withField: config?.reflowErrors === true });
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ReflowError('NotFound', `No route ${request.method} ${request.url.split('?')[0]}`), { withField: false }),
  );
}
