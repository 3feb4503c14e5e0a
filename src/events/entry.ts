/**
 * PutEvents entries, handled the way EventBridge handles them: whole-request checks (HTTP 400), per-entry checks
 * (an entry result with ErrorCode/ErrorMessage, HTTP 200), the entry size AWS computes, and the envelope targets
 * receive.
 *
 * `checkEntry` + `buildEnvelope` run for every accepted event, so they are written for the hot path: Detail is parsed
 * once (checkEntry keeps the parsed object for buildEnvelope) and its text is spliced into the envelope JSON rather
 * than serialized again.
 */
import { ReflowError } from '../errors.js';
import type { EventEnvelope, EventOrigin, PutEventsRequestEntry } from './envelope.js';

/** Entries a PutEvents call may carry. */
export const MAX_ENTRIES_PER_REQUEST = 10;
/** 256 KiB: the limit on the summed entry sizes of one request (and so on one entry). */
export const MAX_ENTRIES_SIZE = 256 * 1024;

/** A per-entry failure, as it appears in a PutEvents result entry. */
export interface EntryError {
  ErrorCode: string;
  ErrorMessage: string;
}

export interface CheckEntryOptions {
  /**
   * Accept `aws.*` sources. EventBridge refuses them from callers (`NotAuthorizedForSourceException`); Reflow's own
   * producers (the store's object-created events, `aws.s3`) set this.
   */
  allowAwsSources?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Size

/**
 * The entry size EventBridge computes (AWS doc "Calculating PutEvents event entry size"): 14 bytes for Time when
 * present, plus the UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  const resources: unknown = entry.Resources;
  if (Array.isArray(resources)) for (const r of resources) size += utf8(r);
  return size;
}

/**
 * What an archive counts for an event in SizeBytes: the entry's Source, DetailType, Detail and Resources plus the
 * 20-character `time` every archived event carries. AWS recorded 159 bytes for an entry whose members add up to 139.
 */
export function archivedSize(entry: PutEventsRequestEntry): number {
  const timeBytes = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  return entrySize(entry) - timeBytes + 20;
}

function utf8(value: unknown): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
}

/** True when the entry is certainly within `limit` without counting bytes. */
function certainlyWithin(entry: PutEventsRequestEntry, limit: number): boolean {
  return sizeUpperBound(entry) <= limit;
}

/** At least entrySize, without counting bytes: a UTF-16 unit is at most 3 UTF-8 bytes. */
function sizeUpperBound(entry: PutEventsRequestEntry): number {
  let upper = 14;
  upper += typeof entry.Source === 'string' ? entry.Source.length * 3 : 0;
  upper += typeof entry.DetailType === 'string' ? entry.DetailType.length * 3 : 0;
  upper += typeof entry.Detail === 'string' ? entry.Detail.length * 3 : 0;
  const resources: unknown = entry.Resources;
  if (Array.isArray(resources)) for (const r of resources) upper += typeof r === 'string' ? r.length * 3 : 0;
  return upper;
}

// ---------------------------------------------------------------------------------------------------------------
// Whole-request checks

/**
 * Checks AWS answers with HTTP 400 ValidationException before looking at any entry:
 * no `Entries` / an empty list / more than 10 (`1 validation error detected: Value '[PutEventsRequestEntry(...),
 * ...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10`, the entries
 * printed as AWS's Java service prints them), model constraints of entry members (EventBusName, Resources items,
 * TraceHeader), then `Total size of the entries in the request is over the limit.` when the summed entry sizes exceed
 * 256 KiB. An entry that is not an object, or Entries that is not a list, is a SerializationException.
 */
