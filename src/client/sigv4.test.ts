import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { signRequest } from './sigv4.js';
import { verifySigV4 } from '../security/sigv4.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const lookup = (id: string) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe("the client's SigV4 signer", () => {
  it('signs what the server verifies (query, body, extra headers)', () => {
    const url = new URL('http://127.0.0.1:7070/reflow/v1/tail?pattern=%7B%22source%22%3A%20%5B%22a+b%22%5D%7D&bus=my-bus&after=3');
    const body = '{"specversion":"1.0"}';
    const headers = signRequest({ method: 'POST', url, headers: { 'content-type': 'application/cloudevents+json', 'ce-id': '1' }, body }, credentials, 'us-east-1');
    const identity = verifySigV4(
      { method: 'POST', path: url.pathname, query: url.search.slice(1), headers: { ...headers, host: url.host }, payloadHash: sha256(body) },
      lookup,
      { service: 'events' },
    );
    assert.equal(identity.accessKeyId, credentials.accessKeyId);
    assert.equal(identity.region, 'us-east-1');
  });

  it('is rejected with another secret', () => {
    const url = new URL('http://127.0.0.1:7070/');
    const headers = signRequest({ method: 'GET', url, headers: {} }, { ...credentials, secretAccessKey: 'wrong' }, 'us-east-1');
    assert.throws(
      () => verifySigV4({ method: 'GET', path: '/', query: '', headers: { ...headers, host: url.host }, payloadHash: sha256('') }, lookup),
      { name: 'InvalidSignatureException' },
    );
  });
});
