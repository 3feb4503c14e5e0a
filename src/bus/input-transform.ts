/**
 * A target's input, rendered as EventBridge renders it (Input, InputPath, InputTransformer). Every
 * `"topic": "input-transformation"` case of ../shared/conformance/eventbridge-api.json is a test of this file.
 *
 * The rules, from those recordings and AWS's "input transformation" guide:
 * - No Input/InputPath/InputTransformer: the event JSON. `Input`: that text as it is.
 * - `InputPath`: the JSON of the selected value (a string arrives quoted: `"baz"`); `$` is the event itself.
 * - `InputTransformer`: a template is a JSON template when it starts with `{` (after blanks), otherwise a string
 *   template.
 *   - JSON template, placeholder outside a JSON string: the value as JSON (strings quoted, objects and lists as JSON,
 *     a missing path as `""`).
 *   - JSON template, placeholder inside a JSON string: the value's text, not escaped (AWS: "EventBridge doesn't escape
 *     values extracted by Input Path"): strings bare, numbers and booleans as written, objects and lists as JSON,
 *     which breaks the string; a missing path is empty.
 *   - The result of a JSON template must be valid JSON; when it is not, AWS delivers nothing (recorded), and
 *     `renderTargetInput` throws `UndeliverableInputError` (permanent: retrying renders the same text). Valid
 *     results are passed on minified, as AWS says it does.
 *   - String template: every placeholder is replaced by text: strings bare, booleans/numbers as written, objects and
 *     lists without quotes (`{acc_id:0a787ecb-4015,sf_id:baz}`, `[ACTIVE,INACTIVE]`), a missing path empty. The result
 *     is delivered verbatim, surrounding quotes and newlines included, and is not required to be JSON.
 *   - Predefined: `<aws.events.rule-arn>`, `<aws.events.rule-name>`, `<aws.events.event.ingestion-time>`
 *     (`YYYY-MM-DDThh:mm:ssZ`), `<aws.events.event>` (the event without `detail`, `detail-type` renamed `detailType`,
 *     keys in AWS's order), `<aws.events.event.json>` (the event JSON as delivered).
 * - JSON paths: the subset EventBridge documents: `$`, dot notation (`$.detail.x`, `$.detail-type`), array indexes
 *   (`$.a[0]`) and wildcards (`$.a[*].b`, `$.a.*`, which select a list). A path that selects nothing is "missing".
 *   For InputPath that is not recorded; like LocalStack, Reflow delivers nothing (`UndeliverableInputError`).
 */
import { ReflowError } from '../errors.js';
import type { EventEnvelope } from '../events/envelope.js';
import { formatEventTime } from '../events/entry.js';
import type { InputTransformer, Target } from './types.js';
import { checkTargetSemantics, JSON_PATH_RE, PLACEHOLDER_RE, targetViolations, throwViolations } from './validate.js';

export interface RenderContext {
  ruleArn: string;
  ruleName: string;
  /** When the bus accepted the event (`<aws.events.event.ingestion-time>`). */
  ingestionTime: Date;
}

/**
 * The target input cannot be delivered (a JSON template rendered invalid JSON, an InputPath selected nothing). AWS
 * silently drops such deliveries; the bus should count it as a failed attempt that no retry can fix.
 */
export class UndeliverableInputError extends ReflowError {
  constructor(message: string, field: string) {
    super('InvalidArgument', message, { field });
  }
}

/**
 * PutTargets-time checks of one target (0-based index): model constraints (Id, Arn, Input ≤ 8192, InputPath ≤ 256,
 * InputPathsMap ≤ 100 entries with keys `[A-Za-z0-9\_\-]+` of 1..256 and paths ≤ 256, InputTemplate 1..8192 …) in
 * AWS's `N validation error(s) detected: …` form, then the semantic ones (only one of Input/InputPath/
 * InputTransformer; every placeholder defined; JSON path syntax; keys not starting with "AWS"). `validatePutTargets`
 * in validate.ts runs the same checks for a whole request.
 */
export function validateTarget(target: Target, index: number): void {
  throwViolations(targetViolations(target, index));
  checkTargetSemantics(target, index);
}

