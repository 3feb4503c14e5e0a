/**
 * AWS Signature Version 4 verification (AWS4-HMAC-SHA256), for the EventBridge API and the S3 endpoint.
 *
 * Both forms a client can sign with:
 * - the Authorization header: `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/events/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=…`, with the time in `X-Amz-Date` (or `Date`);
 * - a presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
 *   `X-Amz-Signature` in the query.
 *
 * The canonical request follows AWS's "Create a canonical request" rules: for every service but S3 the path is
 * normalized (empty, `.` and `..` segments) and URI-encoded twice (the path as sent, encoded again); for S3 it is not
 * normalized and each segment is URI-encoded once (from its decoded form, so `(` and `%28` sign alike). Query
 * parameters are decoded, URI-encoded (RFC 3986 unreserved characters kept), sorted by name then value. Signed
 * headers are lowercased, values trimmed with inner runs of blanks folded, repeated values joined with `,`. The hashed
 * payload is `x-amz-content-sha256` when sent (S3 requires it), else the caller's `payloadHash`, else (presigned S3)
 * `UNSIGNED-PAYLOAD`.
 *
 * Pass the path exactly as it came on the wire (still percent-encoded) and preferably the raw query string: a parsed
 * query object has already lost what `+` meant.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ReflowError } from '../errors.js';

export interface SigV4Request {
  method: string;
  /** The path as sent (percent-encoded), without the query. A `?…` suffix is ignored. */
  path: string;
  /** The raw query string (without `?`), or decoded parameters. */
  query: Record<string, string | string[]> | string;
  headers: Record<string, string | string[] | undefined>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` when the body is not hashed (yet). */
  payloadHash?: string;
}

export interface SigV4Options {
  /** The clock (default: now). */
  now?: Date;
  /** Allowed clock skew for the header form (default 15 minutes, AWS's). */
  maxSkewMs?: number;
  /** The service the credential scope must name (`events`, `s3`); any when absent. */
  service?: string;
}

export interface SigV4Identity {
  accessKeyId: string;
  region: string;
  service: string;
  /** How the request was signed. */
  presigned: boolean;
  /** The payload hash the signature covers: a hex digest, `UNSIGNED-PAYLOAD` or `STREAMING-…`. A caller that did not
   * hash the body before verifying must check the body against a hex value here. */
  payloadHash: string;
  /** `X-Amz-Security-Token`, when the client sent one (not verified here). */
  sessionToken?: string;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_EXPIRES_S = 604_800;
const DEFAULT_SKEW_MS = 15 * 60_000;

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Verifies a SigV4-signed request and returns who signed it. Throws ReflowError:
 * `MissingAuthenticationTokenException` (no signature at all), `UnrecognizedClientException` (unknown access key:
 * `The security token included in the request is invalid.`), `InvalidSignatureException` (malformed authorization,
 * wrong scope, expired or not yet valid, payload hash mismatch, or a signature that does not match; the canonical
 * request and string to sign are kept in the error's `cause` for logs).
 */
export function verifySigV4(
  req: SigV4Request,
  credentials: (accessKeyId: string) => string | undefined,
  options: SigV4Options = {},
): SigV4Identity {
  const headers = lowerCaseHeaders(req.headers);
  const params = queryPairs(req.query);
  const authorization = headers.get('authorization');
  const queryAlgorithm = firstParam(params, 'X-Amz-Algorithm');
  const querySignature = firstParam(params, 'X-Amz-Signature');
  if (authorization !== undefined && (queryAlgorithm !== undefined || querySignature !== undefined)) {
    throw invalidSignature(
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  const now = (options.now ?? new Date()).getTime();

  let parsed: Parsed;
  if (authorization !== undefined) parsed = parseAuthorizationHeader(authorization, headers);
  else if (queryAlgorithm !== undefined || querySignature !== undefined) parsed = parsePresigned(params);
  else throw new ReflowError('MissingAuthenticationTokenException', 'Missing Authentication Token');

  const { scope } = parsed;
  if (options.service !== undefined && scope.service !== options.service) {
    throw invalidSignature(`Credential should be scoped to correct service: '${options.service}'.`);
  }
  if (scope.date !== parsed.amzDate.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${parsed.amzDate.slice(0, 8)}', from '${parsed.amzDate}'.`,
    );
  }
  if (!parsed.signedHeaders.includes('host') && !parsed.signedHeaders.includes(':authority')) {
    throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  checkTime(parsed, now, options.maxSkewMs ?? DEFAULT_SKEW_MS);

  const secret = credentials(scope.accessKeyId);
  if (secret === undefined) {
    throw new ReflowError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const payloadHash = signedPayloadHash(parsed, headers, params, req.payloadHash, scope.service);
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.path, scope.service === 's3'),
    canonicalQuery(params),
    parsed.signedHeaders.map((h) => `${h}:${canonicalHeaderValue(headers.get(h))}\n`).join(''),
    parsed.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${parsed.amzDate}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', signingKey(secret, scope.date, scope.region, scope.service))
    .update(stringToSign, 'utf8')
    .digest();

  const given = /^[0-9a-f]{64}$/i.test(parsed.signature) ? Buffer.from(parsed.signature, 'hex') : undefined;
  if (given === undefined || !timingSafeEqual(given, expected)) {
    throw new ReflowError('InvalidSignatureException', MISMATCH, {
      cause: new Error(`Canonical request:\n${canonicalRequest}\n\nString to sign:\n${stringToSign}`),
    });
  }
  // Checked after the signature, so a forged header cannot be told apart from a wrong key: the signature covers the
  // claimed hash, and here the body is held to it.
  if (
    req.payloadHash !== undefined &&
    /^[0-9a-f]{64}$/i.test(req.payloadHash) &&
    /^[0-9a-f]{64}$/i.test(payloadHash) &&
    req.payloadHash.toLowerCase() !== payloadHash.toLowerCase()
  ) {
    throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const identity: SigV4Identity = {
    accessKeyId: scope.accessKeyId,
    region: scope.region,
    service: scope.service,
    presigned: parsed.presigned,
    payloadHash,
  };
  const token = parsed.presigned ? firstParam(params, 'X-Amz-Security-Token') : headers.get('x-amz-security-token');
  if (token !== undefined) identity.sessionToken = token;
  return identity;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing the two forms

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

interface Parsed {
  presigned: boolean;
  scope: Scope;
  signedHeaders: string[];
  signature: string;
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string;
  /** Presigned only. */
  expiresS?: number;
}

function parseAuthorizationHeader(value: string, headers: Map<string, string>): Parsed {
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw invalidSignature(`Unsupported AWS 'algorithm': '${algorithm}'. Only '${ALGORITHM}' is supported.`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!fields.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  const rawDate = headers.get('x-amz-date') ?? headers.get('date');
  if (rawDate === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (missing.length > 0) throw invalidSignature(`${missing.join(' ')} Authorization=${value}`);
  return {
    presigned: false,
    scope: parseCredential(fields.get('Credential')!),
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
    amzDate: headers.has('x-amz-date') ? parseAmzDate(rawDate!) : httpDateToAmz(rawDate!),
  };
}

function parsePresigned(params: Array<[string, string]>): Parsed {
  const get = (name: string): string | undefined => firstParam(params, name);
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'].filter(
    (n) => get(n) === undefined,
  );
  if (missing.length > 0) {
    throw invalidSignature(`Query-string authentication requires the ${missing.join(', ')} parameter${missing.length === 1 ? '' : 's'}.`);
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw invalidSignature(`X-Amz-Algorithm only supports "${ALGORITHM}".`);
  }
  const expires = get('X-Amz-Expires')!;
  if (!/^\d+$/.test(expires)) throw invalidSignature('X-Amz-Expires should be a number.');
  const expiresS = Number(expires);
  if (expiresS > MAX_EXPIRES_S) {
    throw invalidSignature(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES_S}.`);
  }
  return {
    presigned: true,
    scope: parseCredential(get('X-Amz-Credential')!),
    signedHeaders: get('X-Amz-SignedHeaders')!.split(';'),
    signature: get('X-Amz-Signature')!,
    amzDate: parseAmzDate(get('X-Amz-Date')!),
    expiresS,
  };
}

function parseCredential(credential: string): Scope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw invalidSignature(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request') {
    throw invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  }
  return { accessKeyId, date, region, service };
}

function parseAmzDate(value: string): string {
  const v = value.trim();
  if (!/^\d{8}T\d{6}Z$/.test(v) || Number.isNaN(amzDateToMs(v))) {
    throw invalidSignature(`Date must be in ISO-8601 'basic format'. Got '${v}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  return v;
}

function httpDateToAmz(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidSignature(`Date must be an HTTP date or X-Amz-Date an ISO-8601 'basic format' date. Got '${value}'.`);
  return msToAmzDate(ms);
}

function amzDateToMs(d: string): number {
  return Date.UTC(
    Number(d.slice(0, 4)),
    Number(d.slice(4, 6)) - 1,
    Number(d.slice(6, 8)),
    Number(d.slice(9, 11)),
    Number(d.slice(11, 13)),
    Number(d.slice(13, 15)),
  );
}

function msToAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function checkTime(parsed: Parsed, now: number, maxSkewMs: number): void {
  const signedAt = amzDateToMs(parsed.amzDate);
  const nowText = msToAmzDate(now);
  if (parsed.presigned) {
    const expiresMs = parsed.expiresS! * 1000;
    if (now > signedAt + expiresMs) {
      throw invalidSignature(
        `Signature expired: ${parsed.amzDate} is now earlier than ${msToAmzDate(now - expiresMs)} (${nowText} - ${parsed.expiresS} sec.)`,
      );
    }
  } else if (signedAt < now - maxSkewMs) {
    throw invalidSignature(
      `Signature expired: ${parsed.amzDate} is now earlier than ${msToAmzDate(now - maxSkewMs)} (${nowText} - ${skewText(maxSkewMs)}.)`,
    );
  }
  if (signedAt > now + maxSkewMs) {
    throw invalidSignature(
      `Signature not yet current: ${parsed.amzDate} is still later than ${msToAmzDate(now + maxSkewMs)} (${nowText} + ${skewText(maxSkewMs)}.)`,
    );
  }
}

function skewText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} sec`;
}

function signedPayloadHash(
  parsed: Parsed,
  headers: Map<string, string>,
  params: Array<[string, string]>,
  callerHash: string | undefined,
  service: string,
): string {
  const header = headers.get('x-amz-content-sha256');
  if (parsed.presigned) {
    // The JS SDK hoists the header into the query under its lower-case name.
    const fromQuery = params.find(([k]) => k.toLowerCase() === 'x-amz-content-sha256')?.[1];
    if (fromQuery !== undefined) return fromQuery;
    if (header !== undefined) return header.trim();
    // S3 presigned URLs sign no payload; other services sign the (usually empty) body.
    if (service === 's3') return UNSIGNED_PAYLOAD;
    return callerHash ?? EMPTY_SHA256;
  }
  if (header !== undefined) return header.trim();
  // With no hash given the empty body's is assumed: a request with a body then fails verification (fail closed).
  return callerHash ?? EMPTY_SHA256;
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical forms

/** RFC 3986 encoding AWS uses: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
export function awsUriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function safeEncode(value: string): string {
  try {
    return awsUriEncode(value);
  } catch {
    return value; // lone surrogates: nothing a client could have signed either
  }
}

/** The canonical URI of a path as sent. */
export function canonicalUri(rawPath: string, s3: boolean): string {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  if (path === '') return '/';
  if (s3) return path.split('/').map((seg) => safeEncode(safeDecode(seg))).join('/');
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  // The path as sent is encoded once more: `%20` becomes `%2520`.
  return safeEncode(normalized).replace(/%2F/g, '/');
}

/** Name/value pairs, decoded, in the order given. */
function queryPairs(query: SigV4Request['query']): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (typeof query === 'string') {
    const text = query.startsWith('?') ? query.slice(1) : query;
    if (text === '') return pairs;
    for (const part of text.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      pairs.push([safeDecode(name), safeDecode(value)]);
    }
    return pairs;
  }
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
    else if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

function firstParam(pairs: Array<[string, string]>, name: string): string | undefined {
  for (const [k, v] of pairs) if (k === name) return v;
  return undefined;
}

/** Sorted `name=value` pairs, both encoded, without X-Amz-Signature. */
export function canonicalQuery(pairs: Array<[string, string]>): string {
  const encoded: Array<[string, string]> = [];
  for (const [k, v] of pairs) {
    if (k === 'X-Amz-Signature') continue;
    encoded.push([safeEncode(k), safeEncode(v)]);
  }
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

function lowerCaseHeaders(headers: SigV4Request['headers']): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const text = Array.isArray(value) ? value.join(',') : value;
    const prev = out.get(lower);
    out.set(lower, prev === undefined ? text : `${prev},${text}`);
  }
  return out;
}

function canonicalHeaderValue(value: string | undefined): string {
  if (value === undefined) return '';
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Crypto

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const keyCache = new Map<string, Buffer>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"), cached per day. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${date}\u0000${region}\u0000${service}\u0000${secret}`;
  let key = keyCache.get(cacheKey);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update(service).digest();
    key = createHmac('sha256', kService).update('aws4_request').digest();
    if (keyCache.size >= 256) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

function invalidSignature(message: string): ReflowError {
  return new ReflowError('InvalidSignatureException', message);
}
