/**
 * CloudEvents 1.0 over HTTP (the HTTP protocol binding, JSON event format), mapped onto PutEvents entries and back.
 *
 * Content modes accepted by `fromCloudEventsHttp`:
 * - structured: `Content-Type: application/cloudevents+json` (body: one event as JSON);
 * - batched:    `Content-Type: application/cloudevents-batch+json` (body: a JSON array of events, possibly empty);
 * - binary:     any other Content-Type, attributes in `ce-*` headers (values percent-decoded, quoted strings
 *               unescaped), body = data with the Content-Type as its `datacontenttype`.
 *
 * Mapping onto an entry:
 * | CloudEvents | entry / envelope |
 * |---|---|
 * | `id` | `EventId` (the bus may keep it as the event id) |
 * | `source` | `Source` |
 * | `type` | `DetailType` |
 * | `time` | `Time` (RFC 3339 string) |
 * | `data`, a JSON object | `Detail` = that object |
 * | `data`, any other JSON value (string, number, list, boolean, null) or text | `Detail` = `{"data": value}` |
 * | `data_base64`, or a binary body that is neither JSON nor text | `Detail` = `{"data_base64": "…"}` |
 * | every other attribute (`specversion`, `datacontenttype`, `dataschema`, `subject`, extensions) | `detail.cloudevents` |
 *
 * `detail.cloudevents` always holds `specversion` (so the origin is visible to patterns and `toCloudEvent` can map
 * back); when data had to be wrapped it also holds `"$wrapped": "data" | "data_base64"`, a key no CloudEvents attribute
 * can have (attribute names are `[a-z0-9]`). Event data whose top level already has a `cloudevents` member is
 * refused rather than overwritten.
 *
 * Errors are `ReflowError('InvalidArgument', message naming the attribute, { field })`; in a batch the field is
 * prefixed by the event's index (`[2].id`). The caller still runs the usual PutEvents checks on the entries
 * (validatePutEventsRequest, checkEntry).
 */
import { ReflowError } from '../errors.js';
import { timeToEpochMs } from './entry.js';
import type { EventEnvelope, PutEventsRequestEntry } from './envelope.js';

/** A CloudEvent in the JSON event format. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  dataschema?: string;
  datacontenttype?: string;
  data?: unknown;
  data_base64?: string;
  /** Extension attributes (string, integer or boolean values). */
  [extension: string]: unknown;
}

export type CloudEventEntry = PutEventsRequestEntry & { EventId?: string };

type Headers = Record<string, string | string[] | undefined>;

const CORE = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype', 'data', 'data_base64']);
/** The core attributes toCloudEvent takes back from detail.cloudevents (the others come from the envelope). */
const RESTORED = new Set(['datacontenttype', 'dataschema', 'subject']);
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** The member of `detail` that carries the attributes the envelope has no place for. */
export const CLOUDEVENTS_MEMBER = 'cloudevents';
const WRAPPED = '$wrapped';

// ---------------------------------------------------------------------------------------------------------------
// HTTP → entries

/** The entries carried by one CloudEvents HTTP request (one, or a batch). */
export function fromCloudEventsHttp(headers: Headers, body: Buffer): CloudEventEntry[] {
  const contentType = header(headers, 'content-type');
  const mediaType = contentType === undefined ? '' : contentType.split(';', 1)[0]!.trim().toLowerCase();

  if (mediaType.startsWith('application/cloudevents-batch')) {
    if (mediaType !== 'application/cloudevents-batch+json') throw unsupportedFormat(mediaType);
    const parsed = parseJsonBody(body, 'body');
    if (!Array.isArray(parsed)) throw invalid('a batch must be a JSON array of events', '');
    return parsed.map((event, i) => fromStructured(event, `[${i}]`));
  }
  if (mediaType.startsWith('application/cloudevents')) {
    if (mediaType !== 'application/cloudevents+json') throw unsupportedFormat(mediaType);
    return [fromStructured(parseJsonBody(body, 'body'), '')];
  }
  return [fromBinary(headers, contentType, mediaType, body)];
}

