/**
 * The store area: Reflow's S3 endpoint over the local adapter, composed exactly as `reflow up` composes it
 * (createReflow: SqliteEventBus + FsObjectStore with fsync on, buildS3Server with SigV4 on), in a child process so
 * its memory can be read from /proc and the client does not share its event loop.
 *
 * (a) Many small uploads: 10,000 PUTs of 3 KB (distinct bytes, so content addressing dedups nothing) from 16
 *     concurrent keep-alive connections, each request signed beforehand by the AWS SDK the way it signs them
 *     (header SigV4, hex x-amz-content-sha256, CRC32 checksum header), so the timed part is the server's.
 *     Peer: a bare node:http server, same client and same requests, that writes each body to its own file and
 *     fsyncs it before answering — one HTTP PUT plus one durable write, the least any durable store must do per
 *     object on this box. It checks no signature and keeps no metadata, which Reflow must.
 * (b) One big object: a single streamed PUT (presigned, so the client does no hashing) and a GET to a file,
 *     against `cp` of the same file on the same disk. Reflow acknowledges an upload only after fsync, so the upload
 *     is also set against cp followed by an fsync of the copy; the download (which, like cp, does not fsync) is set
 *     against plain cp. The server's RSS is sampled every 50 ms from /proc/<pid>/status. A second GET whose bytes the
 *     client throws away (a diagnostic, not a peer) shows how much of the download is the client's writing.
 *
 * Rounds alternate ours and the peer, each on a fresh server and data directory; medians and spread are reported.
 * Sizes: BENCH_STORE_OBJECTS (10000), BENCH_STORE_OBJECT_KB (3), BENCH_STORE_CONCURRENCY (16), BENCH_STORE_BIG_MB
 * (2048), BENCH_ROUNDS (3); BENCH_STORE_ONLY=small|big runs one half; BENCH_STORE_MODES=reflow,peer,endpoint picks
 * the servers of (a) (all three by default; a partial run writes no result file); BENCH_STORE_SERVER_ARGS passes node
 * flags to the server (e.g. `--cpu-prof`). The client's own CPU per object is reported too: client and server share
 * this box's two cores, so it says how much of the box the load generator takes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The SDK is loaded only by the client side (the server runs this same file): it would add ~30 MB to the RSS measured.
import type { S3Client } from '@aws-sdk/client-s3';
const loadSdk = async () => ({ ...(await import('@aws-sdk/client-s3')), ...(await import('@aws-sdk/s3-request-presigner')) });
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { alternate, describeSpread, fmt, percentile, spread, writeResult } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OBJECTS = Number(process.env.BENCH_STORE_OBJECTS ?? 10_000);
const OBJECT_BYTES = Number(process.env.BENCH_STORE_OBJECT_KB ?? 3) * 1024;
const CONCURRENCY = Number(process.env.BENCH_STORE_CONCURRENCY ?? 16);
const BIG_BYTES = Number(process.env.BENCH_STORE_BIG_MB ?? 2048) * 1024 * 1024;
const ACCESS_KEY_ID = 'AKIAREFLOWBENCH00001';
const SECRET_ACCESS_KEY = 'reflow-bench-secret';
const BUCKET = 'bench';
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------------------------
// The servers, run as `node dist/bench/store.js --serve reflow|peer DIR`

async function serve(mode: string, dir: string): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  if (mode === 'reflow') {
    const { createReflow } = await import('../src/compose.js');
    const { buildS3Server } = await import('../src/server/s3/index.js');
    const reflow = await createReflow({ dataDir: dir });
    const app = await buildS3Server({ store: reflow.store, credentials: (id) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    close = async () => {
      await app.close();
      await reflow.close();
    };
  } else if (mode === 'endpoint') {
    // The wire layer alone: the same S3 endpoint over the in-memory port double (no disk, no SQLite, no events).
    const { MemoryObjectStore } = await import('../src/server/s3/testing/memory-object-store.js');
    const { buildS3Server } = await import('../src/server/s3/index.js');
    const store = new MemoryObjectStore();
    const app = await buildS3Server({ store, credentials: (id) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    close = () => app.close();
  } else {
    let n = 0;
    const server = createServer((req, res) => {
      if (req.method !== 'PUT') {
        res.writeHead(200).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const file = await open(join(dir, `o${n++}`), 'w');
          await file.write(Buffer.concat(chunks));
          await file.sync();
          await file.close();
          res.writeHead(200, { etag: '"0"' }).end();
        })();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    close = () => new Promise<void>((r) => server.close(() => r()));
  }
  process.stdout.write(`PORT ${port}\n`);
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
}

interface Running {
  child: ChildProcess;
  port: number;
  url: string;
  dir: string;
  /** CPU seconds (user + system) the server has used so far. */
  cpuSeconds(): number;
  /** Largest RSS seen since the last reset, in bytes. */
  maxRss(): number;
  resetRss(): void;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function startServer(mode: 'reflow' | 'peer' | 'endpoint'): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `reflow-bench-store-${mode}-`));
  // BENCH_STORE_SERVER_ARGS passes node flags to the server (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const nodeArgs = (process.env.BENCH_STORE_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');
  // The server runs with the flags the `reflow` command gives node (its shebang); the peers get them too.
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeArgs, SELF, '--serve', mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
  });
  let max = 0;
  const sampler = setInterval(() => (max = Math.max(max, rssOf(child.pid!))), 50);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    cpuSeconds: () => cpuOf(child.pid!),
    maxRss: () => Math.max(max, rssOf(child.pid!)),
    resetRss: () => void (max = rssOf(child.pid!)),
    async stop() {
      clearInterval(sampler);
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function sdk(url: string, extra: Record<string, unknown> = {}): Promise<S3Client> {
  const { S3Client } = await loadSdk();
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    maxAttempts: 1,
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// (a) many small objects

interface Prepared {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What the SDK would send for each PutObject: signed headers captured just before the transport. */
async function prepareRequests(url: string, count: number): Promise<Prepared[]> {
  const { PutObjectCommand } = await loadSdk();
  const client = await sdk(url);
  let captured: { path: string; query?: Record<string, string | null>; headers: Record<string, string> } | undefined;
  const stop = new Error('captured');
  client.middlewareStack.add(
    () => async (args) => {
      captured = args.request as typeof captured;
      throw stop;
    },
    { step: 'deserialize', name: 'captureSignedRequest' },
  );
  const out: Prepared[] = [];
  for (let i = 0; i < count; i++) {
    const body = randomBytes(OBJECT_BYTES);
    const key = `incoming/site-${i % 7}/sample-${String(i).padStart(6, '0')}.bin`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body })).catch((e: unknown) => {
      if (e !== stop) throw e;
    });
    const query = Object.entries(captured!.query ?? {})
      .map(([k, v]) => (v === null ? k : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join('&');
    out.push({ path: query ? `${captured!.path}?${query}` : captured!.path, headers: captured!.headers, body });
  }
  client.destroy();
  return out;
}

async function firePuts(port: number, requests: Prepared[]): Promise<{ perSecond: number; p50: number; p99: number; clientCpuMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const one = (r: Prepared) =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: r.path, headers: r.headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`PUT ${r.path}: ${res.statusCode} ${text}`));
          latencies.push(performance.now() - t);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(r.body);
    });
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) await one(requests[next++]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: requests.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    clientCpuMs: (used.user + used.system) / 1000 / requests.length,
  };
}