export function validatePutEventsRequest(req: { Entries?: unknown }, options?: { maxEntries?: number }): void {
  const maxEntries = Math.max(MAX_ENTRIES_PER_REQUEST, options?.maxEntries ?? MAX_ENTRIES_PER_REQUEST);
  const entries = req.Entries;
  if (entries === undefined || entries === null) {
    throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null", 'Entries');
  }
  if (!Array.isArray(entries)) {
    throw new ReflowError('SerializationException', 'Expected a list for Entries.', { field: 'Entries' });
  }
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      throw new ReflowError('SerializationException', `Expected a structure for Entries[${i}].`, { field: `Entries[${i}]` });
    }
  }
  const list = entries as PutEventsRequestEntry[];
  const errors: string[] = [];
  let field = 'Entries';
  const note = (message: string, f: string): void => {
    if (errors.length === 0) field = f;
    errors.push(message);
  };
  if (list.length > maxEntries || list.length < 1) {
    const rendered = `[${list.map(entryToJavaString).join(', ')}]`;
    const constraint =
      list.length < 1
        ? 'Member must have length greater than or equal to 1'
        : `Member must have length less than or equal to ${maxEntries}`;
    note(`Value '${rendered}' at 'entries' failed to satisfy constraint: ${constraint}`, 'Entries');
  }
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    const bus: unknown = entry.EventBusName;
    const resources: unknown = entry.Resources;
    const trace: unknown = entry.TraceHeader;
    if (!entryMayViolate(bus, resources, trace)) continue;
    // The message paths are built only for an entry that has something to report (most have nothing).
    const p = `entries.${i + 1}.member`;
    const f = `Entries[${i}]`;
    if (bus !== undefined && bus !== null) {
      if (typeof bus !== 'string') throw serialization(`${f}.EventBusName`, 'a string');
      if (!ENTRY_BUS_RE.test(bus)) note(`Value '${bus}' at '${p}.eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ENTRY_BUS_PATTERN}`, `${f}.EventBusName`);
      if (bus.length > 1600) note(`Value '${bus}' at '${p}.eventBusName' failed to satisfy constraint: Member must have length less than or equal to 1600`, `${f}.EventBusName`);
      if (bus.length < 1) note(`Value '${bus}' at '${p}.eventBusName' failed to satisfy constraint: Member must have length greater than or equal to 1`, `${f}.EventBusName`);
    }
    if (Array.isArray(resources)) {
      resources.forEach((r, j) => {
        if (typeof r === 'string' && r.length > 2048) {
          note(`Value '${r}' at '${p}.resources.${j + 1}.member' failed to satisfy constraint: Member must have length less than or equal to 2048`, `${f}.Resources[${j}]`);
        }
      });
    }
    if (typeof trace === 'string' && (trace.length > 500 || trace.length < 1)) {
      const c = trace.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 500';
      note(`Value '${trace}' at '${p}.traceHeader' failed to satisfy constraint: Member must have length ${c}`, `${f}.TraceHeader`);
    }
  }
  if (errors.length > 0) {
    const n = errors.length;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${errors.join('; ')}`, field);
  }
  // The request limit is the wire's: an in-process batch over 10 entries stands for several requests, and each of its
  // entries is still held to the limit on its own (checkEntry).
  if (list.length > MAX_ENTRIES_PER_REQUEST) return;
  let upper = 0;
  for (const entry of list) upper += sizeUpperBound(entry);
  if (upper <= MAX_ENTRIES_SIZE) return;
  let total = 0;
  for (const entry of list) total += entrySize(entry);
  if (total > MAX_ENTRIES_SIZE) {
    throw validation('Total size of the entries in the request is over the limit.', 'Entries');
  }
}

/** Cheap pre-check for the loop above: whether any member-constraint check below could fail. */
function entryMayViolate(bus: unknown, resources: unknown, trace: unknown): boolean {
  if (bus !== undefined && bus !== null) return true;
  if (trace !== undefined && trace !== null) return true;
  if (Array.isArray(resources)) for (const r of resources) if (typeof r === 'string' && r.length > 2048) return true;
  return false;
}

const ENTRY_BUS_PATTERN = '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+';
const ENTRY_BUS_RE = new RegExp(`^(?:${ENTRY_BUS_PATTERN})$`);

function validation(message: string, field: string): ReflowError {
  return new ReflowError('ValidationException', message, { field });
}

function serialization(field: string, expected: string): ReflowError {
  return new ReflowError('SerializationException', `Expected ${expected} for ${field}.`, { field });
}

/**
 * How EventBridge's Java service prints an entry in a validation message (Lombok-style toString, recorded):
 * `PutEventsRequestEntry(time=null, source=a, resources=null, detailType=b, detail={...}, eventBusName=c,
 * traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)`. Detail is printed as the text sent. The
 * rendering of a present Time was not recorded; it is printed as a Java Instant (`2022-01-01T00:00:00Z`).
 */
export function entryToJavaString(entry: PutEventsRequestEntry): string {
  const e = entry as PutEventsRequestEntry & { KmsKeyIdentifier?: unknown };
  const time = e.Time === undefined || e.Time === null ? 'null' : javaTime(e.Time);
  const resources: unknown = e.Resources;
  const res = Array.isArray(resources) ? `[${resources.map((r) => String(r)).join(', ')}]` : 'null';
  return (
    `PutEventsRequestEntry(time=${time}, source=${text(e.Source)}, resources=${res}, ` +
    `detailType=${text(e.DetailType)}, detail=${text(e.Detail)}, eventBusName=${text(e.EventBusName)}, ` +
    `traceHeader=${text(e.TraceHeader)}, kmsKeyIdentifier=${text(e.KmsKeyIdentifier)}, internalMetadata=null)`
  );
}

function text(v: unknown): string {
  return v === undefined || v === null ? 'null' : String(v);
}

function javaTime(time: Date | number | string): string {
  const ms = timeToEpochMs(time);
  if (ms === undefined) return String(time);
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

// ---------------------------------------------------------------------------------------------------------------
// Per-entry checks

const detailCache = new WeakMap<object, { text: string; value: Record<string, unknown> }>();

const REQUIRED = (member: string): EntryError => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
});
const MALFORMED_DETAIL: EntryError = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };

/**
 * The per-entry failure AWS reports for this entry, or null when it is accepted. Recorded texts:
 * `InvalidArgument` / `Parameter Source is not valid. Reason: Source is a required argument.` (same for DetailType
 * and Detail; an empty string counts as missing), `MalformedDetail` / `Detail is malformed.` (Detail not JSON, or JSON
 * that is not an object). Documented by AWS, not recorded: `NotAuthorizedForSourceException` /
 * `Not authorized for the source.` for `aws.*` sources. Reflow's own (in-process callers can pass what the wire
 * cannot): a Time that is not a valid Date / epoch seconds / RFC 3339 string, Resources that are not strings, a
 * member of the wrong type, and an entry over 256 KiB on its own (over the wire the whole-request check catches it
 * first) — all `InvalidArgument` in AWS's `Parameter X is not valid. Reason: …` form.
 *
 * On success the parsed Detail is kept for `buildEnvelope`, so Detail is parsed once.
 */
export function checkEntry(entry: PutEventsRequestEntry, options?: CheckEntryOptions): EntryError | null {
  const failure = checkFields(entry, options);
  if (failure !== null) return failure;
  const detail = entry.Detail as string;
  const parsed = parseDetail(detail);
  if (parsed === undefined) return MALFORMED_DETAIL;
  detailCache.set(entry, { text: detail, value: parsed });
  return null;
}

/** Every per-entry check but Detail's syntax, in the order AWS reports them. */
function checkFields(entry: PutEventsRequestEntry, options: CheckEntryOptions | undefined): EntryError | null {
  const source: unknown = entry.Source;
  if (source === undefined || source === null || source === '') return REQUIRED('Source');
  if (typeof source !== 'string') return wrongType('Source', 'a string');
  const detailType: unknown = entry.DetailType;
  if (detailType === undefined || detailType === null || detailType === '') return REQUIRED('DetailType');
  if (typeof detailType !== 'string') return wrongType('DetailType', 'a string');
  const detail: unknown = entry.Detail;
  if (detail === undefined || detail === null || detail === '') return REQUIRED('Detail');
  if (typeof detail !== 'string') return wrongType('Detail', 'a string');

  const time = entry.Time;
  if (time !== undefined && time !== null && timeToEpochMs(time) === undefined) {
    return wrongType('Time', 'a Date, epoch seconds or an RFC 3339 timestamp between years 0000 and 9999');
  }
  const resources: unknown = entry.Resources;
  if (resources !== undefined && resources !== null) {
    if (!Array.isArray(resources)) return wrongType('Resources', 'a list of strings');
    for (const r of resources) if (typeof r !== 'string') return wrongType('Resources', 'a list of strings');
  }
  if (!options?.allowAwsSources && source.startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  if (!certainlyWithin(entry, MAX_ENTRIES_SIZE) && entrySize(entry) > MAX_ENTRIES_SIZE) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter Detail is not valid. Reason: the entry is over the size limit of ${MAX_ENTRIES_SIZE} bytes.`,
    };
  }
  return null;
}

