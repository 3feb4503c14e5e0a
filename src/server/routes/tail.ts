/**
 * `GET /reflow/v1/tail?bus=NAME&pattern=JSON&after=N` follows a bus's log as newline-delimited JSON
 * (`{"Position":…,"Event":{…}}` per line) until the client goes away, which closes the bus subscription. A
 * subscription that ends with an error says so in a last line `{"Error":{"__type":…,"message":…}}`.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { ResourceOptions } from '../json-protocol.js';
import type { Subscription } from '../../bus/port.js';
import type * as T from '../../bus/types.js';
import { ReflowError } from '../../errors.js';
import { checkPattern } from '../../events/pattern/index.js';
import { toWire } from '../wire/output.js';
import { toWireError, type ReflowRouteConfig } from '../errors.js';

interface TailQuery {
  bus?: string;
  pattern?: string;
  after?: string;
}

const config: ReflowRouteConfig = { reflowErrors: true };

/** Resolves when the response can take more, or is gone. */
function writable(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return Promise.race([once(res, 'drain'), once(res, 'close')]).then(() => undefined);
}

export function tailOptions(query: TailQuery): T.TailOptions {
  const options: T.TailOptions = {};
  if (query.bus !== undefined && query.bus !== '') options.EventBusName = query.bus;
  if (query.pattern !== undefined && query.pattern !== '') {
    const problem = checkPattern(query.pattern);
    if (problem) throw problem;
    options.EventPattern = query.pattern;
  }
  if (query.after !== undefined && query.after !== '') {
    if (!/^\d+$/.test(query.after)) {
      throw new ReflowError('ValidationException', `Parameter after is not valid: '${query.after}' is not a log position.`, { field: 'after' });
    }
    options.After = Number(query.after);
  }
  return options;
}

export const tail: FastifyPluginAsync<ResourceOptions> = async (app, { bus }) => {
  const open = new Set<Subscription<T.TailedEvent>>();
  // Streams never finish on their own; closing the server ends them.
  app.addHook('preClose', async () => {
    await Promise.all([...open].map((sub) => sub.close()));
  });

  app.get<{ Querystring: TailQuery }>('/tail', { config }, async (request, reply) => {
    const options = tailOptions(request.query);
    const subscription = bus.tail(options);
    open.add(subscription);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-cache',
    });
    res.flushHeaders();
    res.on('close', () => void subscription.close());
    try {
      for await (const item of subscription) {
        if (res.destroyed) break;
        if (!res.write(`${JSON.stringify(toWire(item))}\n`)) await writable(res);
      }
      const end = await subscription.closed;
      if (end instanceof Error && !res.destroyed) {
        const wire = toWireError(end);
        res.write(`${JSON.stringify({ Error: { __type: wire.code, message: wire.message } })}\n`);
      }
    } catch (err) {
      const wire = toWireError(err);
      if (!res.destroyed) res.write(`${JSON.stringify({ Error: { __type: wire.code, message: wire.message } })}\n`);
    } finally {
      open.delete(subscription);
      await subscription.close();
      if (!res.destroyed) res.end();
    }
  });
};
