/**
 * CloudEvents 1.0 ingest over HTTP (structured, batch and binary modes): `POST /cloudevents` puts on the default bus,
 * `POST /cloudevents/:bus` on that bus. The mapping onto PutEvents entries is the events module's; this route
 * answers 202 with the per-entry results, or 400 with the entry's code (and field) when a single event fails.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type * as T from '../../bus/types.js';
import { fromCloudEventsHttp } from '../../events/cloudevents.js';
import { AWS_JSON, type ReflowRouteConfig } from '../errors.js';

/** EventBridge takes at most 10 entries per PutEvents; a bigger CloudEvents batch is put in slices. */
const SLICE = 10;

const config: ReflowRouteConfig = { reflowErrors: true };

/** The request member a per-entry failure is about ("Parameter Source is not valid…", MalformedDetail). */
function fieldOf(entry: T.PutEventsResultEntry): string | undefined {
  if (entry.ErrorCode === 'MalformedDetail') return 'Detail';
  return /Parameter (\w+) is not valid/.exec(entry.ErrorMessage ?? '')?.[1];
}

export const cloudEvents: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  async function ingest(request: FastifyRequest, reply: FastifyReply, busName: string | undefined) {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const entries = fromCloudEventsHttp(request.headers, body);
    if (busName !== undefined) for (const entry of entries) entry.EventBusName = busName;
    const result: T.PutEventsResponse = { FailedEntryCount: 0, Entries: [] };
    for (let i = 0; i < entries.length; i += SLICE) {
      const part = await bus.putEvents({ Entries: entries.slice(i, i + SLICE) });
      result.FailedEntryCount += part.FailedEntryCount;
      result.Entries.push(...part.Entries);
    }
    const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
    const batch = contentType.startsWith('application/cloudevents-batch+json');
    const failed = result.Entries[0];
    if (!batch && entries.length === 1 && failed?.ErrorCode) {
      const error: Record<string, unknown> = { __type: failed.ErrorCode, message: failed.ErrorMessage ?? failed.ErrorCode };
      const field = fieldOf(failed);
      if (field) error.field = field;
      return reply.code(400).header('x-amzn-ErrorType', failed.ErrorCode).header('content-type', AWS_JSON).send(JSON.stringify(error));
    }
    return reply.code(202).header('content-type', 'application/json').send(JSON.stringify(result));
  }

  app.post('/', { config }, (request, reply) => ingest(request, reply, undefined));
  app.post<{ Params: { bus: string } }>('/:bus', { config }, (request, reply) => ingest(request, reply, request.params.bus));
};
