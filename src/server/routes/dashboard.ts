/**
 * The dashboard's static page: `GET /dashboard` redirects to `/dashboard/`, which serves `web/dashboard/index.html`;
 * its two assets sit beside it. Only these three names are ever read, so no request path reaches the file system
 * (no traversal to guard against). Files are read per request: they are small, and an edited page shows on reload.
 * They are served without SigV4 (see auth.ts): a browser cannot sign; the page's API calls still are checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ReflowError } from '../../errors.js';

/** The files of the page and their content types; nothing else is served. */
export const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/** The request paths of the page, for the unauthenticated set in auth.ts. */
export const DASHBOARD_PATHS: readonly string[] = ['/dashboard', '/dashboard/', ...Object.keys(DASHBOARD_FILES).map((f) => `/dashboard/${f}`)];

// The page draws with inline SVG and talks only to this server: nothing from elsewhere may load or be sent to.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `web/dashboard` of the package that holds this file (compiled to dist/src/server/routes/, run from src/ by tsx). */
export function dashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reflow') return join(dir, 'web', 'dashboard');
    dir = dirname(dir);
  }
  throw new ReflowError('InternalException', `cannot find the reflow package above ${dirname(fileURLToPath(import.meta.url))} (the dashboard lives in its web/dashboard)`);
}

export const dashboard: FastifyPluginAsync = async (app) => {
  const root = dashboardDir();

  async function send(reply: FastifyReply, name: string) {
    const type = DASHBOARD_FILES[name];
    if (type === undefined) throw new ReflowError('NotFound', `The dashboard has no file ${JSON.stringify(name)} (it has ${Object.keys(DASHBOARD_FILES).join(', ')}).`, { field: 'file' });
    let body: Buffer;
    try {
      body = await readFile(join(root, name));
    } catch (err) {
      throw new ReflowError('InternalException', `The dashboard's ${name} cannot be read from ${root}: ${(err as Error).message}`, { cause: err });
    }
    return reply
      .header('content-type', type)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .send(body);
  }

  app.get('/dashboard', async (request, reply) => {
    const url = request.raw.url ?? '/dashboard';
    const q = url.indexOf('?');
    return reply.redirect(`/dashboard/${q < 0 ? '' : url.slice(q)}`, 302);
  });
  app.get('/dashboard/', async (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/dashboard/:file', { config: { reflowErrors: true } }, async (request, reply) => send(reply, request.params.file));
};
