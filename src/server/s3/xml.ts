/**
 * S3's XML wire format: responses are written here element by element (S3's element order matters to some clients),
 * request bodies (CompleteMultipartUpload, Delete, VersioningConfiguration, CreateBucketConfiguration) are read with
 * fast-xml-parser and checked for the shape S3 expects (MalformedXML otherwise).
 */
import { XMLParser } from 'fast-xml-parser';
import { ReflowError } from '../../errors.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A child element: `[name, text | children]`; undefined entries are skipped, so optional elements read inline. */
export type XmlNode = [string, string | number | boolean | XmlNode[]] | undefined | false | '' | 0;

// XML 1.0 cannot carry most control characters even escaped; S3 has EncodingType=url for such keys, and without it we
// write them as character references, which lenient parsers (the SDKs') accept.
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

function write(node: XmlNode, out: string[]): void {
  if (!node) return;
  const [name, value] = node;
  if (Array.isArray(value)) {
    out.push(`<${name}>`);
    for (const child of value) write(child, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
  }
}

/** A whole document: the root carries S3's namespace. */
export function xmlDocument(root: string, children: XmlNode[] | string, namespace = true): string {
  const out = [DECLARATION, namespace ? `<${root} xmlns="${S3_NS}">` : `<${root}>`];
  if (typeof children === 'string') out.push(escapeXml(children));
  else for (const child of children) write(child, out);
  out.push(`</${root}>`);
  return out.join('');
}

export function isoTime(date: Date): string {
  return date.toISOString();
}

// ---------------------------------------------------------------------------------------------------------------
// Request bodies

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  // Go's encoder (rclone, MinIO's clients) writes `"` as `&#34;` and control characters as `&#xA;`: numeric
  // character references must decode, or rclone's quoted part ETags never match (InvalidPart).
  htmlEntities: true,
  // Elements that may repeat are always arrays, so one <Part> reads like many.
  isArray: (name) => name === 'Part' || name === 'Object',
});

function malformed(detail?: string): ReflowError {
  return new ReflowError(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema${detail ? ` (${detail})` : ''}.`,
  );
}

function parseRoot(body: Buffer, root: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parser.parse(body.toString('utf8'), true);
  } catch (err) {
    throw new ReflowError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.', {
      cause: err,
    });
  }
  const top = (doc as Record<string, unknown> | undefined)?.[root];
  if (top === undefined) throw malformed(`expected <${root}>`);
  return top === '' ? {} : (top as Record<string, unknown>);
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export interface CompletePart {
  partNumber: number;
  etag: string;
}

export function parseCompleteMultipartUpload(body: Buffer): CompletePart[] {
  const root = parseRoot(body, 'CompleteMultipartUpload');
  const parts = (root.Part as unknown[] | undefined) ?? [];
  if (parts.length === 0) throw malformed('no <Part>');
  return parts.map((p) => {
    const part = p as Record<string, unknown>;
    const number = text(part.PartNumber)?.trim();
    const etag = text(part.ETag)?.trim();
    if (number === undefined || !/^\d+$/.test(number) || etag === undefined) throw malformed('<Part> needs <PartNumber> and <ETag>');
    return { partNumber: Number(number), etag };
  });
}

export interface DeleteRequest {
  quiet: boolean;
  objects: Array<{ key: string; versionId?: string }>;
}

export function parseDelete(body: Buffer): DeleteRequest {
  const root = parseRoot(body, 'Delete');
  const objects = ((root.Object as unknown[] | undefined) ?? []).map((o) => {
    const obj = o as Record<string, unknown>;
    const key = text(obj.Key);
    if (key === undefined) throw malformed('<Object> needs <Key>');
    const versionId = text(obj.VersionId)?.trim();
    return versionId ? { key, versionId } : { key };
  });
  if (objects.length === 0) throw malformed('no <Object>');
  if (objects.length > 1000) throw malformed('more than 1000 <Object>');
  return { quiet: text(root.Quiet)?.trim().toLowerCase() === 'true', objects };
}

export function parseVersioningConfiguration(body: Buffer): 'Enabled' | 'Suspended' | undefined {
  const root = parseRoot(body, 'VersioningConfiguration');
  const status = text(root.Status)?.trim();
  if (status === undefined) return undefined;
  if (status !== 'Enabled' && status !== 'Suspended') throw malformed(`<Status> ${status}`);
  return status;
}

export function parseCreateBucketConfiguration(body: Buffer): string | undefined {
  if (body.length === 0 || body.toString('utf8').trim() === '') return undefined;
  const root = parseRoot(body, 'CreateBucketConfiguration');
  return text(root.LocationConstraint)?.trim() || undefined;
}
