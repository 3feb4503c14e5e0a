/**
 * The HTTP API: EventBridge's JSON protocol (so the AWS SDKs and CLIs work unchanged), CloudEvents ingest, the log
 * tail and the service description, over one EventBus. Request ids, the raw body, SigV4 and the error shape are
 * decided here once; each resource is its own plugin under routes/.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EventBus } from '../bus/port.js';
import { installErrorHandler } from './errors.js';
import { installSigV4, type CredentialLookup } from './auth.js';
import { jsonProtocol } from './json-protocol.js';
import { events } from './routes/events.js';
import { buses } from './routes/buses.js';
import { rules } from './routes/rules.js';
import { targets } from './routes/targets.js';
import { archives } from './routes/archives.js';
import { replays } from './routes/replays.js';
import { deadLetters } from './routes/dead-letters.js';
import { cloudEvents } from './routes/cloudevents.js';
import { tail } from './routes/tail.js';
import { service } from './routes/service.js';
import { pipelineRoutes } from './routes/pipeline.js';
import { dashboard } from './routes/dashboard.js';
import type { PipelineApi } from '../pipeline/api.js';

export interface ServerOptions {
  bus: EventBus;
  /** Secret for an access key id; when given, every request must carry a valid SigV4 signature. */
  credentials?: CredentialLookup;
  logger?: boolean;
  /** Largest request body in bytes (default 6 MiB: PutEvents stops at 256 KiB, CloudEvents batches may be bigger). */
  bodyLimit?: number;
  /** The data pipeline's resources under /reflow/v1 (datasets, lineage, plan/apply), when a project runs. */
  pipeline?: PipelineApi;
}

export type { CredentialLookup };

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: options.bodyLimit ?? 6 * 1024 * 1024,
    // Tails are long-lived; closing the server must not wait for their clients.
    forceCloseConnections: true,
  });

  // Every body arrives raw: SigV4 hashes the exact bytes, and each protocol parses (and reports errors) itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amzn-RequestId', request.id);
  });
  installErrorHandler(app);
  if (options.credentials) installSigV4(app, options.credentials);

  const { bus } = options;
  await app.register(service);
  await app.register(dashboard);
  await app.register(jsonProtocol, { bus, resources: [events, buses, rules, targets, archives, replays, deadLetters] });
  await app.register(cloudEvents, { bus, prefix: '/cloudevents' });
  await app.register(tail, { bus, prefix: '/reflow/v1' });
  if (options.pipeline) await app.register(pipelineRoutes, { pipeline: options.pipeline, prefix: '/reflow/v1' });
  return app;
}
