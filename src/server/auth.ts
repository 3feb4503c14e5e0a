/**
 * SigV4 on every request when the server has credentials (health checks excepted: a load balancer cannot sign).
 * The payload hash is the SHA-256 of the raw body as received, so a signature covers exactly the bytes the
 * operation decodes. Without credentials the server takes signed and unsigned requests alike.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifySigV4, type SigV4Identity } from '../security/sigv4.js';
import { DASHBOARD_PATHS } from './routes/dashboard.js';

export type CredentialLookup = (accessKeyId: string) => string | undefined;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who signed the request, when SigV4 verification is on. */
    principal?: SigV4Identity;
  }
}

// The dashboard's static files too: a browser cannot sign; the API calls the page makes are checked as usual.
const UNAUTHENTICATED = new Set(['/health', ...DASHBOARD_PATHS]);

export function payloadHash(body: unknown): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  return createHash('sha256').update(bytes).digest('hex');
}

function splitUrl(request: FastifyRequest): { path: string; query: string } {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

export function installSigV4(app: FastifyInstance, credentials: CredentialLookup): void {
  app.decorateRequest('principal', undefined);
  app.addHook('preHandler', async (request) => {
    const { path, query } = splitUrl(request);
    if (request.method === 'GET' && UNAUTHENTICATED.has(path)) return;
    request.principal = verifySigV4(
      { method: request.method, path, query, headers: request.headers, payloadHash: payloadHash(request.body) },
      credentials,
      { service: 'events' },
    );
  });
}
