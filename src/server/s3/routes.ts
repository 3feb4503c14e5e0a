/**
 * S3 operations, dispatched by method, address (service / bucket / object) and query sub-resource, each mapped
 * member for member onto the `ObjectStore` port. Response shapes (element order, headers) are S3's.
 */
import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReflowError, isReflowError } from '../../errors.js';
import type { SigV4Identity } from '../../security/sigv4.js';
import type { ObjectStore } from '../../store/port.js';
import type {
  ByteRange,
  Conditions,
  ObjectHeaders,
  ObjectInfo,
  RequestContext,
} from '../../store/types.js';
import type { S3Address } from './addressing.js';
import { prepareBody, readSmallBody } from './body.js';
import { validatePartNumber } from '../../store/validate.js';
import {
  isoTime,
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDelete,
  parseVersioningConfiguration,
  xmlDocument,
  type XmlNode,
} from './xml.js';

export interface S3Context {
  store: ObjectStore;
  credentials: (accessKeyId: string) => string | undefined;
  region: string;
  maxObjectSize: number;
  authenticate(request: FastifyRequest, address: S3Address): SigV4Identity;
}

const OWNER_ID = createHash('sha256').update('reflow').digest('hex');
const owner = (name = 'Owner'): XmlNode => [name, [['ID', OWNER_ID], ['DisplayName', 'reflow']]];

/** Sub-resources S3 has and Reflow does not serve: answered NotImplemented rather than mistaken for a listing. */
const UNSUPPORTED = [
  'acl', 'policy', 'policyStatus', 'cors', 'lifecycle', 'tagging', 'encryption', 'website', 'logging', 'notification',
  'replication', 'ownershipControls', 'publicAccessBlock', 'object-lock', 'accelerate', 'requestPayment', 'analytics',
  'metrics', 'inventory', 'intelligent-tiering', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'attributes',
];

type Reply = FastifyReply;

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sendXml(reply: Reply, body: string, status = 200): Reply {
  return reply.code(status).header('content-type', 'application/xml').send(body);
}

function notImplemented(what: string): ReflowError {
  return new ReflowError('NotImplemented', `A header or query you provided implies functionality that is not implemented (${what}).`);
}

function requestContext(request: FastifyRequest, identity: SigV4Identity): RequestContext {
  return { requester: identity.accessKeyId, requestId: request.id, sourceIp: request.ip };
}

