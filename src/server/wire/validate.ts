/**
 * Decodes a JSON-protocol request body against its input shape, the way AWS's front end does before an operation
 * runs: a value of the wrong JSON type is a SerializationException (the body cannot be read as the model), every
 * broken constraint is collected into one ValidationException ("2 validation errors detected: …; …"), unknown
 * members are dropped, JSON null counts as absent, and timestamps (epoch seconds) become Dates. Nothing reaches the
 * bus unless the whole request decodes.
 */
import { ReflowError } from '../../errors.js';
import type { ListShape, MapShape, Shape, StringShape, StructureShape } from './shapes.js';

interface Path {
  /** AWS's member path in messages: `targets.1.member.id`. */
  wire: string;
  /** Reflow's field path for ReflowError.field: `Targets[0].Id`. */
  field: string;
}

interface Violation {
  message: string;
  field: string;
}

const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const child = (path: Path, member: string): Path => ({
  wire: path.wire ? `${path.wire}.${camel(member)}` : camel(member),
  field: path.field ? `${path.field}.${member}` : member,
});
const item = (path: Path, index: number): Path => ({ wire: `${path.wire}.${index + 1}.member`, field: `${path.field}[${index}]` });
const entry = (path: Path, key: string): Path => ({ wire: `${path.wire}.${key}`, field: `${path.field}.${key}` });

function tokenOf(value: unknown): string {
  if (Array.isArray(value)) return 'Start of list';
  if (value !== null && typeof value === 'object') return 'Start of structure or map';
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return 'VALUE';
}

function serializationError(value: unknown, expected: string, path: Path): ReflowError {
  const token = tokenOf(value);
  const text =
    token.startsWith('Start of') ? `${token} found where not expected` : `${token} can not be converted to ${expected}`;
  return new ReflowError('SerializationException', `${text} (member ${path.field || 'body'})`, { field: path.field || undefined });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Renders a value the way AWS's (Java) messages do: lists `[a, b]`, structures `Name(member=value, …)`. */
export function renderValue(value: unknown, shape: Shape | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return javaDate(value);
  if (Array.isArray(value)) {
    const member = shape?.type === 'list' ? shape.member : undefined;
    return `[${value.map((v) => renderValue(v, member)).join(', ')}]`;
  }
  if (isObject(value)) {
    if (shape?.type === 'structure') {
      const order = shape.renderOrder ?? Object.keys(shape.members);
      return `${shape.name}(${order.map((m) => `${camel(m)}=${renderValue(value[m], shape.members[m])}`).join(', ')})`;
    }
    const valueShape = shape?.type === 'map' ? shape.value : undefined;
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${renderValue(v, valueShape)}`)
      .join(', ')}}`;
  }
  return String(value);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function javaDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(
    d.getUTCSeconds(),
  )} UTC ${d.getUTCFullYear()}`;
}

const compiledPatterns = new Map<string, RegExp>();
function matchesPattern(pattern: string, value: string): boolean {
  let re = compiledPatterns.get(pattern);
  if (!re) {
    // Java's String.matches: the whole value must match.
    re = new RegExp(`^(?:${pattern})$`, 's');
    compiledPatterns.set(pattern, re);
  }
  return re.test(value);
}

class Decoder {
  readonly violations: Violation[] = [];

  private violate(value: unknown, shape: Shape | undefined, path: Path, constraint: string): void {
    const shown = value === undefined || value === null ? 'null' : `'${renderValue(value, shape)}'`;
    this.violations.push({ message: `Value ${shown} at '${path.wire}' failed to satisfy constraint: ${constraint}`, field: path.field });
  }

  decode(shape: Shape, value: unknown, path: Path): unknown {
    switch (shape.type) {
      case 'string':
        if (typeof value !== 'string') throw serializationError(value, 'a String', path);
        this.checkString(shape, value, path);
        return value;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw serializationError(value, 'an Integer', path);
        if (shape.min !== undefined && value < shape.min) this.violate(value, shape, path, `Member must have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && value > shape.max) this.violate(value, shape, path, `Member must have value less than or equal to ${shape.max}`);
        return value;
      case 'boolean':
        if (typeof value !== 'boolean') throw serializationError(value, 'a Boolean', path);
        return value;
      case 'timestamp':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw serializationError(value, 'a Timestamp (epoch seconds)', path);
        return new Date(Math.round(value * 1000));
      case 'document':
        return value;
      case 'list':
        return this.decodeList(shape, value, path);
      case 'map':
        return this.decodeMap(shape, value, path);
      case 'structure':
        return this.decodeStructure(shape, value, path);
    }
  }

  private checkString(shape: StringShape, value: string, path: Path): void {
    if (shape.min !== undefined && value.length < shape.min) this.violate(value, shape, path, `Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value.length > shape.max) this.violate(value, shape, path, `Member must have length less than or equal to ${shape.max}`);
    if (shape.pattern !== undefined && !matchesPattern(shape.pattern, value)) {
      this.violate(value, shape, path, `Member must satisfy regular expression pattern: ${shape.pattern}`);
    }
    if (shape.enum !== undefined && !shape.enum.includes(value)) {
      this.violate(value, shape, path, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
    }
  }

  private decodeList(shape: ListShape, value: unknown, path: Path): unknown[] {
    if (!Array.isArray(value)) throw serializationError(value, 'a List', path);
    const out = value.map((v, i) => {
      if (v === null || v === undefined) {
        this.violate(null, shape.member, item(path, i), 'Member must not be null');
        return undefined;
      }
      return this.decode(shape.member, v, item(path, i));
    });
    if (shape.min !== undefined && value.length < shape.min) this.violate(value, shape, path, `Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value.length > shape.max) this.violate(value, shape, path, `Member must have length less than or equal to ${shape.max}`);
    return out;
  }

  private decodeMap(shape: MapShape, value: unknown, path: Path): Record<string, unknown> {
    if (!isObject(value)) throw serializationError(value, 'a Map', path);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      this.checkString(shape.key, key, entry(path, key));
      if (v === null || v === undefined) continue;
      out[key] = this.decode(shape.value, v, entry(path, key));
    }
    if (shape.max !== undefined && Object.keys(value).length > shape.max) {
      this.violate(value, shape, path, `Member must have length less than or equal to ${shape.max}`);
    }
    return out;
  }

  decodeStructure(shape: StructureShape, value: unknown, path: Path): Record<string, unknown> {
    if (!isObject(value)) throw serializationError(value, 'a Structure', path);
    const out: Record<string, unknown> = {};
    for (const [member, memberShape] of Object.entries(shape.members)) {
      const v = value[member];
      if (v === null || v === undefined) {
        if (shape.required?.includes(member)) this.violate(null, memberShape, child(path, member), 'Member must not be null');
        continue;
      }
      out[member] = this.decode(memberShape, v, child(path, member));
    }
    return out;
  }
}

/**
 * Decodes `body` (already parsed JSON) as `shape`. Throws SerializationException for a wrong JSON type and
 * ValidationException listing every broken constraint.
 */
export function decodeRequest<T = Record<string, unknown>>(shape: StructureShape, body: unknown): T {
  const decoder = new Decoder();
  const out = decoder.decodeStructure(shape, body, { wire: '', field: '' });
  const { violations } = decoder;
  if (violations.length > 0) {
    const n = violations.length;
    throw new ReflowError(
      'ValidationException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.map((v) => v.message).join('; ')}`,
      { field: violations[0]!.field },
    );
  }
  return out as T;
}
