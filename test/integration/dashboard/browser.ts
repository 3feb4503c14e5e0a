/**
 * A real headless Chromium driven over the Chrome DevTools Protocol, for the dashboard's end-to-end test. Node 20 has
 * no WebSocket client (and playwright is not a dependency), so this file carries a minimal RFC 6455 client: the HTTP
 * upgrade, masked client frames, unmasked server frames with continuation, ping/pong and close. That is all CDP needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The smallest WebSocket client CDP needs: text messages in and out over ws:// on a local port. */
export class WebSocketClient {
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closed = false;
  onMessage: (text: string) => void = () => {};
  onClose: (reason: string) => void = () => {};

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => this.ended('socket closed'));
    socket.on('error', (err) => this.ended(err.message));
  }

  static connect(url: string): Promise<WebSocketClient> {
    const { hostname, port, pathname, search } = new URL(url);
    const key = randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const req = request({
        host: hostname,
        port,
        path: pathname + search,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
      });
      req.on('upgrade', (res, socket, head) => {
        const expected = createHash('sha1').update(key + WS_GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          return reject(new Error(`${url}: bad Sec-WebSocket-Accept`));
        }
        socket.setNoDelay(true);
        const client = new WebSocketClient(socket);
        if (head.length) {
          client.buffer = Buffer.from(head);
          client.parse();
        }
        resolve(client);
      });
      req.on('response', (res) => reject(new Error(`${url}: HTTP ${res.statusCode} instead of an upgrade`)));
      req.on('error', reject);
      req.end();
    });
  }

  send(text: string): void {
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  close(): void {
    if (this.closed) return;
    this.frame(0x8, Buffer.alloc(0));
    this.socket.end();
    this.ended('closed by the client');
  }

  /** Client frames are always masked (RFC 6455 §5.3). */
  private frame(opcode: number, payload: Buffer): void {
    if (this.closed) return;
    const mask = randomBytes(4);
    const n = payload.length;
    const header = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (n < 126) header[1] = 0x80 | n;
    else if (n < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(n, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(n), 2);
    }
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(Buffer.concat([header, mask, body]));
  }

  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const maskAt = at;
      if (masked) at += 4;
      if (b.length < at + length) return;
      let payload = b.subarray(at, at + length);
      if (masked) payload = Buffer.from(payload.map((byte, i) => byte ^ b[maskAt + (i & 3)]!));
      this.buffer = b.subarray(at + length);
      if (opcode === 0x8) {
        this.close();
        return;
      }
      if (opcode === 0x9) this.frame(0xa, Buffer.from(payload));
      else if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.onMessage(text);
        }
      }
    }
  }

  private ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(reason);
  }
}

type Listener = (params: any) => void;

/** One CDP target (a page) over its own websocket. */
export class CdpSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Map<string, Listener[]>();

  constructor(private readonly ws: WebSocketClient) {
    ws.onMessage = (text) => {
      const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
      if (msg.id !== undefined) {
        const waiting = this.pending.get(msg.id);
        if (!waiting) return;
        this.pending.delete(msg.id);
        if (msg.error) waiting.reject(new Error(`${waiting.method}: ${msg.error.message}`));
        else waiting.resolve(msg.result);
      } else if (msg.method) {
        for (const fn of this.listeners.get(msg.method) ?? []) fn(msg.params);
      }
    };
    ws.onClose = (reason) => {
      for (const [, waiting] of this.pending) waiting.reject(new Error(`${waiting.method}: DevTools connection ended (${reason})`));
      this.pending.clear();
    };
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on(method: string, fn: Listener): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), fn]);
  }

  once(method: string, timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      const fn: Listener = (params) => {
        clearTimeout(timer);
        this.listeners.set(method, (this.listeners.get(method) ?? []).filter((f) => f !== fn));
        resolve(params);
      };
      this.on(method, fn);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Where a Chromium is: REFLOW_CHROMIUM, else Debian's package (`apt-get install chromium`) or the usual names. */
export function findChromium(): string | undefined {
  // A path given explicitly is the only one tried: a wrong one reads as "no Chromium", not as another browser.
  const chosen = process.env.REFLOW_CHROMIUM;
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
}

export interface Page {
  cdp: CdpSession;
  /** Uncaught exceptions of the page's scripts, as they happened. */
  exceptions: string[];
  goto(url: string): Promise<void>;
  /** The value of an expression in the page (promises awaited). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls an expression until it is truthy; on timeout fails with `what` and the page's text. */
  waitFor<T = unknown>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** A PNG of the whole page at the given width. */
  screenshot(path: string, width?: number): Promise<void>;
}

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(executable: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'reflow-chromium-'));
  const child: ChildProcess = spawn(
    executable,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      '--mute-audio',
      '--window-size=1400,1000',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    // Its own process group, so closing ends the browser and every renderer it started, and nothing else.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(profile, { recursive: true, force: true });
  };

  let stderr = '';
  try {
    const browserWs = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools address within 30 s:\n${stderr}`)), 30_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code}) before DevTools listened:\n${stderr}`));
      });
    });
    const http = new URL(browserWs);
    const targets = (await (await fetch(`http://${http.host}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const target = targets.find((t) => t.type === 'page');
    if (!target) throw new Error(`chromium has no page target: ${JSON.stringify(targets)}`);
    const cdp = new CdpSession(await WebSocketClient.connect(target.webSocketDebuggerUrl));
    const exceptions: string[] = [];
    cdp.on('Runtime.exceptionThrown', (p: { exceptionDetails: { text: string; exception?: { description?: string } } }) => {
      exceptions.push(p.exceptionDetails.exception?.description ?? p.exceptionDetails.text);
    });
    await cdp.send('Page.enable');
    await cdp.send('Runtime.enable');
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });

    const evaluate = async <T>(expression: string): Promise<T> => {
      const out = await cdp.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
        expression,
        returnByValue: true,
        awaitPromise: true,
      });
      if (out.exceptionDetails) throw new Error(`${expression}: ${out.exceptionDetails.exception?.description ?? out.exceptionDetails.text}`);
      return out.result.value as T;
    };

    const page: Page = {
      cdp,
      exceptions,
      async goto(url) {
        const loaded = cdp.once('Page.loadEventFired', 30_000);
        const nav = await cdp.send<{ errorText?: string }>('Page.navigate', { url });
        if (nav.errorText) throw new Error(`navigating to ${url}: ${nav.errorText}`);
        await loaded;
      },
      evaluate,
      async waitFor<T>(expression: string, what: string, timeoutMs = 20_000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const value = await evaluate<T>(expression);
          if (value) return value;
          if (Date.now() > deadline) {
            const text = await evaluate<string>('document.body ? document.body.innerText : ""');
            throw new Error(`waited ${timeoutMs} ms for ${what}; the page shows:\n${text.slice(0, 3000)}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async screenshot(path, width = 1400) {
        const metrics = await cdp.send<{ cssContentSize: { height: number } }>('Page.getLayoutMetrics');
        const height = Math.min(8000, Math.ceil(metrics.cssContentSize.height));
        await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
        const shot = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
        writeFileSync(path, Buffer.from(shot.data, 'base64'));
        await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
      },
    };
    return {
      page,
      async close() {
        cdp.close();
        await kill();
      },
    };
  } catch (err) {
    await kill();
    throw err;
  }
}
