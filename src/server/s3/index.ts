/**
 * The S3-compatible endpoint: S3's REST API (path-style and virtual-host-style addressing, SigV4 in the header or a
 * presigned query, XML bodies) over the same `ObjectStore` port every other part of Reflow uses — a wire layer, not a
 * second store. It runs as its own Fastify instance on its own port (`reflow up --s3-port`), because S3 clients
 * address buckets from the root of a host.
 *
 * S3 routes by method, path and query sub-resource (`?versioning`, `?uploads`, `?uploadId=`), not by path alone, so
 * one catch-all route resolves the bucket and key and dispatches (routes.ts). Bodies are never parsed by Fastify:
 * object data streams from the socket into the store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ObjectStore } from '../../store/port.js';
import { ReflowError, isReflowError } from '../../errors.js';
import { UNSIGNED_PAYLOAD, verifySigV4, type SigV4Identity } from '../../security/sigv4.js';
import { isStreamingPayload } from '../../security/sigv4-streaming.js';
import { isSigV2, verifySigV2, type SigV2Request } from './sigv2.js';
import { installS3ErrorHandler, fromSigV4Error, sendS3Error, toS3Error } from './errors.js';
import { dispatch, type S3Context } from './routes.js';
import { resolveAddress, splitUrl, type S3Address } from './addressing.js';
import { xmlDocument } from './xml.js';

export interface S3ServerOptions {
  store: ObjectStore;
  /** Secret for an access key id; every request must be signed with a known key (SigV4). */
  credentials: (accessKeyId: string) => string | undefined;
  /** The region clients sign for and GetBucketLocation reports (default `us-east-1`). */
  region?: string;
  logger?: boolean;
  /** Host names under which `<bucket>.<domain>` is virtual-host addressing (default `localhost`, `s3.localhost`). */
  virtualHostDomains?: string[];
  /** Largest single PutObject / UploadPart in bytes (default 5 GiB, S3's). */
  maxObjectSize?: number;
  /** Allowed clock skew of signed requests (default 15 minutes). */
  maxSkewMs?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

/**
 * Request ids as S3's look (16 uppercase hex): a random prefix per server and a counter. A `randomBytes` call per
 * request cost ~15 µs of a 3 KB PUT's server time; ids need to be unique, not unpredictable.
 */
function requestIds(): () => string {
  const prefix = randomBytes(4).toString('hex').toUpperCase();
  let n = 0;
  return () => prefix + (n++ >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export async function buildS3Server(options: S3ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: requestIds(),
    requestIdHeader: false,
    exposeHeadRoutes: false,
    // Keys up to 1,024 bytes, percent-encoded three times over.
    routerOptions: { maxParamLength: 8192 },
    forceCloseConnections: true,
    // Fastify's own refusals (a path that is not valid percent-encoding) answer in S3's XML too, not Fastify's JSON.
    frameworkErrors: (error, request, reply) => {
      const err =
        error.code === 'FST_ERR_BAD_URL'
          ? new ReflowError('InvalidArgument', 'The path is not correctly percent-encoded.', { field: 'Key', cause: error })
          : toS3Error(error);
      void sendS3Error(request, reply, err);
    },
    // Large uploads take as long as they take; the store bounds memory, not time.
    requestTimeout: 0,
    // Errors Node's HTTP parser raises before or outside a route (a body cut short when the client half-closes,
    // malformed framing) still answer in S3's XML.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return void socket.destroy();
      const code = (err as { code?: string }).code;
      const [s3Code, message] =
        code === 'HPE_INVALID_EOF_STATE'
          ? ['IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.']
          : ['InvalidRequest', 'The request could not be parsed as HTTP.'];
      const body = xmlDocument('Error', [['Code', s3Code], ['Message', message]], false);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });

  // Fastify never reads a body here: the handler streams request.raw (objects) or reads it whole (small XML).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-amz-request-id', request.id);
    reply.header('x-amz-id-2', Buffer.from(randomUUID()).toString('base64'));
    reply.header('server', 'Reflow');
    done();
  });
  installS3ErrorHandler(app);

  const context: S3Context = {
    store: options.store,
    credentials: options.credentials,
    region: options.region ?? 'us-east-1',
    maxObjectSize: options.maxObjectSize ?? 5 * 1024 ** 3,
    authenticate: (request, address) => authenticate(request, address, options),
  };
  const domains = options.virtualHostDomains ?? ['localhost', 's3.localhost'];
  const handler = async (request: FastifyRequest, reply: Parameters<typeof dispatch>[2]) => {
    const address = resolveAddress(request, domains);
    return dispatch(context, request, reply, address);
  };
  app.all('/', handler);
  app.all('/*', handler);
  return app;
}

function authenticate(request: FastifyRequest, address: S3Address, options: S3ServerOptions): SigV4Identity {
  const { path, query } = splitUrl(request.raw.url ?? '/');
  if (isSigV2({ query, headers: request.headers })) {
    const v2: SigV2Request = { method: request.method, path, query, headers: request.headers };
    if (address.virtualHost && address.bucket !== undefined) v2.virtualHostBucket = address.bucket;
    const v2Options: Parameters<typeof verifySigV2>[2] = { region: options.region ?? 'us-east-1' };
    if (options.now) v2Options.now = options.now();
    if (options.maxSkewMs !== undefined) v2Options.maxSkewMs = options.maxSkewMs;
    return verifySigV2(v2, options.credentials, v2Options);
  }
  const presigned = /(?:^|&)X-Amz-(?:Signature|Algorithm)=/.test(query);
  // S3 needs the payload hash up front to stream a body; without it a signer that hashed the body (curl 7.x's
  // --aws-sigv4) would only see SignatureDoesNotMatch. Name the missing header instead, as S3 does.
  const length = request.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
  if (!presigned && hasBody && request.headers.authorization !== undefined && request.headers['x-amz-content-sha256'] === undefined) {
    throw new ReflowError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', { field: 'x-amz-content-sha256' });
  }
  const sigOptions: { service: string; now?: Date; maxSkewMs?: number } = { service: 's3' };
  if (options.now) sigOptions.now = options.now();
  if (options.maxSkewMs !== undefined) sigOptions.maxSkewMs = options.maxSkewMs;
  let identity: SigV4Identity;
  try {
    identity = verifySigV4({ method: request.method, path, query, headers: request.headers }, options.credentials, sigOptions);
  } catch (err) {
    throw isReflowError(err) ? fromSigV4Error(err, presigned) : err;
  }
  // Anything else would be read as an unsigned body: a typo must not turn the payload check off.
  const mode = identity.payloadHash;
  if (mode !== UNSIGNED_PAYLOAD && !isStreamingPayload(mode) && !/^[0-9a-f]{64}$/i.test(mode)) {
    throw new ReflowError(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      { field: 'x-amz-content-sha256' },
    );
  }
  return identity;
}
