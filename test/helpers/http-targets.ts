/**
 * Observable HTTP targets: a local server that records every POST body per path, standing in for the SQS queues,
 * log groups and streams of the recorded AWS tests (a target ARN `http://127.0.0.1:<port>/<name>`).
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';

export class HttpTargets {
  private readonly server: Server;
  private readonly bodies = new Map<string, string[]>();
  private port = 0;
  /** Paths that answer 500 (a target that keeps failing). */
  readonly failing = new Set<string>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]!);
        if (this.failing.has(name)) {
          res.writeHead(500).end();
          return;
        }
        const list = this.bodies.get(name) ?? [];
        list.push(Buffer.concat(chunks).toString('utf8'));
        this.bodies.set(name, list);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port}/${encodeURIComponent(name)}`;
  }

  /** Raw bodies received on a path, in arrival order. */
  received(name: string): string[] {
    return this.bodies.get(name) ?? [];
  }

  clear(name?: string): void {
    if (name === undefined) this.bodies.clear();
    else this.bodies.delete(name);
  }

  async waitFor(name: string, count: number, timeoutMs = 5_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received(name).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} deliveries on ${name} (got ${this.received(name).length})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.received(name);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
