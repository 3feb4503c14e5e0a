import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
// The real signer the AWS SDKs use (a dependency of @aws-sdk/client-eventbridge); tests only.
import { SignatureV4 } from '@smithy/signature-v4';
import { isReflowError } from '../errors.js';
import { canonicalUri, EMPTY_SHA256, verifySigV4, type SigV4Request } from './sigv4.js';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const keys = (id: string): string | undefined => (id === AKID ? SECRET : undefined);
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** node:crypto behind the checksum interface the signer expects (a secret makes it an HMAC). */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}
function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function signer(service: string, sessionToken?: string, applyChecksum = true): SignatureV4 {
  return new SignatureV4({
    applyChecksum,
    service,
    region: 'eu-west-1',
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) },
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
  });
}

interface Wire {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: string;
}

/** What a server sees of a request the SDK signed: the path and query as sent on the wire. */
async function signed(service: string, wire: Wire, at: Date, sessionToken?: string, applyChecksum = true): Promise<SigV4Request> {
  const req = await signer(service, sessionToken, applyChecksum).sign(
    { method: wire.method, protocol: 'https:', hostname: 'example.com', path: wire.path, query: wire.query, headers: wire.headers, body: wire.body },
    { signingDate: at },
  );
  return { method: req.method, path: req.path, query: wireQuery(req.query as Wire['query']), headers: { ...req.headers } };
}

async function presigned(service: string, wire: Wire, at: Date, expiresIn: number): Promise<SigV4Request> {
  const req = await signer(service).presign(
    { method: wire.method, protocol: 'https:', hostname: 'example.com', path: wire.path, query: wire.query, headers: wire.headers },
    { signingDate: at, expiresIn },
  );
  return { method: req.method, path: req.path, query: wireQuery(req.query as Wire['query']), headers: { ...req.headers } };
}