/** The text the target receives for this event. Throws `UndeliverableInputError` when AWS would deliver nothing. */
export function renderTargetInput(
  target: Target,
  envelope: EventEnvelope,
  envelopeJson: string,
  ctx: RenderContext,
): string {
  if (target.Input !== undefined && target.Input !== null) return target.Input;
  if (target.InputPath !== undefined && target.InputPath !== null) {
    return renderInputPath(target.InputPath, envelope, envelopeJson);
  }
  if (target.InputTransformer) return renderTransformer(target.InputTransformer, envelope, envelopeJson, ctx);
  return envelopeJson;
}

function renderInputPath(path: string, envelope: EventEnvelope, envelopeJson: string): string {
  if (path === '$') return envelopeJson;
  const value = selectPath(compilePath(path, 'InputPath'), envelope);
  if (value === undefined) {
    throw new UndeliverableInputError(`InputPath ${path} selects nothing in event ${envelope.id}.`, 'InputPath');
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON paths

export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

const pathCache = new Map<string, PathStep[]>();

/** Parses one path of the supported subset (cached; targets reuse a handful of paths). */
export function compilePath(path: string, field = 'InputPath'): PathStep[] {
  const cached = pathCache.get(path);
  if (cached !== undefined) return cached;
  if (!JSON_PATH_RE.test(path)) {
    throw new ReflowError('ValidationException', `${path} is not a valid JSON path.`, { field });
  }
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      const name = path.slice(i + 1, j);
      steps.push(name === '*' ? { kind: 'all' } : { kind: 'key', key: name });
      i = j;
    } else {
      const close = path.indexOf(']', i);
      const inner = path.slice(i + 1, close);
      steps.push(inner === '*' ? { kind: 'all' } : { kind: 'index', index: Number(inner) });
      i = close + 1;
    }
  }
  if (pathCache.size > 10_000) pathCache.clear();
  pathCache.set(path, steps);
  return steps;
}

/** The selected value; a list when the path has a wildcard; undefined when nothing is selected. */
export function selectPath(steps: readonly PathStep[], root: unknown): unknown {
  const definite = steps.every((s) => s.kind !== 'all');
  if (definite) return walk(root, steps, 0);
  const found: unknown[] = [];
  collect(root, steps, 0, found);
  return found.length === 0 ? undefined : found;
}

function walk(value: unknown, steps: readonly PathStep[], from: number): unknown {
  let v = value;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    if (v === null || typeof v !== 'object') return undefined;
    if (step.kind === 'key') {
      if (Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, step.key)) return undefined;
      v = (v as Record<string, unknown>)[step.key];
    } else if (step.kind === 'index') {
      if (!Array.isArray(v) || step.index >= v.length) return undefined;
      v = v[step.index];
    }
  }
  return v;
}

