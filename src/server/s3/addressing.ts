/**
 * Which bucket and key a request names. Path style: `/bucket/key…`. Virtual-host style: `Host: bucket.localhost:7071`
 * and the whole path is the key. The key is the percent-decoded rest of the path, exactly (S3 keeps `//`, a
 * trailing `/` and `+` as they are).
 */
import type { FastifyRequest } from 'fastify';
import { ReflowError } from '../../errors.js';

export interface S3Address {
  bucket?: string;
  key?: string;
  /** Decoded query parameters (first value of each). */
  query: Map<string, string>;
  virtualHost: boolean;
}

export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    throw new ReflowError('InvalidArgument', `The ${what} is not correctly percent-encoded.`, { cause: err });
  }
}

export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    // `+` in a query value is a space (form encoding), which is how clients send prefixes with spaces.
    const name = decode((eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' '), 'query');
    const value = eq === -1 ? '' : decode(part.slice(eq + 1).replace(/\+/g, ' '), 'query');
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export function resolveAddress(request: FastifyRequest, domains: string[]): S3Address {
  const { path, query } = splitUrl(request.raw.url ?? '/');
  const params = parseQuery(query);
  const host = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  for (const domain of [...domains].sort((a, b) => b.length - a.length)) {
    if (host.endsWith(`.${domain}`)) {
      const bucket = host.slice(0, -domain.length - 1);
      const rest = path.startsWith('/') ? path.slice(1) : path;
      const address: S3Address = { bucket, query: params, virtualHost: true };
      if (rest !== '') address.key = decode(rest, 'key');
      return address;
    }
  }
  const rest = path.startsWith('/') ? path.slice(1) : path;
  if (rest === '') return { query: params, virtualHost: false };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decode(rest, 'bucket'), query: params, virtualHost: false };
  const address: S3Address = { bucket: decode(rest.slice(0, slash), 'bucket'), query: params, virtualHost: false };
  const key = rest.slice(slash + 1);
  if (key !== '') address.key = decode(key, 'key');
  return address;
}