export interface PrepareEntryOptions extends CheckEntryOptions {
  /** The id is a randomUUID() (hex and dashes): it goes into the JSON without an escaping check. */
  generatedId?: boolean;
}

/** An accepted entry, ready to append: the envelope to route, its JSON to store, and its archived size. */
export interface PreparedEvent {
  envelope: EventEnvelope;
  json: string;
  /** What an archive counts for it in SizeBytes (see archivedSize). */
  size: number;
}

/**
 * The bus's hot path: `checkEntry`, `buildEnvelope` and `archivedSize` in one pass, Detail parsed once and no
 * per-entry cache (a WeakMap entry per event costs more than the checks). Returns the per-entry failure instead of an
 * event when the entry is refused, exactly as checkEntry would report it.
 */
export function prepareEntry(
  entry: PutEventsRequestEntry,
  origin: EventOrigin,
  id: string,
  nowMs: number,
  options?: PrepareEntryOptions,
): PreparedEvent | EntryError {
  const failure = checkFields(entry, options);
  if (failure !== null) return failure;
  const detailText = entry.Detail as string;
  const detail = parseDetail(detailText);
  if (detail === undefined) return MALFORMED_DETAIL;
  const t = entry.Time;
  const hasTime = t !== undefined && t !== null;
  const ms = hasTime ? timeToEpochMs(t)! : nowMs;
  const source = entry.Source as string;
  const detailType = entry.DetailType as string;
  const given = entry.Resources;
  const resources = given ? given.slice() : [];
  let size = 20 + utf8Repeated(source) + utf8Repeated(detailType) + utf8(detailText);
  for (let i = 0; i < resources.length; i++) size += utf8(resources[i]);
  const time = formatEventTime(ms);
  const envelope: EventEnvelope = {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: origin.account,
    time,
    region: origin.region,
    resources,
    detail,
  };
  const idJson = options?.generatedId ? `"${id}"` : quote(id);
  const json =
    `{"version":"0","id":${idJson},"detail-type":${quoteRepeated(detailType)},"source":${quoteRepeated(source)},` +
    `"account":${quoteRepeated(origin.account)},"time":"${time}","region":${quoteRepeated(origin.region)},` +
    `"resources":${resources.length === 0 ? '[]' : JSON.stringify(resources)},"detail":${detailText}}`;
  return { envelope, json, size };
}

