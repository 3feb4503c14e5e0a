/**
 * S3 services for the S3 adapter's tests, each started by the test that needs it and stopped by PID: moto (Python,
 * in the machine image; no SigV4 check) and Ceph RadosGW (Debian packages; a production S3 server that checks
 * signatures), see ../shared/S3.md. A service that cannot start fails the run under CI=true and skips it loudly
 * elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/conformance.js';

export interface S3Service {
  name: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Wipes all state (moto only). */
  reset?(): Promise<void>;
  stop(): Promise<void>;
}

/** Under CI=true a service that cannot start is a failure; elsewhere the suite is skipped with the reason. */
export function unavailable(what: string, reason: string): string {
  const message = `${what} cannot start here: ${reason}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: .ci/run must provide it)`);
  console.warn(`SKIPPING: ${message}`);
  return message;
}

/** `python3 -m moto.server` on a free port; the port is read from its start-up line. */
export async function startMoto(): Promise<S3Service> {
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`moto printed no port within 30 s: ${output.slice(-500)}`)), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`moto exited with ${code}: ${output.slice(-500)}`)));
  });
  // Keep draining its log so a chatty server never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  child.removeAllListeners('exit');
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name: 'moto',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset answered ${r.status}`);
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Why RGW cannot run here, or undefined when it can. */
export function rgwMissing(): string | undefined {
  const script = rgwScript();
  if (!existsSync(script)) return `${script} is missing (set REFLOW_RGW_UP)`;
  for (const bin of ['radosgw', 'ceph-mon', 'ceph-osd', 'monmaptool', 'radosgw-admin', 'uuidgen', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
      return `${bin} is not installed (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl)`;
    }
  }
  return undefined;
}

function rgwScript(): string {
  return process.env.REFLOW_RGW_UP ?? join(repoRoot(), '..', 'shared', 's3', 'rgw-up.sh');
}

/**
 * One throw-away Ceph RGW (monitor, in-memory OSD, radosgw) for a whole test run: its monitor takes port 3300, so
 * only one runs at a time on a machine, and it frees deleted data only after hours, so every run starts a fresh one.
 */
export async function startRgw(): Promise<S3Service> {
  const dir = mkdtempSync(join(tmpdir(), 'reflow-rgw-'));
  const port = await freePort();
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('bash', [rgwScript(), join(dir, 'rgw')], { env: { ...process.env, RGW_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  const pidsFile = join(dir, 'rgw', 'pids');
  const pids = existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8').trim().split(/\s+/).map(Number).filter((n) => n > 0) : [];
  const stop = async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // The monitor holds port 3300 until it has exited; wait so the next run can start one.
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  if (result.code !== 0 || pids.length !== 3) {
    await stop();
    throw new Error(`rgw-up.sh failed (exit ${result.code}): ${result.output.slice(-1500)}`);
  }
  return { name: 'ceph-rgw', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'testkey', secretAccessKey: 'testsecret' }, stop };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
