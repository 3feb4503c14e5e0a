import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startReflow, TEST_CREDENTIALS, type TestReflow } from '../../../test/helpers/reflow.js';
import { repoRoot } from '../../../test/helpers/conformance.js';
import { DASHBOARD_FILES, dashboardDir } from './dashboard.js';

const WEB = join(repoRoot(), 'web', 'dashboard');
const PACKAGE_JSON = readFileSync(join(repoRoot(), 'package.json'), 'utf8');

function servesFile(res: { statusCode: number; headers: Record<string, unknown>; body: string }, name: string, type: string) {
  assert.equal(res.statusCode, 200, `${name}: ${res.body.slice(0, 200)}`);
  assert.equal(res.headers['content-type'], type, name);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(res.body, readFileSync(join(WEB, name), 'utf8'), `${name}: the file's bytes`);
}

for (const auth of [false, true]) {
  describe(`dashboard assets, SigV4 ${auth ? 'on' : 'off'}`, () => {
    let reflow: TestReflow;
    before(async () => {
      reflow = await startReflow({ listen: false, ...(auth ? { auth: TEST_CREDENTIALS } : {}) });
    });
    after(async () => {
      await reflow.close();
    });

    it('finds web/dashboard from its compiled location', () => {
      assert.equal(dashboardDir(), WEB);
    });

    it('redirects /dashboard to /dashboard/, keeping the query', async () => {
      const res = await reflow.app.inject({ method: 'GET', url: '/dashboard' });
      assert.equal(res.statusCode, 302);
      assert.equal(res.headers.location, '/dashboard/');
      const withQuery = await reflow.app.inject({ method: 'GET', url: '/dashboard?bus=lab' });
      assert.equal(withQuery.headers.location, '/dashboard/?bus=lab');
    });

    it('serves the page and its two assets with their content types, unsigned', async () => {
      servesFile(await reflow.app.inject({ method: 'GET', url: '/dashboard/' }), 'index.html', 'text/html; charset=utf-8');
      for (const [name, type] of Object.entries(DASHBOARD_FILES)) {
        servesFile(await reflow.app.inject({ method: 'GET', url: `/dashboard/${name}` }), name, type);
      }
    });

    it('the page refers only to its own assets (no CDN, nothing from elsewhere)', () => {
      const html = readFileSync(join(WEB, 'index.html'), 'utf8');
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(refs.sort(), ['dashboard.css', 'dashboard.js', 'data:,']);
      for (const name of Object.keys(DASHBOARD_FILES)) assert.doesNotMatch(readFileSync(join(WEB, name), 'utf8'), /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, name);
    });

    it('answers 404 NotFound for any other file, and never reads outside web/dashboard', async () => {
      for (const url of [
        '/dashboard/other.js',
        '/dashboard/INDEX.HTML',
        '/dashboard/..%2F..%2Fpackage.json',
        '/dashboard/%2e%2e%2fpackage.json',
        '/dashboard/...',
        '/dashboard/%2Fetc%2Fpasswd',
        '/dashboard/index.html%00.js',
        '/dashboard/dashboard.js/',
        '/dashboard/web/dashboard/index.html',
      ]) {
        const res = await reflow.app.inject({ method: 'GET', url });
        // Unsigned requests for paths outside the page's three files meet SigV4 first when it is on.
        assert.equal(res.statusCode, auth ? 403 : 404, `${url}: ${res.body}`);
        if (!auth) assert.equal((res.json() as { __type: string }).__type, 'NotFound', url);
        assert.ok(!res.body.includes(PACKAGE_JSON.slice(0, 40)) && !res.body.includes('root:'), `${url} leaked a file`);
      }
      const unknown = await reflow.app.inject({ method: 'GET', url: '/dashboard/other.js' });
      if (!auth) assert.match((unknown.json() as { message: string }).message, /no file "other.js"/);
    });

    it('serves only GET (and HEAD): a POST to the page is not a route', async () => {
      const res = await reflow.app.inject({ method: 'POST', url: '/dashboard/', payload: 'x' });
      assert.equal(res.statusCode, auth ? 403 : 404);
      const head = await reflow.app.inject({ method: 'HEAD', url: '/dashboard/' });
      // HEAD is not in the unauthenticated set: a browser only ever GETs the page.
      assert.equal(head.statusCode, auth ? 403 : 200);
    });

    if (auth) {
      it('still refuses the API the page calls without a signature', async () => {
        const res = await reflow.app.inject({ method: 'GET', url: '/reflow/v1/tail' });
        assert.equal(res.statusCode, 403);
        assert.equal((res.json() as { __type: string }).__type, 'MissingAuthenticationTokenException');
      });
    }
  });
}

/** A path exactly as sent: inject() and fetch() resolve dot segments before the server sees them, a raw request does not. */
function rawGet(endpoint: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard over a real socket', () => {
  let reflow: TestReflow;
  before(async () => {
    reflow = await startReflow();
  });
  after(async () => {
    await reflow.close();
  });

  it('refuses dot segments sent as is', async () => {
    for (const path of ['/dashboard/..', '/dashboard/../package.json', '/dashboard/../../package.json', '/dashboard/./index.html', '/dashboard/%2e%2e', '/dashboard/%2e%2e/package.json', '/dashboard/..%5Cpackage.json']) {
      const res = await rawGet(reflow.endpoint, path);
      assert.equal(res.status, 404, `${path}: ${res.body}`);
      assert.ok(!res.body.includes(PACKAGE_JSON.slice(0, 40)), `${path} leaked package.json`);
    }
    const page = await rawGet(reflow.endpoint, '/dashboard/');
    assert.equal(page.status, 200);
  });
});