async function smallObjects(): Promise<void> {
  type Mode = 'reflow' | 'peer' | 'endpoint';
  const all: Mode[] = ['reflow', 'peer', 'endpoint'];
  const modes = (process.env.BENCH_STORE_MODES ?? all.join(',')).split(',').filter((m): m is Mode => (all as string[]).includes(m));
  const figures = Object.fromEntries(
    modes.map((m) => [m, { perSecond: [] as number[], p50: [] as number[], p99: [] as number[], cpuMs: [] as number[], clientCpuMs: [] as number[], rss: [] as number[] }]),
  ) as Record<Mode, { perSecond: number[]; p50: number[]; p99: number[]; cpuMs: number[]; clientCpuMs: number[]; rss: number[] }>;
  const round = async (mode: Mode): Promise<void> => {
    const server = await startServer(mode);
    try {
      const { CreateBucketCommand } = await loadSdk();
      const s3 = await sdk(server.url);
      if (mode !== 'peer') await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      s3.destroy();
      const requests = await prepareRequests(server.url, OBJECTS);
      server.resetRss();
      const cpuBefore = server.cpuSeconds();
      const r = await firePuts(server.port, requests);
      const f = figures[mode];
      f.cpuMs.push(((server.cpuSeconds() - cpuBefore) * 1000) / requests.length);
      f.perSecond.push(r.perSecond);
      f.p50.push(r.p50);
      f.p99.push(r.p99);
      f.clientCpuMs.push(r.clientCpuMs);
      f.rss.push(server.maxRss());
    } finally {
      await server.stop();
    }
  };
  // Alternating: ours, the peer, then the endpoint alone, in every round.
  for (let i = 0; i < ROUNDS; i++) for (const mode of modes) await round(mode);
  const summary = Object.fromEntries(
    modes.map((m) => [
      m,
      {
        objectsPerSecond: spread(figures[m].perSecond),
        latencyMs: { p50: spread(figures[m].p50), p99: spread(figures[m].p99) },
        serverCpuMsPerObject: spread(figures[m].cpuMs),
        clientCpuMsPerObject: spread(figures[m].clientCpuMs),
        serverMaxRssBytes: spread(figures[m].rss),
      },
    ]),
  ) as unknown as Record<Mode, { objectsPerSecond: ReturnType<typeof spread>; serverCpuMsPerObject: ReturnType<typeof spread>; clientCpuMsPerObject: ReturnType<typeof spread> }>;
  if (modes.length < all.length) {
    for (const m of modes) {
      console.log(
        `${m}: ${describeSpread(summary[m].objectsPerSecond, 'objects/s')} | server CPU ${fmt(summary[m].serverCpuMsPerObject.median, 3)} ms/object, ` +
          `client CPU ${fmt(summary[m].clientCpuMsPerObject.median, 3)} ms/object`,
      );
    }
    return;
  }
  const ratio = summary.reflow.objectsPerSecond.median / summary.peer.objectsPerSecond.median;
  console.log(
    `${fmt(OBJECTS)} PUTs of ${OBJECT_BYTES / 1024} KB, ${CONCURRENCY} connections: ours ${describeSpread(summary.reflow.objectsPerSecond, 'objects/s')} | ` +
      `bare HTTP PUT + fsync ${describeSpread(summary.peer.objectsPerSecond, 'objects/s')} | ratio ${fmt(ratio * 100, 1)} % | target 2,000 objects/s`,
  );
  console.log(
    `  the S3 endpoint alone (memory store): ${describeSpread(summary.endpoint.objectsPerSecond, 'objects/s')} | server CPU per object: ours ` +
      `${fmt(summary.reflow.serverCpuMsPerObject.median, 3)} ms, peer ${fmt(summary.peer.serverCpuMsPerObject.median, 3)} ms, endpoint alone ${fmt(summary.endpoint.serverCpuMsPerObject.median, 3)} ms` +
      ` | client CPU per object ${fmt(summary.reflow.clientCpuMsPerObject.median, 3)} ms`,
  );
  writeResult('store-small-objects', {
    objects: OBJECTS,
    objectBytes: OBJECT_BYTES,
    concurrency: CONCURRENCY,
    setup:
      'reflow up composition in a child process (SqliteEventBus + FsObjectStore with fsync, S3 endpoint with SigV4); requests signed beforehand by @aws-sdk/client-s3 (header SigV4, hex payload hash, CRC32 header) and sent over keep-alive node:http connections',
    peer: 'bare node:http server in a child process: each PUT body written to its own file and fsynced before the answer (no signature check, no metadata): one HTTP PUT plus one durable write',
    endpointAlone: 'diagnostic, not a peer: the same S3 endpoint over the in-memory port double, to separate the wire layer from the adapter',
    targets: { objectsPerSecond: 2000 },
    ratio,
    ours: summary.reflow,
    peerFigures: summary.peer,
    endpointAloneFigures: summary.endpoint,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// (b) one big object

function writeBigFile(path: string, size: number): string {
  const hash = createHash('md5');
  const block = randomBytes(8 * 1024 * 1024);
  const fd = openSync(path, 'w');
  for (let done = 0; done < size; done += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, size - done));
    chunk.writeDoubleBE(done, 0); // every block differs
    hash.update(chunk);
    writeSync(fd, chunk);
  }
  fsyncSync(fd);
  closeSync(fd);
  return hash.digest('hex');
}

function streamRequest(url: string, method: 'PUT' | 'GET', body: string | undefined, output: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string | number> = {};
    if (body) headers['content-length'] = statSync(body).size;
    const req = request({ host: u.hostname, port: u.port, method, path: `${u.pathname}${u.search}`, headers }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => reject(new Error(`${method}: ${res.statusCode} ${text}`)));
        return;
      }
      if (output) pipeline(res, createWriteStream(output)).then(resolve, reject);
      else res.resume().on('end', resolve);
    });
    req.on('error', reject);
    if (body) pipeline(createReadStream(body, { highWaterMark: 1024 * 1024 }), req).catch(reject);
    else req.end();
  });
}

