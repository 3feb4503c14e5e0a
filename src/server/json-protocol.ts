/**
 * EventBridge's JSON protocol: `POST /` with `X-Amz-Target: AWSEvents.<Operation>` (and Reflow's `Reflow.<Operation>`)
 * and a JSON body. This plugin owns the route and the wire steps every operation shares (target lookup, body
 * parsing, decoding against the model, answering in the model's output shape); the resource plugins under routes/
 * only register their operations with `app.awsOperation(target, handler)`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ReflowError } from '../errors.js';
import type { EventBus } from '../bus/port.js';
import { INPUT_SHAPES } from './wire/shapes.js';
import { decodeRequest } from './wire/validate.js';
import { OUTPUT_PROJECTIONS, project } from './wire/output.js';
import { AWS_JSON } from './errors.js';

// Handlers receive the decoded request; each resource plugin types it as the bus method's request type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationHandler = (input: any, request: FastifyRequest) => unknown;

declare module 'fastify' {
  interface FastifyInstance {
    /** Registers one JSON-protocol operation (only inside the JSON protocol plugin's context). */
    awsOperation(target: string, handler: OperationHandler): void;
  }
}

export interface ResourceOptions {
  bus: EventBus;
}

export interface JsonProtocolOptions extends ResourceOptions {
  /** One plugin per resource (events, buses, rules, …), registered inside this protocol's context. */
  resources: Array<FastifyPluginAsync<ResourceOptions>>;
}

const ACCEPTED_CONTENT_TYPES = new Set(['application/x-amz-json-1.1', 'application/x-amz-json-1.0', 'application/json']);

function parseBody(raw: unknown): unknown {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  // The SDK sends `{}` for empty inputs; an empty body means the same.
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReflowError('SerializationException', `The request body is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export const jsonProtocol: FastifyPluginAsync<JsonProtocolOptions> = async (app: FastifyInstance, options) => {
  const operations = new Map<string, OperationHandler>();
  app.decorate('awsOperation', (target: string, handler: OperationHandler) => {
    if (!INPUT_SHAPES[target]) throw new Error(`no input shape for operation ${target}`);
    operations.set(target, handler);
  });
  for (const resource of options.resources) await app.register(resource, { bus: options.bus });

  app.post('/', async (request, reply) => {
    const target = request.headers['x-amz-target'];
    if (typeof target !== 'string' || target === '') {
      throw new ReflowError('UnknownOperationException', 'Missing X-Amz-Target header (expected AWSEvents.<Operation>).', { field: 'X-Amz-Target' });
    }
    const handler = operations.get(target);
    if (!handler) {
      throw new ReflowError('UnknownOperationException', `Operation ${target} is not supported.`, { field: 'X-Amz-Target' });
    }
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== '' && !ACCEPTED_CONTENT_TYPES.has(contentType)) {
      throw new ReflowError('SerializationException', `Unsupported Content-Type '${contentType}'; use ${AWS_JSON}.`, { field: 'Content-Type' });
    }
    const input = decodeRequest(INPUT_SHAPES[target]!, parseBody(request.body));
    const output = await handler(input, request);
    // A Buffer, so Fastify adds no charset: the content type is exactly AWS's.
    return reply.header('content-type', AWS_JSON).send(Buffer.from(JSON.stringify(project(output, OUTPUT_PROJECTIONS[target]))));
  });
};