/** The query string as the SDK puts it on the wire (RFC 3986 encoding). */
function wireQuery(query: Record<string, string | string[] | null>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${enc(k)}=${enc(one)}`);
  }
  return parts.join('&');
}

function rejected(fn: () => unknown): { code: string; message: string; status: number } {
  try {
    fn();
  } catch (e) {
    assert.ok(isReflowError(e), String(e));
    return { code: e.code, message: e.message, status: e.httpStatus };
  }
  assert.fail('expected a rejection');
}

const AT = new Date('2026-03-04T05:06:07Z');
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// ---------------------------------------------------------------------------------------------------------------

describe("AWS's published SigV4 test suite (AKIDEXAMPLE, 20150830T123600Z, us-east-1/service)", () => {
  const now = new Date('2015-08-30T12:36:00Z');
  const vector = (method: string, path: string, query: string, signature: string): SigV4Request => ({
    method,
    path,
    query,
    headers: {
      Host: 'example.amazonaws.com',
      'X-Amz-Date': '20150830T123600Z',
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    },
    payloadHash: EMPTY_SHA256,
  });
  const cases: Array<[string, string, string, string, string]> = [
    ['get-vanilla', 'GET', '/', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['get-vanilla-query-order-key-case', 'GET', '/', 'Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['get-utf8', 'GET', '/ሴ', '', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'],
    ['get-space-normalized', 'GET', '/example space/', '', '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741'],
    ['get-slash-pointless-dot', 'GET', '/./example', '', 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5'],
    ['get-unreserved', 'GET', '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '', '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f'],
    ['post-vanilla', 'POST', '/', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['post-vanilla-query', 'POST', '/', 'Param1=value1', '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11'],
  ];
  for (const [name, method, path, query, signature] of cases) {
    test(name, () => {
      assert.deepEqual(verifySigV4(vector(method, path, query, signature), keys, { now }), {
        accessKeyId: AKID,
        region: 'us-east-1',
        service: 'service',
        presigned: false,
        payloadHash: EMPTY_SHA256,
      });
    });
  }

  test('get-vanilla with one bit of the signature changed is refused', () => {
    const bad = vector('GET', '/', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30');
    assert.deepEqual(rejected(() => verifySigV4(bad, keys, { now })), { code: 'InvalidSignatureException', message: MISMATCH, status: 403 });
  });
});

describe('requests signed by @smithy/signature-v4', () => {
  const putEvents = (): Wire => {
    const body = JSON.stringify({ Entries: [{ Source: 'a', DetailType: 'b', Detail: '{"x":"ü"}' }] });
    return {
      method: 'POST',
      path: '/',
      query: {},
      headers: { host: 'localhost:4010', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents', 'x-custom': '  a   b  ' },
      body,
    };
  };

  test('an EventBridge call (header form)', async () => {
    const wire = putEvents();
    const req = await signed('events', wire, AT);
    const id = verifySigV4({ ...req, payloadHash: sha256(wire.body!) }, keys, { now: AT, service: 'events' });
    assert.deepEqual(id, { accessKeyId: AKID, region: 'eu-west-1', service: 'events', presigned: false, payloadHash: sha256(wire.body!) });
  });

  test('a session token is reported, not checked', async () => {
    const wire = putEvents();
    const req = await signed('events', wire, AT, 'token/with+chars=');
    assert.equal(verifySigV4({ ...req, payloadHash: sha256(wire.body!) }, keys, { now: AT }).sessionToken, 'token/with+chars=');
  });

  test('paths and query strings with special characters, both path rules', async () => {
    const query = { 'a b': 'c+d', x: ['2', '1'], empty: '', ü: '/?&=%', 'tilde~': '(*)!' };
    // The S3 client sends paths RFC 3986-encoded (parentheses too); other services' paths are signed as sent.
    for (const [service, path] of [['events', '/bucket/my%20key%2B%25/%C3%BC/(x)'], ['s3', '/bucket/my%20key%2B%25/%C3%BC/%28x%29']] as const) {
      const wire: Wire = { method: 'GET', path, query, headers: { host: 'example.com' } };
      const req = await signed(service, wire, AT);
      assert.equal(verifySigV4({ ...req, payloadHash: EMPTY_SHA256 }, keys, { now: AT }).service, service, service);
      // A decoded query object works as well, when nothing was lost decoding it.
      assert.equal(verifySigV4({ ...req, query, payloadHash: EMPTY_SHA256 }, keys, { now: AT }).service, service);
    }
  });

  test('S3 style: x-amz-content-sha256 is what is signed, and the body is held to it', async () => {
    const body = 'hello world';
    const wire: Wire = { method: 'PUT', path: '/bucket/key', query: {}, headers: { host: 'example.com', 'x-amz-content-sha256': sha256(body) }, body };
    const req = await signed('s3', wire, AT);
    assert.equal(verifySigV4({ ...req, payloadHash: sha256(body) }, keys, { now: AT }).payloadHash, sha256(body));
    // The server did not hash the body yet: verification passes and says which hash to hold the body to.
    assert.equal(verifySigV4({ ...req, payloadHash: 'UNSIGNED-PAYLOAD' }, keys, { now: AT }).payloadHash, sha256(body));
    assert.deepEqual(rejected(() => verifySigV4({ ...req, payloadHash: sha256('tampered') }, keys, { now: AT })), {
      code: 'InvalidSignatureException',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      status: 403,
    });
    const unsigned: Wire = { ...wire, headers: { host: 'example.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
    const req2 = await signed('s3', unsigned, AT);
    assert.equal(verifySigV4({ ...req2, payloadHash: sha256(body) }, keys, { now: AT }).payloadHash, 'UNSIGNED-PAYLOAD');
  });

  test('tampered body, header, query, method or date is refused', async () => {
    const wire = putEvents();
    const req = await signed('events', wire, AT);
    const good = { ...req, payloadHash: sha256(wire.body!) };
    const mismatch = { code: 'InvalidSignatureException', message: MISMATCH, status: 403 };
    // The SDK sends x-amz-content-sha256 (signed); a body that does not hash to it is refused.
    assert.equal((good.headers as Record<string, string>)['x-amz-content-sha256'], sha256(wire.body!));
    assert.deepEqual(rejected(() => verifySigV4({ ...good, payloadHash: sha256(`${wire.body} `) }, keys, { now: AT })), {
      ...mismatch,
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    });
    // A signer that sends no such header signs the body hash itself: another body, another signature.
    const bare = { ...(await signed('events', wire, AT, undefined, false)), payloadHash: sha256(wire.body!) };
    assert.equal((bare.headers as Record<string, string>)['x-amz-content-sha256'], undefined);
    assert.equal(verifySigV4(bare, keys, { now: AT }).payloadHash, sha256(wire.body!));
    assert.deepEqual(rejected(() => verifySigV4({ ...bare, payloadHash: sha256(`${wire.body} `) }, keys, { now: AT })), mismatch);
    assert.deepEqual(rejected(() => verifySigV4({ ...bare, payloadHash: undefined }, keys, { now: AT })), mismatch);
    assert.deepEqual(rejected(() => verifySigV4({ ...good, headers: { ...good.headers, 'x-amz-target': 'AWSEvents.DeleteRule' } }, keys, { now: AT })), mismatch);
    assert.deepEqual(rejected(() => verifySigV4({ ...good, query: 'extra=1' }, keys, { now: AT })), mismatch);
    assert.deepEqual(rejected(() => verifySigV4({ ...good, method: 'PUT' }, keys, { now: AT })), mismatch);
    assert.deepEqual(rejected(() => verifySigV4({ ...good, path: '/other' }, keys, { now: AT })), mismatch);
    // A later date within the same day keeps the scope but changes the string to sign.
    assert.deepEqual(rejected(() => verifySigV4({ ...good, headers: { ...good.headers, 'x-amz-date': '20260304T050608Z' } }, keys, { now: AT })), mismatch);
    // Another day no longer matches the credential scope.
    assert.match(
      rejected(() => verifySigV4({ ...good, headers: { ...good.headers, 'x-amz-date': '20260305T050607Z' } }, keys, { now: new Date('2026-03-05T05:06:07Z') })).message,
      /^Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260304' != '20260305', from '20260305T050607Z'\.$/,
    );
    // Unsigned headers may change.
    assert.equal(verifySigV4({ ...good, headers: { ...good.headers, 'user-agent': 'other' } }, keys, { now: AT }).accessKeyId, AKID);
  });

  test('unknown key, missing authentication, wrong service', async () => {
    const wire = putEvents();
    const req = await signed('events', wire, AT);
    const good = { ...req, payloadHash: sha256(wire.body!) };
    assert.deepEqual(rejected(() => verifySigV4(good, () => undefined, { now: AT })), {
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
    const { authorization: _a, ...unsignedHeaders } = good.headers as Record<string, string>;
    assert.deepEqual(rejected(() => verifySigV4({ ...good, headers: unsignedHeaders }, keys, { now: AT })), {
      code: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
      status: 403,
    });
    assert.equal(rejected(() => verifySigV4(good, keys, { now: AT, service: 's3' })).message, "Credential should be scoped to correct service: 's3'.");
  });

  test('clock skew: 15 minutes either way, in AWS words', async () => {
    const wire = putEvents();
    const req = { ...(await signed('events', wire, AT)), payloadHash: sha256(wire.body!) };
    const at = (ms: number) => new Date(AT.getTime() + ms);
    assert.equal(verifySigV4(req, keys, { now: at(15 * 60_000) }).accessKeyId, AKID);
    assert.equal(verifySigV4(req, keys, { now: at(-15 * 60_000) }).accessKeyId, AKID);
    assert.deepEqual(rejected(() => verifySigV4(req, keys, { now: at(16 * 60_000) })), {
      code: 'InvalidSignatureException',
      message: 'Signature expired: 20260304T050607Z is now earlier than 20260304T050707Z (20260304T052207Z - 15 min.)',
      status: 403,
    });
    assert.equal(
      rejected(() => verifySigV4(req, keys, { now: at(-16 * 60_000) })).message,
      'Signature not yet current: 20260304T050607Z is still later than 20260304T050507Z (20260304T045007Z + 15 min.)',
    );
    assert.equal(verifySigV4(req, keys, { now: at(16 * 60_000), maxSkewMs: 20 * 60_000 }).accessKeyId, AKID);
  });
});

describe('presigned URLs by @smithy/signature-v4', () => {
  test('S3 GET and an events GET verify until they expire', async () => {
    for (const service of ['s3', 'events']) {
      const wire: Wire = { method: 'GET', path: '/bucket/some%20key', query: { 'response-content-type': 'text/plain' }, headers: { host: 'example.com' } };
      const headers = service === 's3' ? { ...wire.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : wire.headers;
      const req = await presigned(service, { ...wire, headers }, AT, 600);
      assert.equal(typeof req.query, 'string');
      assert.match(req.query as string, /X-Amz-Signature=[0-9a-f]{64}/);
      const id = verifySigV4({ ...req, headers: { host: 'example.com' } }, keys, { now: new Date(AT.getTime() + 599_000) });
      assert.deepEqual({ ...id, payloadHash: undefined }, { accessKeyId: AKID, region: 'eu-west-1', service, presigned: true, payloadHash: undefined });
      assert.equal(
        rejected(() => verifySigV4({ ...req, headers: { host: 'example.com' } }, keys, { now: new Date(AT.getTime() + 601_000) })).message,
        'Signature expired: 20260304T050607Z is now earlier than 20260304T050608Z (20260304T051608Z - 600 sec.)',
      );
      if (service === 's3') assert.equal(id.payloadHash, 'UNSIGNED-PAYLOAD');
      else assert.equal(id.payloadHash, EMPTY_SHA256);
      // Tampered query.
      const tampered = (req.query as string).replace('text%2Fplain', 'text%2Fhtml');
      assert.equal(rejected(() => verifySigV4({ ...req, query: tampered, headers: { host: 'example.com' } }, keys, { now: AT })).message, MISMATCH);
    }
  });

  test('presigned parameters are checked', () => {
    const q = (extra: string) => `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260304%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260304T050607Z&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}${extra}`;
    const req = (query: string): SigV4Request => ({ method: 'GET', path: '/', query, headers: { host: 'example.com' } });
    assert.match(rejected(() => verifySigV4(req(q('')), keys, { now: AT })).message, /requires the X-Amz-Expires parameter/);
    assert.equal(
      rejected(() => verifySigV4(req(q('&X-Amz-Expires=604801')), keys, { now: AT })).message,
      'X-Amz-Expires must be less than a week (in seconds) that is 604800.',
    );
    assert.equal(rejected(() => verifySigV4(req(q('&X-Amz-Expires=60')), keys, { now: AT })).message, MISMATCH);
    assert.match(
      rejected(() => verifySigV4({ ...req(q('&X-Amz-Expires=60')), headers: { host: 'example.com', authorization: 'x' } }, keys, { now: AT })).message,
      /^Only one auth mechanism allowed/,
    );
  });
});

describe('malformed Authorization headers', () => {
  const base = (authorization: string, extra: Record<string, string> = { 'x-amz-date': '20260304T050607Z' }): SigV4Request => ({
    method: 'GET',
    path: '/',
    query: '',
    headers: { host: 'h', authorization, ...extra },
  });
  test('AWS wording', () => {
    assert.equal(rejected(() => verifySigV4(base('AWS AKID:sig'), keys, { now: AT })).message, "Unsupported AWS 'algorithm': 'AWS'. Only 'AWS4-HMAC-SHA256' is supported.");
    assert.equal(
      rejected(() => verifySigV4(base('AWS4-HMAC-SHA256 Credential=a/b', {}), keys, { now: AT })).message,
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a/b",
    );
    assert.equal(
      rejected(() => verifySigV4(base(`AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=${'0'.repeat(64)}`), keys, { now: AT })).message,
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b'",
    );
    assert.equal(
      rejected(() => verifySigV4(base(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/r/s/aws4, SignedHeaders=host, Signature=${'0'.repeat(64)}`), keys, { now: AT })).message,
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'.",
    );
    assert.equal(
      rejected(() => verifySigV4(base(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/r/s/aws4_request, SignedHeaders=x-amz-date, Signature=${'0'.repeat(64)}`), keys, { now: AT })).message,
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
    assert.match(
      rejected(() => verifySigV4(base(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/r/s/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`, { 'x-amz-date': '2026-03-04' }), keys, { now: AT })).message,
      /^Date must be in ISO-8601 'basic format'\. Got '2026-03-04'\./,
    );
  });

  test('a Date header stands in for X-Amz-Date', () => {
    const err = rejected(() =>
      verifySigV4(base(`AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/r/s/aws4_request, SignedHeaders=date;host, Signature=${'0'.repeat(64)}`, { date: AT.toUTCString() }), keys, { now: AT }),
    );
    assert.equal(err.message, MISMATCH);
  });
});

describe('canonical URI', () => {
  test('other services: normalized and encoded twice; S3: as sent, encoded once', () => {
    assert.equal(canonicalUri('/a//b/./c/../d/', false), '/a/b/d/');
    assert.equal(canonicalUri('/my%20key', false), '/my%2520key');
    assert.equal(canonicalUri('/my%20key', true), '/my%20key');
    assert.equal(canonicalUri('/a//b/./c', true), '/a//b/./c');
    assert.equal(canonicalUri('/(x)%28y%29', true), '/%28x%29%28y%29');
    assert.equal(canonicalUri('/a%2Fb', true), '/a%2Fb');
    assert.equal(canonicalUri('', false), '/');
    assert.equal(canonicalUri('/x?y=1', false), '/x');
  });
});