function collect(value: unknown, steps: readonly PathStep[], from: number, out: unknown[]): void {
  if (from === steps.length) {
    if (value !== undefined) out.push(value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const step = steps[from]!;
  if (step.kind === 'all') {
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) collect(child, steps, from + 1, out);
  } else {
    const next = walk(value, [step], 0);
    if (next !== undefined) collect(next, steps, from + 1, out);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

interface Slot {
  name: string;
  /** Inside a JSON string literal of a JSON template. */
  inString: boolean;
}

interface CompiledTemplate {
  template: string;
  paths: Record<string, string> | undefined;
  json: boolean;
  /** Literal text and placeholders, in order. */
  parts: Array<string | Slot>;
  /** Compiled InputPathsMap, name → steps. */
  steps: Map<string, PathStep[]>;
}

const templateCache = new WeakMap<InputTransformer, CompiledTemplate>();

function compileTemplate(t: InputTransformer): CompiledTemplate {
  const cached = templateCache.get(t);
  if (cached !== undefined && cached.template === t.InputTemplate && cached.paths === t.InputPathsMap) return cached;
  const template = t.InputTemplate;
  const json = /^\s*\{/.test(template);
  const parts: Array<string | Slot> = [];
  let inString = false;
  let scanned = 0; // template[0..scanned) has been scanned for string state
  let last = 0;
  const advance = (to: number): void => {
    for (let i = scanned; i < to; i++) {
      const c = template.charCodeAt(i);
      if (inString) {
        if (c === 0x5c /* \ */) i++;
        else if (c === 0x22 /* " */) inString = false;
      } else if (c === 0x22) inString = true;
    }
    scanned = Math.max(scanned, to);
  };
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const at = m.index!;
    advance(at);
    if (at > last) parts.push(template.slice(last, at));
    parts.push({ name: m[1]!, inString: json && inString });
    last = at + m[0].length;
    scanned = last; // a placeholder is replaced whole; its text does not change the string state
  }
  if (last < template.length) parts.push(template.slice(last));
  const steps = new Map<string, PathStep[]>();
  for (const [name, path] of Object.entries(t.InputPathsMap ?? {})) {
    steps.set(name, compilePath(path, `InputTransformer.InputPathsMap.${name}`));
  }
  const compiled: CompiledTemplate = { template, paths: t.InputPathsMap, json, parts, steps };
  templateCache.set(t, compiled);
  return compiled;
}

const MISSING = Symbol('missing');
/** A bound value; `json` is its JSON text when it is already known (the event). */
type Bound = { value: unknown; json?: string } | typeof MISSING;

function renderTransformer(t: InputTransformer, envelope: EventEnvelope, envelopeJson: string, ctx: RenderContext): string {
  const compiled = compileTemplate(t);
  const bindings = new Map<string, Bound>();
  const bind = (name: string): Bound => {
    let b = bindings.get(name);
    if (b === undefined) {
      b = resolve(name, compiled, envelope, envelopeJson, ctx);
      bindings.set(name, b);
    }
    return b;
  };
  let out = '';
  for (const part of compiled.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const b = bind(part.name);
    if (!compiled.json) out += b === MISSING ? '' : plainText(b.value);
    else if (part.inString) out += b === MISSING ? '' : rawText(b);
    else out += b === MISSING ? '""' : b.json ?? JSON.stringify(b.value);
  }
  if (!compiled.json) return out;
  try {
    JSON.parse(out);
  } catch {
    throw new UndeliverableInputError(
      `InputTemplate rendered for event ${envelope.id} is not valid JSON: ${out.length > 200 ? `${out.slice(0, 200)}…` : out}`,
      'InputTransformer.InputTemplate',
    );
  }
  return minifyJson(out);
}

function resolve(
  name: string,
  compiled: CompiledTemplate,
  envelope: EventEnvelope,
  envelopeJson: string,
  ctx: RenderContext,
): Bound {
  switch (name) {
    case 'aws.events.rule-arn':
      return { value: ctx.ruleArn };
    case 'aws.events.rule-name':
      return { value: ctx.ruleName };
    case 'aws.events.event.ingestion-time':
      return { value: formatEventTime(ctx.ingestionTime.getTime()) };
    case 'aws.events.event':
      // Recorded key order and naming; `time` is the event's (the recording masked it, so its source is a guess).
      return {
        value: {
          id: envelope.id,
          account: envelope.account,
          detailType: envelope['detail-type'],
          time: envelope.time,
          source: envelope.source,
          region: envelope.region,
          resources: envelope.resources,
          version: envelope.version,
        },
      };
    case 'aws.events.event.json':
      return { value: envelope, json: envelopeJson };
  }
  const steps = compiled.steps.get(name);
  if (steps === undefined) return MISSING; // PutTargets refuses undefined placeholders; be lenient at delivery
  const value = selectPath(steps, envelope);
  return value === undefined ? MISSING : { value };
}

/** Inside a JSON string of a JSON template: not escaped (AWS doesn't), so objects keep their quotes. */
function rawText(b: { value: unknown; json?: string }): string {
  const v = b.value;
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return b.json ?? JSON.stringify(v);
  return String(v);
}

/** In a string template: strings bare, objects and lists with every quote removed (recorded). */
function plainText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v).replace(/\\"/g, '"').replace(/"/g, '');
  return String(v);
}

/** Drops whitespace outside strings; numbers and strings stay byte for byte (no parse/stringify round trip). */
function minifyJson(text: string): string {
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}