function fromStructured(event: unknown, prefix: string): CloudEventEntry {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw invalid('a structured CloudEvent must be a JSON object', prefix);
  }
  const e = event as Record<string, unknown>;
  const attrs = readAttributes(
    (name) => (e[name] === null ? undefined : e[name]),
    Object.keys(e).filter((k) => !CORE.has(k) && e[k] !== null),
    prefix,
  );
  const hasData = e.data !== undefined;
  const hasBase64 = e.data_base64 !== undefined && e.data_base64 !== null;
  if (hasData && hasBase64) throw invalid("an event carries 'data' or 'data_base64', not both", field(prefix, 'data_base64'));
  let detail: string;
  if (hasBase64) {
    if (typeof e.data_base64 !== 'string' || !BASE64.test(e.data_base64.replace(/\s+/g, ''))) {
      throw invalid("CloudEvents attribute 'data_base64' must be a base64 string", field(prefix, 'data_base64'));
    }
    detail = wrappedDetail('data_base64', e.data_base64, attrs);
  } else if (!hasData) {
    detail = JSON.stringify({ [CLOUDEVENTS_MEMBER]: attrs.meta });
  } else if (isPlainObject(e.data)) {
    if (Object.prototype.hasOwnProperty.call(e.data, CLOUDEVENTS_MEMBER)) throw reservedMember(prefix);
    detail = JSON.stringify({ ...e.data, [CLOUDEVENTS_MEMBER]: attrs.meta });
  } else {
    detail = wrappedDetail('data', e.data, attrs);
  }
  return toEntry(attrs, detail);
}

function fromBinary(headers: Headers, contentType: string | undefined, mediaType: string, body: Buffer): CloudEventEntry {
  const values = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (!name.startsWith('ce-') || rawValue === undefined) continue;
    const attr = name.slice(3);
    if (Array.isArray(rawValue) && rawValue.length > 1) {
      throw invalid(`CloudEvents attribute '${attr}' is given more than once`, attr);
    }
    const value = Array.isArray(rawValue) ? rawValue[0] : rawValue;
    if (value === undefined) continue;
    values.set(attr, decodeHeaderValue(value, attr));
  }
  if (!values.has('specversion')) {
    throw invalid(
      "not a CloudEvent: no 'ce-specversion' header, and Content-Type is not application/cloudevents+json",
      'specversion',
    );
  }
  if (values.has('datacontenttype')) {
    throw invalid("in binary mode 'datacontenttype' is the Content-Type header; 'ce-datacontenttype' must not be sent", 'datacontenttype');
  }
  if (contentType !== undefined) values.set('datacontenttype', contentType);
  const attrs = readAttributes(
    (name) => values.get(name),
    [...values.keys()].filter((k) => !CORE.has(k)),
    '',
  );

  let detail: string;
  if (body.length === 0) {
    detail = JSON.stringify({ [CLOUDEVENTS_MEMBER]: attrs.meta });
  } else if (isJsonMediaType(mediaType)) {
    const text = decodeUtf8(body, 'data');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw invalid(`the body is not valid JSON although Content-Type is ${mediaType}`, 'data');
    }
    if (isPlainObject(data)) {
      if (Object.prototype.hasOwnProperty.call(data, CLOUDEVENTS_MEMBER)) throw reservedMember('');
      // Splice rather than re-serialize: keeps numbers (big integers too) exactly as sent.
      const trimmed = text.trimEnd();
      const inner = trimmed.slice(0, -1);
      const empty = Object.keys(data).length === 0;
      detail = `${inner}${empty ? '' : ','}"${CLOUDEVENTS_MEMBER}":${JSON.stringify(attrs.meta)}}`;
    } else {
      detail = wrappedDetail('data', data, attrs);
    }
  } else if (isTextMediaType(mediaType)) {
    detail = wrappedDetail('data', decodeUtf8(body, 'data'), attrs);
  } else {
    detail = wrappedDetail('data_base64', body.toString('base64'), attrs);
  }
  return toEntry(attrs, detail);
}