function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function intParam(query: Map<string, string>, name: string): number | undefined {
  const v = query.get(name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ReflowError('InvalidArgument', `Provided ${name} not an integer or within integer range`, { field: name });
  return Number(v);
}

export async function dispatch(ctx: S3Context, request: FastifyRequest, reply: Reply, address: S3Address): Promise<Reply> {
  const identity = ctx.authenticate(request, address);
  const { bucket, key, query } = address;
  for (const name of UNSUPPORTED) if (query.has(name)) throw notImplemented(`?${name}`);
  const method = request.method;
  if (bucket === undefined) {
    if (method === 'GET') return listBuckets(ctx, reply);
    throw new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (query.has('versioning')) return getVersioning(ctx, reply, bucket);
        if (query.has('location')) return getLocation(ctx, reply, bucket);
        if (query.has('versions')) return listVersions(ctx, reply, bucket, query);
        if (query.has('uploads')) return listUploads(ctx, reply, bucket, query);
        return query.get('list-type') === '2' ? listObjectsV2(ctx, reply, bucket, query) : listObjectsV1(ctx, reply, bucket, query);
      case 'HEAD':
        await ctx.store.headBucket(bucket);
        return reply.code(200).header('x-amz-bucket-region', ctx.region).send();
      case 'PUT': {
        const body = await readSmallBody(request, identity, ctx.credentials);
        if (query.has('versioning')) {
          const status = parseVersioningConfiguration(body);
          if (status === undefined) throw new ReflowError('MalformedXML', 'The versioning configuration has no <Status>.');
          await ctx.store.putBucketVersioning(bucket, status);
          return reply.code(200).send();
        }
        const location = parseCreateBucketConfiguration(body);
        if (location !== undefined && location !== ctx.region) {
          throw new ReflowError('InvalidArgument', `The location constraint '${location}' is not this endpoint's region '${ctx.region}'.`, {
            field: 'LocationConstraint',
          });
        }
        await ctx.store.createBucket(bucket);
        return reply.code(200).header('location', `/${bucket}`).send();
      }
      case 'DELETE':
        await ctx.store.deleteBucket(bucket);
        return reply.code(204).send();
      case 'POST':
        if (query.has('delete')) return deleteObjects(ctx, request, reply, identity, bucket);
        break;
    }
    throw new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return listParts(ctx, reply, bucket, key, query);
      return getObject(ctx, request, reply, bucket, key, query, false);
    case 'HEAD':
      return getObject(ctx, request, reply, bucket, key, query, true);
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber')) {
        if (header(request, 'x-amz-copy-source') !== undefined) throw notImplemented('UploadPartCopy');
        return uploadPart(ctx, request, reply, identity, bucket, key, query);
      }
      if (header(request, 'x-amz-copy-source') !== undefined) return copyObject(ctx, request, reply, identity, bucket, key);
      return putObject(ctx, request, reply, identity, bucket, key);
    case 'POST':
      if (query.has('uploads')) return createUpload(ctx, request, reply, identity, bucket, key);
      if (query.has('uploadId')) return completeUpload(ctx, request, reply, identity, bucket, key, query.get('uploadId')!);
      break;
    case 'DELETE':
      if (query.has('uploadId')) {
        await ctx.store.abortMultipartUpload(bucket, key, query.get('uploadId')!);
        return reply.code(204).send();
      }
      return deleteObject(ctx, request, reply, identity, bucket, key, query);
  }
  throw new ReflowError('MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

// ---------------------------------------------------------------------------------------------------------------
// Buckets

async function listBuckets(ctx: S3Context, reply: Reply): Promise<Reply> {
  const buckets = await ctx.store.listBuckets();
  return sendXml(
    reply,
    xmlDocument('ListAllMyBucketsResult', [
      owner(),
      ['Buckets', buckets.map((b): XmlNode => ['Bucket', [['Name', b.name], ['CreationDate', isoTime(b.creationDate)]]])],
    ]),
  );
}

async function getVersioning(ctx: S3Context, reply: Reply, bucket: string): Promise<Reply> {
  const status = await ctx.store.getBucketVersioning(bucket);
  return sendXml(reply, xmlDocument('VersioningConfiguration', [status !== undefined && ['Status', status]]));
}

async function getLocation(ctx: S3Context, reply: Reply, bucket: string): Promise<Reply> {
  await ctx.store.headBucket(bucket);
  // S3 reports us-east-1 as an empty constraint.
  return sendXml(reply, xmlDocument('LocationConstraint', ctx.region === 'us-east-1' ? '' : ctx.region));
}

// ---------------------------------------------------------------------------------------------------------------
// Listings

function encoder(query: Map<string, string>): (text: string) => string {
  const type = query.get('encoding-type');
  if (type === undefined) return (t) => t;
  if (type !== 'url') throw new ReflowError('InvalidArgument', 'Invalid Encoding Method specified in Request', { field: 'encoding-type' });
  return (t) => encodeURIComponent(t).replace(/%2F/g, '/');
}

function listOptions<T extends object>(query: Map<string, string>, base: T): T {
  const out = base as Record<string, unknown>;
  const prefix = query.get('prefix');
  if (prefix) out.prefix = prefix;
  const delimiter = query.get('delimiter');
  if (delimiter) out.delimiter = delimiter;
  return base;
}

async function listObjectsV2(ctx: S3Context, reply: Reply, bucket: string, query: Map<string, string>): Promise<Reply> {
  const enc = encoder(query);
  const maxKeys = intParam(query, 'max-keys') ?? 1000;
  const options = listOptions(query, { maxKeys } as Parameters<ObjectStore['listObjects']>[1] & object);
  const token = query.get('continuation-token');
  if (token) options.continuationToken = token;
  const startAfter = query.get('start-after');
  if (startAfter) options.startAfter = startAfter;
  const result = await ctx.store.listObjects(bucket, options);
  const fetchOwner = query.get('fetch-owner') === 'true';
  return sendXml(
    reply,
    xmlDocument('ListBucketResult', [
      ['Name', bucket],
      ['Prefix', enc(query.get('prefix') ?? '')],
      query.get('delimiter') && ['Delimiter', enc(query.get('delimiter')!)],
      ['MaxKeys', maxKeys],
      query.has('encoding-type') && ['EncodingType', 'url'],
      ['KeyCount', result.keyCount],
      ['IsTruncated', result.isTruncated],
      token !== undefined && ['ContinuationToken', token],
      result.nextContinuationToken !== undefined && ['NextContinuationToken', result.nextContinuationToken],
      startAfter !== undefined && ['StartAfter', enc(startAfter)],
      ...result.contents.map(
        (o): XmlNode => [
          'Contents',
          [
            ['Key', enc(o.key)],
            ['LastModified', isoTime(o.lastModified)],
            ['ETag', quoted(o.etag)],
            ['Size', o.size],
            fetchOwner && owner(),
            ['StorageClass', 'STANDARD'],
          ],
        ],
      ),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
    ]),
  );
}

async function listObjectsV1(ctx: S3Context, reply: Reply, bucket: string, query: Map<string, string>): Promise<Reply> {
  const enc = encoder(query);
  const maxKeys = intParam(query, 'max-keys') ?? 1000;
  const options = listOptions(query, { maxKeys } as Parameters<ObjectStore['listObjects']>[1] & object);
  const marker = query.get('marker');
  if (marker) options.startAfter = marker;
  const result = await ctx.store.listObjects(bucket, options);
  return sendXml(
    reply,
    xmlDocument('ListBucketResult', [
      ['Name', bucket],
      ['Prefix', enc(query.get('prefix') ?? '')],
      ['Marker', enc(marker ?? '')],
      query.get('delimiter') && result.isTruncated && result.nextMarker !== undefined && ['NextMarker', enc(result.nextMarker)],
      ['MaxKeys', maxKeys],
      query.get('delimiter') && ['Delimiter', enc(query.get('delimiter')!)],
      query.has('encoding-type') && ['EncodingType', 'url'],
      ['IsTruncated', result.isTruncated],
      ...result.contents.map(
        (o): XmlNode => [
          'Contents',
          [
            ['Key', enc(o.key)],
            ['LastModified', isoTime(o.lastModified)],
            ['ETag', quoted(o.etag)],
            ['Size', o.size],
            owner(),
            ['StorageClass', 'STANDARD'],
          ],
        ],
      ),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
    ]),
  );
}

async function listVersions(ctx: S3Context, reply: Reply, bucket: string, query: Map<string, string>): Promise<Reply> {
  const enc = encoder(query);
  const maxKeys = intParam(query, 'max-keys') ?? 1000;
  const options = listOptions(query, { maxKeys } as Parameters<ObjectStore['listObjectVersions']>[1] & object);
  const keyMarker = query.get('key-marker');
  if (keyMarker) options.keyMarker = keyMarker;
  const versionIdMarker = query.get('version-id-marker');
  if (versionIdMarker) options.versionIdMarker = versionIdMarker;
  const result = await ctx.store.listObjectVersions(bucket, options);
  return sendXml(
    reply,
    xmlDocument('ListVersionsResult', [
      ['Name', bucket],
      ['Prefix', enc(query.get('prefix') ?? '')],
      ['KeyMarker', enc(keyMarker ?? '')],
      ['VersionIdMarker', versionIdMarker ?? ''],
      result.nextKeyMarker !== undefined && ['NextKeyMarker', enc(result.nextKeyMarker)],
      result.nextVersionIdMarker !== undefined && ['NextVersionIdMarker', result.nextVersionIdMarker],
      ['MaxKeys', maxKeys],
      query.get('delimiter') && ['Delimiter', enc(query.get('delimiter')!)],
      query.has('encoding-type') && ['EncodingType', 'url'],
      ['IsTruncated', result.isTruncated],
      ...result.versions.map((v): XmlNode =>
        v.deleteMarker
          ? [
              'DeleteMarker',
              [['Key', enc(v.key)], ['VersionId', v.versionId], ['IsLatest', v.isLatest], ['LastModified', isoTime(v.lastModified)], owner()],
            ]
          : [
              'Version',
              [
                ['Key', enc(v.key)],
                ['VersionId', v.versionId],
                ['IsLatest', v.isLatest],
                ['LastModified', isoTime(v.lastModified)],
                ['ETag', quoted(v.etag)],
                ['Size', v.size],
                owner(),
                ['StorageClass', 'STANDARD'],
              ],
            ],
      ),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
    ]),
  );
}

async function listUploads(ctx: S3Context, reply: Reply, bucket: string, query: Map<string, string>): Promise<Reply> {
  const enc = encoder(query);
  const maxUploads = intParam(query, 'max-uploads') ?? 1000;
  const options = listOptions(query, { maxUploads } as Parameters<ObjectStore['listMultipartUploads']>[1] & object);
  const keyMarker = query.get('key-marker');
  if (keyMarker) options.keyMarker = keyMarker;
  const uploadIdMarker = query.get('upload-id-marker');
  if (uploadIdMarker) options.uploadIdMarker = uploadIdMarker;
  const result = await ctx.store.listMultipartUploads(bucket, options);
  return sendXml(
    reply,
    xmlDocument('ListMultipartUploadsResult', [
      ['Bucket', bucket],
      ['KeyMarker', enc(keyMarker ?? '')],
      ['UploadIdMarker', uploadIdMarker ?? ''],
      ['NextKeyMarker', enc(result.nextKeyMarker ?? '')],
      ['NextUploadIdMarker', result.nextUploadIdMarker ?? ''],
      query.get('prefix') !== undefined && ['Prefix', enc(query.get('prefix')!)],
      query.get('delimiter') && ['Delimiter', enc(query.get('delimiter')!)],
      ['MaxUploads', maxUploads],
      query.has('encoding-type') && ['EncodingType', 'url'],
      ['IsTruncated', result.isTruncated],
      ...result.uploads.map(
        (u): XmlNode => [
          'Upload',
          [['Key', enc(u.key)], ['UploadId', u.uploadId], owner('Initiator'), owner(), ['StorageClass', 'STANDARD'], ['Initiated', isoTime(u.initiated)]],
        ],
      ),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
    ]),
  );
}

async function listParts(ctx: S3Context, reply: Reply, bucket: string, key: string, query: Map<string, string>): Promise<Reply> {
  const uploadId = query.get('uploadId')!;
  const maxParts = intParam(query, 'max-parts') ?? 1000;
  const options: Parameters<ObjectStore['listParts']>[3] & object = { maxParts };
  const marker = intParam(query, 'part-number-marker');
  if (marker !== undefined) options.partNumberMarker = marker;
  const result = await ctx.store.listParts(bucket, key, uploadId, options);
  return sendXml(
    reply,
    xmlDocument('ListPartsResult', [
      ['Bucket', bucket],
      ['Key', key],
      ['UploadId', uploadId],
      owner('Initiator'),
      owner(),
      ['StorageClass', 'STANDARD'],
      ['PartNumberMarker', marker ?? 0],
      ['NextPartNumberMarker', result.nextPartNumberMarker ?? result.parts.at(-1)?.partNumber ?? 0],
      ['MaxParts', maxParts],
      ['IsTruncated', result.isTruncated],
      ...result.parts.map(
        (p): XmlNode => [
          'Part',
          [['PartNumber', p.partNumber], ['LastModified', isoTime(p.lastModified)], ['ETag', quoted(p.etag)], ['Size', p.size]],
        ],
      ),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Objects

function objectHeaders(request: FastifyRequest): ObjectHeaders & { metadata: Record<string, string> } {
  const out: ObjectHeaders & { metadata: Record<string, string> } = { metadata: {} };
  const contentType = header(request, 'content-type');
  if (contentType !== undefined) out.contentType = contentType;
  const contentEncoding = header(request, 'content-encoding');
  if (contentEncoding !== undefined) {
    // aws-chunked is transfer framing, not the object's encoding (S3 drops it).
    const rest = contentEncoding
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked')
      .join(',');
    if (rest !== '') out.contentEncoding = rest;
  }
  const disposition = header(request, 'content-disposition');
  if (disposition !== undefined) out.contentDisposition = disposition;
  const language = header(request, 'content-language');
  if (language !== undefined) out.contentLanguage = language;
  const cache = header(request, 'cache-control');
  if (cache !== undefined) out.cacheControl = cache;
  const expires = header(request, 'expires');
  if (expires !== undefined) out.expires = expires;
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) out.metadata[name.slice(11)] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function httpDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function conditions(request: FastifyRequest, prefix = 'if-'): Conditions | undefined {
  const out: Conditions = {};
  const ifMatch = header(request, `${prefix}match`);
  if (ifMatch !== undefined) out.ifMatch = ifMatch;
  const ifNoneMatch = header(request, `${prefix}none-match`);
  if (ifNoneMatch !== undefined) out.ifNoneMatch = ifNoneMatch;
  const modified = httpDate(header(request, `${prefix}modified-since`));
  if (modified !== undefined) out.ifModifiedSince = modified;
  const unmodified = httpDate(header(request, `${prefix}unmodified-since`));
  if (unmodified !== undefined) out.ifUnmodifiedSince = unmodified;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; S3 ignores anything else (several ranges included) and sends it all. */
function parseRange(value: string | undefined): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end };
}

function versionHeader(reply: Reply, versionId: string | undefined): void {
  // S3 sends no version id for objects written while versioning was never enabled.
  if (versionId !== undefined && versionId !== '' && versionId !== 'null') reply.header('x-amz-version-id', versionId);
}

function writeInfoHeaders(reply: Reply, info: ObjectInfo, withChecksums: boolean): void {
  reply.header('etag', quoted(info.etag));
  reply.header('last-modified', info.lastModified.toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('content-type', info.contentType ?? 'binary/octet-stream');
  if (info.contentEncoding !== undefined) reply.header('content-encoding', info.contentEncoding);
  if (info.contentDisposition !== undefined) reply.header('content-disposition', info.contentDisposition);
  if (info.contentLanguage !== undefined) reply.header('content-language', info.contentLanguage);
  if (info.cacheControl !== undefined) reply.header('cache-control', info.cacheControl);
  if (info.expires !== undefined) reply.header('expires', info.expires);
  if (info.partsCount !== undefined) reply.header('x-amz-mp-parts-count', String(info.partsCount));
  versionHeader(reply, info.versionId);
  for (const [name, value] of Object.entries(info.metadata)) reply.header(`x-amz-meta-${name}`, value);
  if (withChecksums) {
    for (const [algorithm, value] of Object.entries(info.checksums)) reply.header(`x-amz-checksum-${algorithm.toLowerCase()}`, value);
  }
}

const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

async function getObject(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  bucket: string,
  key: string,
  query: Map<string, string>,
  head: boolean,
): Promise<Reply> {
  const versionId = query.get('versionId');
  const cond = conditions(request);
  const withChecksums = header(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  if (query.has('partNumber')) throw notImplemented('partNumber');
  if (head) {
    const options: Parameters<ObjectStore['headObject']>[2] & object = {};
    if (versionId !== undefined) options.versionId = versionId;
    if (cond) options.conditions = cond;
    const info = await ctx.store.headObject(bucket, key, options);
    writeInfoHeaders(reply, info, withChecksums);
    for (const [param, name] of RESPONSE_OVERRIDES) if (query.has(param)) reply.header(name, query.get(param)!);
    reply.header('content-length', String(info.size));
    return reply.code(200).send();
  }
  const options: Parameters<ObjectStore['getObject']>[2] & object = {};
  if (versionId !== undefined) options.versionId = versionId;
  if (cond) options.conditions = cond;
  const range = parseRange(header(request, 'range'));
  if (range) options.range = range;
  const result = await ctx.store.getObject(bucket, key, options);
  writeInfoHeaders(reply, result.info, withChecksums && result.range === undefined);
  for (const [param, name] of RESPONSE_OVERRIDES) if (query.has(param)) reply.header(name, query.get(param)!);
  if (result.range) {
    const { start, end, size } = result.range;
    reply.header('content-range', `bytes ${start}-${end}/${size}`);
    reply.header('content-length', String(end - start + 1));
    reply.code(206);
  } else {
    reply.header('content-length', String(result.info.size));
    reply.code(200);
  }
  const body = result.body as Readable & { recycle?: (chunk: Buffer) => void };
  if (typeof body.recycle === 'function' && typeof body.on === 'function') return sendRecycling(reply, body as Readable & { recycle(chunk: Buffer): void });
  return reply.send(result.body);
}

/**
 * Writes a GET body to the socket here rather than through `reply.send`, to hand each chunk back to the store's
 * reader once the socket has taken it (the write's callback), so a large GET reuses two buffers instead of
 * allocating one per MiB (see the local store's segment-reader.ts: up to 60 MB of RSS waiting for V8's next full
 * collection on a 2 GB GET). Headers go out with the first chunk, so a body that fails before it still gets S3's
 * error document; one that fails later can only be cut short, as with any streamed reply.
 */
function sendRecycling(reply: Reply, body: Readable & { recycle(chunk: Buffer): void }): Reply {
  reply.hijack();
  const res = reply.raw;
  const status = reply.statusCode;
  const headers = reply.getHeaders() as OutgoingHttpHeaders;
  const head = () => {
    if (!res.headersSent) res.writeHead(status, headers);
  };
  res.on('close', () => {
    // The client went away (or the answer is complete): the reader releases its blobs either way.
    if (!body.destroyed) body.destroy();
  });
  body.on('data', (chunk: Buffer) => {
    head();
    const more = res.write(chunk, (err) => {
      if (!err) body.recycle(chunk);
    });
    if (!more) {
      body.pause();
      res.once('drain', () => body.resume());
    }
  });
  body.on('end', () => {
    head();
    res.end();
  });
  body.on('error', (err) => {
    if (res.headersSent) return void res.destroy(err);
    const xml = xmlDocument('Error', [['Code', 'InternalError'], ['Message', 'We encountered an internal error. Please try again.'], ['RequestId', reply.request.id]]);
    res.writeHead(500, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml), 'x-amz-request-id': reply.request.id });
    res.end(xml);
  });
  return reply;
}

async function putObject(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
): Promise<Reply> {
  const prepared = prepareBody(request, identity, ctx.credentials, ctx.maxObjectSize);
  const headers = objectHeaders(request);
  const options: Parameters<ObjectStore['putObject']>[3] & object = {
    ...headers,
    ...requestContext(request, identity),
    checksums: prepared.checksums,
  };
  if (prepared.contentLength !== undefined) options.contentLength = prepared.contentLength;
  if (prepared.contentMd5 !== undefined) options.contentMd5 = prepared.contentMd5;
  if (prepared.sha256 !== undefined) options.sha256 = prepared.sha256;
  const cond: Conditions = {};
  const ifMatch = header(request, 'if-match');
  if (ifMatch !== undefined) cond.ifMatch = ifMatch;
  const ifNoneMatch = header(request, 'if-none-match');
  if (ifNoneMatch !== undefined) cond.ifNoneMatch = ifNoneMatch;
  if (Object.keys(cond).length > 0) options.conditions = cond;
  const result = await ctx.store.putObject(bucket, key, prepared.body, options);
  reply.header('etag', quoted(result.etag));
  versionHeader(reply, result.versionId);
  for (const [algorithm, value] of Object.entries(prepared.checksums)) reply.header(`x-amz-checksum-${algorithm.toLowerCase()}`, value);
  return reply.code(200).send();
}

function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const q = value.indexOf('?');
  const path = (q === -1 ? value : value.slice(0, q)).replace(/^\//, '');
  const slash = path.indexOf('/');
  let decoded: string[];
  try {
    decoded = slash === -1 ? [] : [decodeURIComponent(path.slice(0, slash)), decodeURIComponent(path.slice(slash + 1))];
  } catch {
    decoded = [];
  }
  if (decoded.length !== 2 || decoded[0] === '' || decoded[1] === '') {
    throw new ReflowError('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
      field: 'x-amz-copy-source',
    });
  }
  const out: { bucket: string; key: string; versionId?: string } = { bucket: decoded[0]!, key: decoded[1]! };
  if (q !== -1) {
    const m = /(?:^|&)versionId=([^&]*)/.exec(value.slice(q + 1));
    if (m) out.versionId = decodeURIComponent(m[1]!);
  }
  return out;
}

async function copyObject(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
): Promise<Reply> {
  const source = parseCopySource(header(request, 'x-amz-copy-source')!);
  const directive = (header(request, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new ReflowError('InvalidArgument', 'Unknown metadata directive.', { field: 'x-amz-metadata-directive' });
  }
  const options: Parameters<ObjectStore['copyObject']>[2] & object = { ...requestContext(request, identity), metadataDirective: directive };
  if (directive === 'REPLACE') Object.assign(options, objectHeaders(request));
  if (source.versionId !== undefined) options.sourceVersionId = source.versionId;
  const cond = conditions(request, 'x-amz-copy-source-if-');
  if (cond) options.sourceConditions = cond;
  const result = await ctx.store.copyObject({ bucket: source.bucket, key: source.key }, { bucket, key }, options);
  versionHeader(reply, result.versionId);
  if (result.sourceVersionId !== 'null') reply.header('x-amz-copy-source-version-id', result.sourceVersionId);
  return sendXml(reply, xmlDocument('CopyObjectResult', [['LastModified', isoTime(result.lastModified)], ['ETag', quoted(result.etag)]]));
}

async function deleteObject(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
  query: Map<string, string>,
): Promise<Reply> {
  const options: Parameters<ObjectStore['deleteObject']>[2] & object = requestContext(request, identity);
  const versionId = query.get('versionId');
  if (versionId !== undefined) options.versionId = versionId;
  const result = await ctx.store.deleteObject(bucket, key, options);
  if (result.deleteMarker) reply.header('x-amz-delete-marker', 'true');
  versionHeader(reply, result.versionId);
  return reply.code(204).send();
}

async function deleteObjects(ctx: S3Context, request: FastifyRequest, reply: Reply, identity: SigV4Identity, bucket: string): Promise<Reply> {
  const body = await readSmallBody(request, identity, ctx.credentials);
  const { quiet, objects } = parseDelete(body);
  await ctx.store.headBucket(bucket);
  const results: XmlNode[] = [];
  for (const object of objects) {
    const options: Parameters<ObjectStore['deleteObject']>[2] & object = requestContext(request, identity);
    if (object.versionId !== undefined) options.versionId = object.versionId;
    try {
      const result = await ctx.store.deleteObject(bucket, object.key, options);
      if (quiet) continue;
      const createdMarker = result.deleteMarker && object.versionId === undefined;
      results.push([
        'Deleted',
        [
          ['Key', object.key],
          object.versionId !== undefined && ['VersionId', object.versionId],
          result.deleteMarker && ['DeleteMarker', true],
          createdMarker && result.versionId !== undefined && ['DeleteMarkerVersionId', result.versionId],
          !createdMarker && result.deleteMarker && result.versionId !== undefined && ['DeleteMarkerVersionId', result.versionId],
        ],
      ]);
    } catch (err) {
      if (!isReflowError(err) || err.httpStatus >= 500) throw err;
      results.push([
        'Error',
        [['Key', object.key], object.versionId !== undefined && ['VersionId', object.versionId], ['Code', err.code], ['Message', err.message]],
      ]);
    }
  }
  return sendXml(reply, xmlDocument('DeleteResult', results));
}

// ---------------------------------------------------------------------------------------------------------------
// Multipart

async function createUpload(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
): Promise<Reply> {
  const options: Parameters<ObjectStore['createMultipartUpload']>[2] & object = {
    ...objectHeaders(request),
    ...requestContext(request, identity),
  };
  const { uploadId } = await ctx.store.createMultipartUpload(bucket, key, options);
  const algorithm = header(request, 'x-amz-checksum-algorithm');
  if (algorithm !== undefined) reply.header('x-amz-checksum-algorithm', algorithm);
  return sendXml(reply, xmlDocument('InitiateMultipartUploadResult', [['Bucket', bucket], ['Key', key], ['UploadId', uploadId]]));
}

async function uploadPart(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
  query: Map<string, string>,
): Promise<Reply> {
  const uploadId = query.get('uploadId');
  const partNumber = intParam(query, 'partNumber');
  if (uploadId === undefined || partNumber === undefined) {
    throw new ReflowError('InvalidRequest', 'UploadPart needs both uploadId and partNumber.');
  }
  // Checked before the body is read, so a bad number costs no upload.
  validatePartNumber(partNumber);
  const prepared = prepareBody(request, identity, ctx.credentials, ctx.maxObjectSize);
  const options: Parameters<ObjectStore['uploadPart']>[5] & object = {};
  if (prepared.contentLength !== undefined) options.contentLength = prepared.contentLength;
  if (prepared.contentMd5 !== undefined) options.contentMd5 = prepared.contentMd5;
  if (prepared.sha256 !== undefined) options.sha256 = prepared.sha256;
  const result = await ctx.store.uploadPart(bucket, key, uploadId, partNumber, prepared.body, options);
  reply.header('etag', quoted(result.etag));
  for (const [algorithm, value] of Object.entries(prepared.checksums)) reply.header(`x-amz-checksum-${algorithm.toLowerCase()}`, value);
  return reply.code(200).send();
}

async function completeUpload(
  ctx: S3Context,
  request: FastifyRequest,
  reply: Reply,
  identity: SigV4Identity,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<Reply> {
  const parts = parseCompleteMultipartUpload(await readSmallBody(request, identity, ctx.credentials));
  const result = await ctx.store.completeMultipartUpload(bucket, key, uploadId, parts, requestContext(request, identity));
  versionHeader(reply, result.versionId);
  const host = request.headers.host ?? 'localhost';
  return sendXml(
    reply,
    xmlDocument('CompleteMultipartUploadResult', [
      ['Location', `http://${host}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`],
      ['Bucket', bucket],
      ['Key', key],
      ['ETag', quoted(result.etag)],
    ]),
  );
}
