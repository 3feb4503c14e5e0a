/** SigV2 against the worked examples in Amazon S3's "Signing and authenticating REST requests" guide. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signV2, stringToSignV2, verifySigV2, isSigV2 } from './sigv2.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const credentials = (id: string) => (id === AKID ? SECRET : undefined);

test("AWS's examples: object GET, object PUT, list, query-string authentication", () => {
  const get = { method: 'GET', path: '/photos/puppy.jpg', query: '', headers: {}, virtualHostBucket: 'johnsmith' };
  assert.equal(signV2(SECRET, stringToSignV2(get, 'Tue, 27 Mar 2007 19:36:42 +0000')), 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=');
  const put = { ...get, method: 'PUT', headers: { 'content-type': 'image/jpeg', 'content-length': '94328' } };
  assert.equal(signV2(SECRET, stringToSignV2(put, 'Tue, 27 Mar 2007 21:15:45 +0000')), 'MyyxeRY7whkBe+bq8fHCL/2kKUg=');
  // Listing parameters are not sub-resources: they are not signed.
  const list = { ...get, path: '/', query: 'prefix=photos&max-keys=50&marker=puppy' };
  assert.equal(signV2(SECRET, stringToSignV2(list, 'Tue, 27 Mar 2007 19:42:41 +0000')), 'htDYFYduRNen8P9ZfE/s9SuKy0U=');
  assert.equal(signV2(SECRET, stringToSignV2(get, '1175139620')), 'NpgCjnDzrM+WFzoENXmpNDUsSn8=');
});

test('sub-resources are signed sorted, with their decoded values; x-amz-* headers sorted and trimmed', () => {
  const text = stringToSignV2(
    { method: 'GET', path: '/b/k', query: 'versionId=a%2Bb&prefix=x&uploads=&acl', headers: { 'x-amz-z': ' 2 ', 'X-Amz-A': '1', 'content-md5': 'm' } },
    '9',
  );
  assert.equal(text, 'GET\nm\n\n9\nx-amz-a:1\nx-amz-z:2\n/b/k?acl&uploads=&versionId=a+b');
});

test('query form: valid, expired, wrong secret, unknown key', () => {
  const now = new Date(1_175_139_000_000);
  const url = (sig: string, expires = '1175139620', id = AKID) => ({
    method: 'GET',
    path: '/photos/puppy.jpg',
    query: `AWSAccessKeyId=${id}&Signature=${encodeURIComponent(sig)}&Expires=${expires}`,
    headers: { host: 'johnsmith.localhost' },
    virtualHostBucket: 'johnsmith',
  });
  const good = url('NpgCjnDzrM+WFzoENXmpNDUsSn8=');
  assert.equal(isSigV2(good), true);
  const identity = verifySigV2(good, credentials, { now, region: 'us-east-1' });
  assert.equal(identity.accessKeyId, AKID);
  assert.equal(identity.presigned, true);
  assert.equal(identity.payloadHash, 'UNSIGNED-PAYLOAD');
  assert.throws(() => verifySigV2(good, credentials, { now: new Date(1_175_139_621_000), region: 'us-east-1' }), {
    code: 'AccessDenied',
    message: 'Request has expired',
  });
  assert.throws(() => verifySigV2(url('AAAAAAAAAAAAAAAAAAAAAAAAAAA='), credentials, { now, region: 'us-east-1' }), { code: 'SignatureDoesNotMatch' });
  assert.throws(() => verifySigV2(url('NpgCjnDzrM+WFzoENXmpNDUsSn8=', '1175139620', 'AKIAOTHER'), credentials, { now, region: 'us-east-1' }), {
    code: 'InvalidAccessKeyId',
  });
  assert.throws(() => verifySigV2(url('x', 'soon'), credentials, { now, region: 'us-east-1' }), { code: 'AccessDenied' });
});

test('header form: valid, clock skew, malformed', () => {
  const date = 'Tue, 27 Mar 2007 19:36:42 +0000';
  const request = (auth: string, headers: Record<string, string> = { date }) => ({
    method: 'GET',
    path: '/johnsmith/photos/puppy.jpg',
    query: '',
    headers: { ...headers, authorization: auth },
  });
  const now = new Date(Date.parse(date) + 60_000);
  const ok = request(`AWS ${AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`);
  assert.equal(isSigV2(ok), true);
  assert.equal(verifySigV2(ok, credentials, { now, region: 'us-east-1' }).presigned, false);
  assert.throws(() => verifySigV2(ok, credentials, { now: new Date(Date.parse(date) + 3_600_000), region: 'us-east-1' }), {
    code: 'RequestTimeTooSkewed',
  });
  assert.throws(() => verifySigV2(request('AWS nonsense'), credentials, { now, region: 'us-east-1' }), { code: 'AuthorizationHeaderMalformed' });
  assert.equal(isSigV2(request('AWS4-HMAC-SHA256 Credential=x')), false);
});