interface Attributes {
  id: string;
  source: string;
  type: string;
  time: string | undefined;
  /** What goes under detail.cloudevents. */
  meta: Record<string, unknown>;
}

function readAttributes(get: (name: string) => unknown, extensions: string[], prefix: string): Attributes {
  const specversion = get('specversion');
  if (specversion === undefined) throw invalid("CloudEvents attribute 'specversion' is required", field(prefix, 'specversion'));
  if (specversion !== '1.0') {
    throw invalid(`CloudEvents attribute 'specversion' must be "1.0", not ${JSON.stringify(specversion)}`, field(prefix, 'specversion'));
  }
  const id = requiredString(get('id'), 'id', prefix);
  const source = requiredString(get('source'), 'source', prefix);
  const type = requiredString(get('type'), 'type', prefix);
  const time = optionalString(get('time'), 'time', prefix);
  if (time !== undefined && timeToEpochMs(time) === undefined) {
    throw invalid("CloudEvents attribute 'time' must be an RFC 3339 timestamp", field(prefix, 'time'));
  }
  const meta: Record<string, unknown> = { specversion: '1.0' };
  for (const name of ['datacontenttype', 'dataschema', 'subject'] as const) {
    const value = optionalString(get(name), name, prefix);
    if (value !== undefined) meta[name] = value;
  }
  for (const name of extensions) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw invalid(`CloudEvents attribute name '${name}' must consist of lower-case letters a-z and digits 0-9`, field(prefix, name));
    }
    const value = get(name);
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isInteger(value))) {
      throw invalid(`CloudEvents extension attribute '${name}' must be a string, an integer or a boolean`, field(prefix, name));
    }
    meta[name] = value;
  }
  return { id, source, type, time, meta };
}

function toEntry(attrs: Attributes, detail: string): CloudEventEntry {
  const entry: CloudEventEntry = { EventId: attrs.id, Source: attrs.source, DetailType: attrs.type, Detail: detail };
  if (attrs.time !== undefined) entry.Time = attrs.time;
  return entry;
}

function wrappedDetail(member: 'data' | 'data_base64', value: unknown, attrs: Attributes): string {
  return JSON.stringify({ [member]: value, [CLOUDEVENTS_MEMBER]: { ...attrs.meta, [WRAPPED]: member } });
}

function requiredString(value: unknown, name: string, prefix: string): string {
  if (value === undefined || value === null || value === '') {
    throw invalid(`CloudEvents attribute '${name}' is required`, field(prefix, name));
  }
  if (typeof value !== 'string') throw invalid(`CloudEvents attribute '${name}' must be a string`, field(prefix, name));
  return value;
}

