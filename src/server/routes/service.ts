/** `GET /` describes the service (the dashboard will live there); `GET /health` answers while the process serves. */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { INPUT_SHAPES } from '../wire/shapes.js';

function packageVersion(): string {
  // Compiled to dist/src/server/routes/; walk up to the package that owns this file.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'reflow') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const service: FastifyPluginAsync = async (app) => {
  const description = {
    name: 'reflow',
    version: packageVersion(),
    description: 'Reflow event bus: an EventBridge-compatible API over the embedded bus.',
    endpoints: {
      eventbridge: 'POST / with X-Amz-Target: AWSEvents.<Operation> (application/x-amz-json-1.1)',
      reflow: 'POST / with X-Amz-Target: Reflow.<Operation>',
      cloudevents: 'POST /cloudevents, POST /cloudevents/:bus (CloudEvents 1.0 HTTP: structured, batch, binary)',
      tail: 'GET /reflow/v1/tail?bus=NAME&pattern=JSON&after=N (newline-delimited JSON)',
      health: 'GET /health',
    },
    operations: Object.keys(INPUT_SHAPES),
  };
  app.get('/', async () => description);
  app.get('/health', async () => ({ status: 'ok' }));
};