function timeCommand(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${command} exited ${code}`))));
  });
}

function fsyncFile(path: string): number {
  const started = performance.now();
  const fd = openSync(path, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return (performance.now() - started) / 1000;
}

async function bigObject(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reflow-bench-big-'));
  const source = join(dir, 'source.bin');
  const mb = BIG_BYTES / 1024 / 1024;
  try {
    const sum = writeBigFile(source, BIG_BYTES);
    const upload: number[] = [];
    const download: number[] = [];
    const downloadDiscarded: number[] = [];
    const cp: number[] = [];
    const cpFsync: number[] = [];
    const rssUp: number[] = [];
    const rssDown: number[] = [];
    await alternate(
      ROUNDS,
      async () => {
        const server = await startServer('reflow');
        try {
          const { CreateBucketCommand, PutObjectCommand, GetObjectCommand, getSignedUrl } = await loadSdk();
          const s3 = await sdk(server.url);
          await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
          const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }), { expiresIn: 3600 });
          const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }), { expiresIn: 3600 });
          s3.destroy();
          server.resetRss();
          let t = performance.now();
          await streamRequest(putUrl, 'PUT', source, undefined);
          upload.push(mb / ((performance.now() - t) / 1000));
          rssUp.push(server.maxRss());
          const target = join(dir, 'downloaded.bin');
          server.resetRss();
          t = performance.now();
          await streamRequest(getUrl, 'GET', undefined, target);
          download.push(mb / ((performance.now() - t) / 1000));
          rssDown.push(server.maxRss());
          const got = createHash('md5');
          for await (const chunk of createReadStream(target)) got.update(chunk as Buffer);
          if (got.digest('hex') !== sum) throw new Error('the downloaded object differs from the uploaded file');
          rmSync(target);
          t = performance.now();
          await streamRequest(getUrl, 'GET', undefined, undefined);
          downloadDiscarded.push(mb / ((performance.now() - t) / 1000));
        } finally {
          await server.stop();
        }
        return upload.at(-1)!;
      },
      async () => {
        const target = join(dir, 'copy.bin');
        const seconds = await timeCommand('cp', [source, target]);
        cp.push(mb / seconds);
        cpFsync.push(mb / (seconds + fsyncFile(target)));
        rmSync(target);
        return cp.at(-1)!;
      },
    );
    const s = { upload: spread(upload), download: spread(download), downloadDiscarded: spread(downloadDiscarded), cp: spread(cp), cpFsync: spread(cpFsync) };
    const ratios = {
      uploadVsCp: s.upload.median / s.cp.median,
      uploadVsCpFsync: s.upload.median / s.cpFsync.median,
      downloadVsCp: s.download.median / s.cp.median,
    };
    const maxRss = Math.max(...rssUp, ...rssDown);
    console.log(
      `${fmt(mb)} MB object: upload ${describeSpread(s.upload, 'MB/s')} | download ${describeSpread(s.download, 'MB/s')} | ` +
        `cp ${describeSpread(s.cp, 'MB/s')} | cp + fsync ${describeSpread(s.cpFsync, 'MB/s')}`,
    );
    console.log(
      `  upload ${fmt(ratios.uploadVsCp * 100, 1)} % of cp (${fmt(ratios.uploadVsCpFsync * 100, 1)} % of cp + fsync), download ${fmt(ratios.downloadVsCp * 100, 1)} % of cp; ` +
        `server RSS at most ${fmt(maxRss / 2 ** 20, 1)} MB | targets 70 %, 150 MB`,
    );
    console.log(`  download with the client discarding the bytes (diagnostic): ${describeSpread(s.downloadDiscarded, 'MB/s')}`);
    writeResult('store-big-object', {
      bytes: BIG_BYTES,
      setup:
        'reflow up composition in a child process; one streamed PUT of the file through a presigned URL (UNSIGNED-PAYLOAD: the server still computes MD5 for the ETag and SHA-256 for the content address) and one GET streamed to a file on the same disk',
      peer: 'cp of the same file on the same disk (the page cache holds the source for both); the upload is also set against cp followed by an fsync of the copy, since Reflow answers an upload only once it is on disk',
      targets: { ratio: 0.7, serverMaxRssBytes: 150 * 2 ** 20 },
      megabytesPerSecond: s,
      ratios,
      serverMaxRssBytes: { upload: spread(rssUp), download: spread(rssDown) },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  // BENCH_STORE_ONLY=small|big runs one half (both by default).
  const only = process.env.BENCH_STORE_ONLY;
  if (only !== 'big') await smallObjects();
  if (only !== 'small') await bigObject();
}

if (process.argv[2] === '--serve' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await serve(process.argv[3] ?? 'reflow', process.argv[4] ?? mkdtempSync(join(tmpdir(), 'reflow-bench-serve-')));
}