function optionalString(value: unknown, name: string, prefix: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw invalid(`CloudEvents attribute '${name}' must be a non-empty string`, field(prefix, name));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Envelope → CloudEvent

/**
 * The CloudEvent for an envelope (JSON event format): `id`, `source`, `type` = detail-type, `time`, and `data` = the
 * detail. An event that came in as a CloudEvent gets its other attributes and its original data shape back from
 * `detail.cloudevents`; any other event gets `datacontenttype: application/json`.
 */
export function toCloudEvent(envelope: EventEnvelope): CloudEvent {
  const ce: CloudEvent = {
    specversion: '1.0',
    id: envelope.id,
    source: envelope.source,
    type: envelope['detail-type'],
    time: envelope.time,
  };
  const detail = envelope.detail;
  const meta = detail[CLOUDEVENTS_MEMBER];
  if (!isPlainObject(meta) || meta.specversion !== '1.0') {
    ce.datacontenttype = 'application/json';
    ce.data = detail;
    return ce;
  }
  for (const [name, value] of Object.entries(meta)) {
    if (name === WRAPPED || (CORE.has(name) && !RESTORED.has(name))) continue;
    ce[name] = value;
  }
  const wrapped = meta[WRAPPED];
  if (wrapped === 'data_base64') ce.data_base64 = detail.data_base64 as string;
  else if (wrapped === 'data') ce.data = detail.data;
  else {
    const { [CLOUDEVENTS_MEMBER]: _omit, ...data } = detail;
    // An event that came with no data at all has nothing but the attributes in its detail.
    if (Object.keys(data).length > 0 || meta.datacontenttype !== undefined) ce.data = data;
  }
  return ce;
}

/**
 * The HTTP form of a CloudEvent: structured (`application/cloudevents+json`, the event as the body) or binary
 * (`ce-*` headers percent-encoded as the binding requires, the data as the body with its datacontenttype).
 */
export function toCloudEventsHttp(
  event: CloudEvent,
  mode: 'structured' | 'binary' = 'structured',
): { headers: Record<string, string>; body: Buffer } {
  if (mode === 'structured') {
    return {
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: Buffer.from(JSON.stringify(event), 'utf8'),
    };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (value === undefined || name === 'data' || name === 'data_base64' || name === 'datacontenttype') continue;
    headers[`ce-${name}`] = encodeHeaderValue(String(value));
  }
  let body: Buffer;
  if (event.data_base64 !== undefined) {
    body = Buffer.from(event.data_base64, 'base64');
    headers['content-type'] = event.datacontenttype ?? 'application/octet-stream';
  } else if (event.data === undefined) {
    body = Buffer.alloc(0);
    if (event.datacontenttype !== undefined) headers['content-type'] = event.datacontenttype;
  } else {
    const type = event.datacontenttype ?? 'application/json';
    headers['content-type'] = type;
    const media = type.split(';', 1)[0]!.trim().toLowerCase();
    body =
      typeof event.data === 'string' && !isJsonMediaType(media)
        ? Buffer.from(event.data, 'utf8')
        : Buffer.from(JSON.stringify(event.data), 'utf8');
  }
  return { headers, body };
}

// ---------------------------------------------------------------------------------------------------------------
// Header values (binding §3.1.3.2)

/** Percent-encodes space, `"`, `%` and everything outside printable ASCII, as UTF-8 bytes, upper-case hex. */
export function encodeHeaderValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x25) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Unescapes a double-quoted value (older senders), then one round of percent-decoding; invalid UTF-8 is refused. */
export function decodeHeaderValue(raw: string, attr: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`header 'ce-${attr}' has a malformed percent-encoding`, attr);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(value[i]!, 'utf8')) bytes.push(b);
    }
  }
  return decodeUtf8(Buffer.from(bytes), attr, `header 'ce-${attr}' does not decode to valid UTF-8`);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Buffer, f: string, message = 'the body is not valid UTF-8'): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw invalid(message, f);
  }
}

function parseJsonBody(body: Buffer, f: string): unknown {
  const text = decodeUtf8(body, f);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('the body is not valid JSON', f);
  }
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType === 'text/json' || mediaType.endsWith('+json');
}

function isTextMediaType(mediaType: string): boolean {
  return mediaType.startsWith('text/') || mediaType === 'application/xml' || mediaType.endsWith('+xml');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function header(headers: Headers, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function field(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function invalid(message: string, f: string): ReflowError {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return new ReflowError('InvalidArgument', `${text}.`, { field: f === '' ? 'body' : f });
}

function unsupportedFormat(mediaType: string): ReflowError {
  return invalid(`event format ${mediaType} is not supported; use application/cloudevents+json or application/cloudevents-batch+json`, 'content-type');
}

function reservedMember(prefix: string): ReflowError {
  return invalid(
    `event data must not have a top-level '${CLOUDEVENTS_MEMBER}' member: Reflow keeps the CloudEvents attributes there`,
    field(prefix, `data.${CLOUDEVENTS_MEMBER}`),
  );
}