function wrongType(member: string, expected: string): EntryError {
  return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} must be ${expected}.` };
}

/** The Detail object, or undefined when the text is not a JSON object. */
function parseDetail(text: string): Record<string, unknown> | undefined {
  // Cheap refusal of the common malformed cases before paying for a parse.
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

// ---------------------------------------------------------------------------------------------------------------
// Time

const MIN_MS = -62167219200000; // 0000-01-01T00:00:00Z
const MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch milliseconds of an entry Time: a Date, epoch seconds (what the JSON protocol carries; fractions allowed), or
 * an RFC 3339 string. Undefined when invalid or outside years 0000–9999 (the envelope's four-digit year).
 */
export function timeToEpochMs(time: Date | number | string): number | undefined {
  let ms: number;
  if (time instanceof Date) ms = time.getTime();
  else if (typeof time === 'number') ms = time * 1000;
  else if (typeof time === 'string') {
    const parsed = parseRfc3339(time);
    if (parsed === undefined) return undefined;
    ms = parsed;
  } else return undefined;
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return ms;
}

function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leap ? 29 : DAYS[month - 1]!)) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0..99 onto 1900..1999
  d.setUTCHours(hour, minute, second, m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0);
  let ms = d.getTime();
  if (m[8] !== undefined) {
    const offH = Number(m[9]);
    const offM = Number(m[10]);
    if (offH > 23 || offM > 59) return undefined;
    const offset = (offH * 60 + offM) * 60_000;
    ms += m[8] === '+' ? -offset : offset;
  }
  return ms;
}

let lastSecond = Number.NaN;
let lastTimeText = '';

/** `YYYY-MM-DDTHH:MM:SSZ` (second precision, UTC), as EventBridge writes `time`. */
export function formatEventTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  // Events arrive in bursts within one second; formatting once per second keeps Date out of the hot path.
  if (second === lastSecond) return lastTimeText;
  const text = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
  lastSecond = second;
  lastTimeText = text;
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Envelope

/**
 * The envelope targets receive, and its JSON in EventBridge's key order (version, id, detail-type, source, account,
 * time, region, resources, detail). `time` is entry.Time (truncated to the second) or `now`; `resources` is [] when
 * absent. The JSON embeds the Detail text as sent (no re-serialization; it is valid JSON since checkEntry passed).
 *
 * Call `checkEntry` first: it validates and parses Detail once. An entry that would not pass it gets a ReflowError
 * here.
 */
export function buildEnvelope(
  entry: PutEventsRequestEntry,
  origin: EventOrigin,
  id: string,
  now: Date,
): { envelope: EventEnvelope; json: string } {
  const detailText = entry.Detail;
  if (typeof detailText !== 'string') {
    throw new ReflowError('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.', { field: 'Detail' });
  }
  let cached = detailCache.get(entry);
  if (cached === undefined || cached.text !== detailText) {
    const value = parseDetail(detailText);
    if (value === undefined) throw new ReflowError('InvalidArgument', 'Detail is malformed.', { field: 'Detail' });
    cached = { text: detailText, value };
  }
  const t = entry.Time;
  let ms: number;
  if (t === undefined || t === null) ms = now.getTime();
  else {
    const parsed = timeToEpochMs(t);
    if (parsed === undefined) {
      throw new ReflowError('InvalidArgument', 'Parameter Time is not valid. Reason: Time is not a valid timestamp.', { field: 'Time' });
    }
    ms = parsed;
  }
  const time = formatEventTime(ms);
  const source = entry.Source as string;
  const detailType = entry.DetailType as string;
  const resources = entry.Resources ? entry.Resources.slice() : [];
  const envelope: EventEnvelope = {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: origin.account,
    time,
    region: origin.region,
    resources,
    detail: cached.value,
  };
  const json =
    `${envelopeHead(id, detailType, source, origin.account, time, origin.region)},"resources":` +
    `${resources.length === 0 ? '[]' : JSON.stringify(resources)},"detail":${detailText}}`;
  return { envelope, json };
}

/** Everything up to and including `"region":"…"`: the part a replay splices after. */
function envelopeHead(id: string, detailType: string, source: string, account: string, time: string, region: string): string {
  return (
    `{"version":"0","id":${quote(id)},"detail-type":${quoteRepeated(detailType)},"source":${quoteRepeated(source)},` +
    `"account":${quoteRepeated(account)},"time":"${time}","region":${quoteRepeated(region)}`
  );
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify for a string, without its cost when nothing needs escaping (ids: a new text every event). */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

const quotedCache = new Map<string, string>();
const bytesCache = new Map<string, number>();

/** UTF-8 length of a string most events repeat (source, detail-type), from a bounded cache. */
function utf8Repeated(s: string): number {
  let n = bytesCache.get(s);
  if (n === undefined) {
    n = Buffer.byteLength(s, 'utf8');
    if (s.length <= 256) {
      if (bytesCache.size >= 4096) bytesCache.clear();
      bytesCache.set(s, n);
    }
  }
  return n;
}

/**
 * JSON.stringify for the strings most events repeat (source, detail-type, account, region): a map lookup is ~10x
 * cheaper than quoting again. Bounded, so a producer that varies them endlessly only loses the cache.
 */
function quoteRepeated(s: string): string {
  let q = quotedCache.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (s.length <= 256) {
      if (quotedCache.size >= 4096) quotedCache.clear();
      quotedCache.set(s, q);
    }
  }
  return q;
}

/** Serializes any envelope in EventBridge's key order (`replay-name`, when present, between region and resources). */
export function serializeEnvelope(envelope: EventEnvelope): string {
  const head = envelopeHead(
    envelope.id,
    envelope['detail-type'],
    envelope.source,
    envelope.account,
    envelope.time,
    envelope.region,
  );
  const replay = envelope['replay-name'] === undefined ? '' : `,"replay-name":${JSON.stringify(envelope['replay-name'])}`;
  return `${head}${replay},"resources":${JSON.stringify(envelope.resources)},"detail":${JSON.stringify(envelope.detail)}}`;
}

/**
 * The JSON of a replayed event: `replay-name` inserted where EventBridge puts it (recorded: after `region`, before
 * `resources`), and, when `newId` is given, the replayed copy's own id (AWS gives replayed events new ids). Splices
 * the text when `json` came from buildEnvelope/serializeEnvelope; otherwise serializes the envelope again.
 */
export function withReplayName(json: string, envelope: EventEnvelope, replayName: string, newId?: string): string {
  // Our JSON starts `{"version":"0","id":<id>,"detail-type":` and has `,"resources":` right after the region: a quote
  // inside a JSON string is always escaped, so the first unescaped `,"resources":` is that member. Splicing there
  // costs a search instead of rebuilding the head (a replay does this for every event).
  const oldId = quote(envelope.id);
  const rest = ID_PREFIX.length + oldId.length;
  if (json.startsWith(ID_PREFIX) && json.startsWith(oldId, ID_PREFIX.length) && json.startsWith(',"detail-type":', rest)) {
    const resources = json.indexOf(',"resources":', rest);
    if (resources > 0 && json.lastIndexOf(',"replay-name":', resources) < rest) {
      const id = newId === undefined ? oldId : quote(newId);
      return `${ID_PREFIX}${id}${json.slice(rest, resources)},"replay-name":${quote(replayName)}${json.slice(resources)}`;
    }
  }
  return serializeEnvelope({ ...envelope, id: newId ?? envelope.id, 'replay-name': replayName });
}

const ID_PREFIX = '{"version":"0","id":';
