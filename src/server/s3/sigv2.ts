/**
 * S3's legacy Signature Version 2 (HMAC-SHA1), verified because real clients still send it: aws-cli v1's
 * `aws s3 presign` writes `?AWSAccessKeyId=…&Expires=…&Signature=…` URLs unless the user configures `s3v4`, and
 * older tools sign `Authorization: AWS AKID:signature`. Only S3 ever had this form, so it lives with the S3 endpoint
 * rather than beside the SigV4 verifier that every API shares.
 *
 * StringToSign = Verb \n Content-MD5 \n Content-Type \n (Expires | Date) \n CanonicalizedAmzHeaders CanonicalizedResource,
 * where the resource is the path as sent (path-style `/bucket/key`; `/bucket` is prefixed for virtual-host style)
 * plus the sub-resources S3 lists, sorted, with decoded values. A SigV2 signature covers no payload, so the body is
 * read as `UNSIGNED-PAYLOAD` and held only to Content-MD5 and any `x-amz-checksum-*` it carries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ReflowError } from '../../errors.js';
import { UNSIGNED_PAYLOAD, type SigV4Identity } from '../../security/sigv4.js';

export interface SigV2Request {
  method: string;
  /** The path as sent (percent-encoded), without the query. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Set for virtual-host addressing: the resource signed is `/<bucket><path>`. */
  virtualHostBucket?: string;
}

/** The query parameters that are part of the signed resource (S3's list, as botocore's HmacV1Auth has it). */
const SUB_RESOURCES = new Set([
  'accelerate', 'acl', 'cors', 'defaultObjectAcl', 'location', 'logging', 'partNumber', 'policy', 'requestPayment',
  'torrent', 'versioning', 'versionId', 'versions', 'website', 'uploads', 'uploadId', 'response-content-type',
  'response-content-language', 'response-expires', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'delete', 'lifecycle', 'tagging', 'restore', 'storageClass', 'notification',
  'replication', 'inventory', 'analytics', 'metrics', 'encryption', 'object-lock', 'legal-hold', 'retention', 'select',
  'select-type',
]);

const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

// As botocore's HmacV1 does: values are unquoted, `+` stays `+`, and `name=` keeps its `=` (what the client sent).
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function pairs(query: string): Array<[string, string | undefined]> {
  if (query === '') return [];
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq === -1 ? [decode(p), undefined] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
    });
}

function headerText(headers: SigV2Request['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** True when the request carries a SigV2 signature (query or header form). */
export function isSigV2(request: Pick<SigV2Request, 'query' | 'headers'>): boolean {
  const auth = headerText(request.headers, 'authorization');
  if (auth !== undefined) return /^AWS [^\s:]+:/.test(auth.trim());
  return /(?:^|&)AWSAccessKeyId=/.test(request.query) && /(?:^|&)Signature=/.test(request.query);
}

export function stringToSignV2(request: SigV2Request, dateOrExpires: string): string {
  const amz = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-amz-') || value === undefined) continue;
    const text = (Array.isArray(value) ? value.join(',') : value).trim();
    amz.set(lower, amz.has(lower) ? `${amz.get(lower)},${text}` : text);
  }
  const amzLines = [...amz.keys()].sort().map((k) => `${k}:${amz.get(k)}\n`).join('');
  const subs = pairs(request.query)
    .filter(([k]) => SUB_RESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  const resource = `${request.virtualHostBucket !== undefined ? `/${request.virtualHostBucket}` : ''}${request.path}${
    subs.length > 0 ? `?${subs.join('&')}` : ''
  }`;
  return [
    request.method.toUpperCase(),
    headerText(request.headers, 'content-md5') ?? '',
    headerText(request.headers, 'content-type') ?? '',
    dateOrExpires,
    `${amzLines}${resource}`,
  ].join('\n');
}

export function signV2(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Verifies a SigV2 request and returns the signer in the shape SigV4 verification returns. Throws ReflowError with
 * S3's codes: InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied (`Request has expired`), RequestTimeTooSkewed,
 * AuthorizationHeaderMalformed (no usable date), InvalidArgument (malformed query form).
 */
export function verifySigV2(
  request: SigV2Request,
  credentials: (accessKeyId: string) => string | undefined,
  options: { now?: Date; maxSkewMs?: number; region: string },
): SigV4Identity {
  const now = (options.now ?? new Date()).getTime();
  const auth = headerText(request.headers, 'authorization')?.trim();
  let accessKeyId: string;
  let signature: string;
  let dateOrExpires: string;
  let presigned: boolean;
  if (auth !== undefined) {
    const m = /^AWS ([^\s:]+):(\S+)$/.exec(auth);
    if (!m) throw new ReflowError('AuthorizationHeaderMalformed', 'The authorization header is malformed.', { field: 'Authorization' });
    [, accessKeyId, signature] = m as unknown as [string, string, string];
    const amzDate = headerText(request.headers, 'x-amz-date');
    const date = headerText(request.headers, 'date');
    // With x-amz-date present the Date line is empty: the date is signed among the x-amz-* headers.
    dateOrExpires = amzDate !== undefined ? '' : (date ?? '');
    const at = Date.parse(amzDate ?? date ?? '');
    if (Number.isNaN(at)) {
      throw new ReflowError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', { field: 'Date' });
    }
    if (Math.abs(now - at) > (options.maxSkewMs ?? 15 * 60_000)) {
      throw new ReflowError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    presigned = false;
  } else {
    const params = new Map(pairs(request.query));
    const expires = params.get('Expires');
    accessKeyId = params.get('AWSAccessKeyId') ?? '';
    signature = params.get('Signature') ?? '';
    if (expires === undefined || !/^\d+$/.test(expires)) {
      throw new ReflowError('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters', {
        field: 'Expires',
      });
    }
    if (now > Number(expires) * 1000) throw new ReflowError('AccessDenied', 'Request has expired');
    dateOrExpires = expires;
    presigned = true;
  }
  const secret = credentials(accessKeyId);
  if (secret === undefined) {
    throw new ReflowError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  const stringToSign = stringToSignV2(request, dateOrExpires);
  const expected = Buffer.from(signV2(secret, stringToSign), 'base64');
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ReflowError('SignatureDoesNotMatch', MISMATCH, { cause: new Error(`String to sign:\n${stringToSign}`) });
  }
  return { accessKeyId, region: options.region, service: 's3', presigned, payloadHash: UNSIGNED_PAYLOAD };
}
