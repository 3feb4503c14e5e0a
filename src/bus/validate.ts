/**
 * Request validation with EventBridge's own words.
 *
 * Two layers, in the order AWS applies them:
 * 1. Model constraints (the Smithy/Coral layer): lengths, patterns, enums, ranges, required members. Every violation
 *    in the request is collected and reported in one ValidationException,
 *    `N validation error(s) detected: Value 'x' at 'targets.1.member.id' failed to satisfy constraint: …; …`,
 *    with member paths in the wire's camelCase and 1-based list indexes, values printed the way Java prints them
 *    (`'abc'`, `null`, `'[a, b]'`, `'{k=v}'`). Constraints are those of the EventBridge model (botocore's
 *    `events/2015-10-07/service-2.json`), members in model order.
 * 2. Semantic checks that need no state (`Parameter(s) EventPattern or ScheduleExpression must be specified.`,
 *    `Only one of Input, InputPath, or InputTransformer must be provided for target x.` …), first failure wins.
 *
 * Checks that need state (a bus or an archive that does not exist, more than 5 targets, cross-bus replay) belong to
 * the bus; this module never looks anything up. Recorded AWS texts come from ../shared/conformance/eventbridge-api.json;
 * where a text was not recorded the closest documented AWS wording is used and the function says so.
 */
import { ReflowError } from '../errors.js';
import type {
  CreateArchiveRequest,
  CreateEventBusRequest,
  PutRuleRequest,
  PutTargetsRequest,
  RemoveTargetsRequest,
  StartReplayRequest,
  Target,
  UpdateArchiveRequest,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Violations and their AWS rendering

/** One broken model constraint, before it is rendered. */
export interface Violation {
  value: unknown;
  /** Wire member path: `name`, `targets.1.member.id`, `ids.2.member`. */
  path: string;
  /** AWS's constraint sentence: `Member must have length less than or equal to 64`. */
  constraint: string;
}

/** `1 validation error detected: …` / `2 validation errors detected: …; …`, exactly as AWS joins them. */
export function formatViolations(violations: readonly Violation[]): string {
  const n = violations.length;
  const parts = violations.map(
    (v) => `Value ${javaValue(v.value)} at '${v.path}' failed to satisfy constraint: ${v.constraint}`,
  );
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

/** Throws one ValidationException for all violations (no-op for none). `field` names the first one. */
export function throwViolations(violations: readonly Violation[]): void {
  if (violations.length === 0) return;
  throw new ReflowError('ValidationException', formatViolations(violations), {
    field: memberPathToField(violations[0]!.path),
  });
}

/**
 * How AWS (Java) prints a rejected value: null bare, everything else in single quotes, lists as `[a, b]`, maps as
 * `{k=v, k2=v2}`, a timestamp as its ISO instant.
 */
function javaValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return `'${javaText(value)}'`;
}

function javaText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return isoInstant(value);
  if (Array.isArray(value)) return `[${value.map(javaText).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${javaText(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Java `Instant.toString()`: no fraction when it is zero. */
function isoInstant(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) return 'Invalid Date';
  const iso = d.toISOString();
  return t % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

/** `targets.1.member.inputTransformer.inputTemplate` → `Targets[0].InputTransformer.InputTemplate`. */
export function memberPathToField(path: string): string {
  const parts = path.split('.');
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    if (/^\d+$/.test(part) && next === 'member') {
      out += `[${Number(part) - 1}]`;
      i++;
      continue;
    }
    const pascal = part.charAt(0).toUpperCase() + part.slice(1);
    out += out === '' ? pascal : `.${pascal}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Constraint primitives (each pushes what it finds; none throws except for a wrong JSON type)

interface StringRule {
  min?: number;
  max?: number;
  /** The model's pattern text, as AWS prints it; matched against the whole value (Java `matches`). */
  pattern?: string;
  required?: boolean;
}

const compiledPatterns = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let re = compiledPatterns.get(pattern);
  if (re === undefined) {
    // The model's patterns are Java regexes; the ones used here read the same in JS once anchored (no `u` flag:
    // Java accepts identity escapes such as `\_`, which JS allows only outside unicode mode).
    re = new RegExp(`^(?:${pattern})$`);
    compiledPatterns.set(pattern, re);
  }
  return re.test(value);
}

function wrongType(path: string, expected: string): ReflowError {
  // The JSON protocol answers a wrong member type with SerializationException before any constraint is checked.
  return new ReflowError('SerializationException', `Expected ${expected} for ${memberPathToField(path)}.`, {
    field: memberPathToField(path),
  });
}

function checkString(out: Violation[], value: unknown, path: string, rule: StringRule): value is string {
  if (value === undefined || value === null) {
    if (rule.required) out.push({ value: null, path, constraint: 'Member must not be null' });
    return false;
  }
  if (typeof value !== 'string') throw wrongType(path, 'a string');
  // AWS reports the pattern before the lengths.
  if (rule.pattern !== undefined && !fullMatch(rule.pattern, value)) {
    out.push({ value, path, constraint: `Member must satisfy regular expression pattern: ${rule.pattern}` });
  }
  if (rule.max !== undefined && value.length > rule.max) {
    out.push({ value, path, constraint: `Member must have length less than or equal to ${rule.max}` });
  }
  if (rule.min !== undefined && value.length < rule.min) {
    out.push({ value, path, constraint: `Member must have length greater than or equal to ${rule.min}` });
  }
  return true;
}

function checkInteger(
  out: Violation[],
  value: unknown,
  path: string,
  rule: { min?: number; max?: number; required?: boolean },
): value is number {
  if (value === undefined || value === null) {
    if (rule.required) out.push({ value: null, path, constraint: 'Member must not be null' });
    return false;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
  if (rule.max !== undefined && value > rule.max) {
    out.push({ value, path, constraint: `Member must have value less than or equal to ${rule.max}` });
  }
  if (rule.min !== undefined && value < rule.min) {
    out.push({ value, path, constraint: `Member must have value greater than or equal to ${rule.min}` });
  }
  return true;
}

function checkEnum(out: Violation[], value: unknown, path: string, values: readonly string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') throw wrongType(path, 'a string');
  if (!values.includes(value)) {
    out.push({ value, path, constraint: `Member must satisfy enum value set: [${values.join(', ')}]` });
  }
}

function checkList(
  out: Violation[],
  value: unknown,
  path: string,
  rule: { min?: number; max?: number; required?: boolean },
): value is unknown[] {
  if (value === undefined || value === null) {
    if (rule.required) out.push({ value: null, path, constraint: 'Member must not be null' });
    return false;
  }
  if (!Array.isArray(value)) throw wrongType(path, 'a list');
  if (rule.max !== undefined && value.length > rule.max) {
    out.push({ value, path, constraint: `Member must have length less than or equal to ${rule.max}` });
  }
  if (rule.min !== undefined && value.length < rule.min) {
    out.push({ value, path, constraint: `Member must have length greater than or equal to ${rule.min}` });
  }
  return true;
}

function checkStruct(out: Violation[], value: unknown, path: string, required = false): value is Record<string, unknown> {
  if (value === undefined || value === null) {
    if (required) out.push({ value: null, path, constraint: 'Member must not be null' });
    return false;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'a structure');
  return true;
}

/** Coral lists every constraint of the key (or value) shape when one of them fails. */
function checkMap(
  out: Violation[],
  value: unknown,
  path: string,
  rule: { max?: number; key: StringRule; value: StringRule },
): value is Record<string, unknown> {
  if (!checkStruct(out, value, path)) return false;
  const entries = Object.entries(value);
  if (rule.max !== undefined && entries.length > rule.max) {
    out.push({ value, path, constraint: `Member must have length less than or equal to ${rule.max}` });
  }
  const keyBroken = entries.some(([k]) => brokenString(k, rule.key));
  if (keyBroken) {
    out.push({ value, path, constraint: `Map keys must satisfy constraint: [${describe(rule.key).join(', ')}]` });
  }
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw wrongType(`${path}.${k}`, 'a string');
  }
  const valueBroken = entries.some(([, v]) => brokenString(v as string, rule.value));
  if (valueBroken) {
    out.push({ value, path, constraint: `Map value must satisfy constraint: [${describe(rule.value).join(', ')}]` });
  }
  return true;
}

function brokenString(s: string, rule: StringRule): boolean {
  return (
    (rule.max !== undefined && s.length > rule.max) ||
    (rule.min !== undefined && s.length < rule.min) ||
    (rule.pattern !== undefined && !fullMatch(rule.pattern, s))
  );
}

function describe(rule: StringRule): string[] {
  const out: string[] = [];
  if (rule.max !== undefined) out.push(`Member must have length less than or equal to ${rule.max}`);
  if (rule.min !== undefined) out.push(`Member must have length greater than or equal to ${rule.min}`);
  if (rule.pattern !== undefined) out.push(`Member must satisfy regular expression pattern: ${rule.pattern}`);
  return out;
}

function validationError(message: string, field: string): ReflowError {
  return new ReflowError('ValidationException', message, { field });
}

// ---------------------------------------------------------------------------------------------------------------
// Names

/** The model's name shapes. */
export const NAME_RULES = {
  /** EventBusName: `/` is allowed by the model (partner buses `aws.partner/…`). */
  bus: { min: 1, max: 256, pattern: '[/\\.\\-_A-Za-z0-9]+' },
  /** EventBusNameOrArn, what every operation but Create/DeleteEventBus takes. */
  busOrArn: {
    min: 1,
    max: 1600,
    pattern: '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+',
  },
  /** NonPartnerEventBusNameOrArn: PutEventsRequestEntry.EventBusName. */
  entryBus: {
    min: 1,
    max: 1600,
    pattern: '(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+',
  },
  rule: { min: 1, max: 64, pattern: '[\\.\\-_A-Za-z0-9]+' },
  target: { min: 1, max: 64, pattern: '[\\.\\-_A-Za-z0-9]+' },
  archive: { min: 1, max: 48, pattern: '[\\.\\-_A-Za-z0-9]+' },
  replay: { min: 1, max: 64, pattern: '[\\.\\-_A-Za-z0-9]+' },
} as const satisfies Record<string, StringRule>;

export type NameKind = keyof typeof NAME_RULES;

/** The violations of one name (empty when it is fine; `null`/absent counts as missing). */
export function nameViolations(kind: NameKind, value: unknown, memberPath: string, required = true): Violation[] {
  const out: Violation[] = [];
  checkString(out, value, memberPath, { ...NAME_RULES[kind], required });
  return out;
}

/**
 * Throws AWS's ValidationException when `value` is not a valid name of `kind`
 * (`1 validation error detected: Value 'x' at 'targets.1.member.id' failed to satisfy constraint: …`; pattern and
 * length failures of the same value are reported together, as AWS does).
 */
export function validateName(kind: NameKind, value: unknown, memberPath: string): void {
  throwViolations(nameViolations(kind, value, memberPath));
}

// ---------------------------------------------------------------------------------------------------------------
// Shared member rules

const ARN = { min: 1, max: 1600 } as const;
const EVENT_PATTERN = { max: 4096 } as const;
const DESCRIPTION = { max: 512 } as const;
const ARCHIVE_ARN_PATTERN = '^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:.+\\/.+$';
const EVENT_SOURCE_NAME = { min: 1, max: 256, pattern: 'aws\\.partner(/[\\.\\-_A-Za-z0-9]+){2,}' } as const;
const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;

function checkTags(out: Violation[], tags: unknown, path: string): void {
  if (!checkList(out, tags, path, {})) return;
  tags.forEach((tag, i) => {
    const p = `${path}.${i + 1}.member`;
    if (!checkStruct(out, tag, p, true)) return;
    checkString(out, tag.Key, `${p}.key`, { min: 1, max: 128, required: true });
    checkString(out, tag.Value, `${p}.value`, { min: 0, max: 256, required: true });
  });
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

const SCHEDULE_RE = /^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(\s*\S+(\s+\S+){5}\s*\))$/;

/** PutRule: model constraints, then `Parameter(s) EventPattern or ScheduleExpression must be specified.` and friends. */
export function validatePutRule(req: PutRuleRequest): void {
  const out: Violation[] = [];
  checkString(out, req.Name, 'name', { ...NAME_RULES.rule, required: true });
  checkString(out, req.ScheduleExpression, 'scheduleExpression', { max: 256 });
  checkString(out, req.EventPattern, 'eventPattern', EVENT_PATTERN);
  checkEnum(out, req.State, 'state', RULE_STATES);
  checkString(out, req.Description, 'description', DESCRIPTION);
  checkString(out, req.RoleArn, 'roleArn', ARN);
  checkTags(out, req.Tags, 'tags');
  checkString(out, req.EventBusName, 'eventBusName', NAME_RULES.busOrArn);
  throwViolations(out);

  if (!req.EventPattern && !req.ScheduleExpression) {
    throw validationError('Parameter(s) EventPattern or ScheduleExpression must be specified.', 'EventPattern');
  }
  if (req.ScheduleExpression) {
    if (req.EventBusName && busName(req.EventBusName) !== 'default') {
      throw validationError('ScheduleExpression is supported only on the default event bus.', 'ScheduleExpression');
    }
    if (!SCHEDULE_RE.test(req.ScheduleExpression)) {
      throw validationError('Parameter ScheduleExpression is not valid.', 'ScheduleExpression');
    }
  }
}

/** For rule-addressed calls (DescribeRule, DeleteRule, EnableRule, DisableRule). */
export function validateRuleRef(req: { Name?: unknown; EventBusName?: unknown }): void {
  const out: Violation[] = [];
  checkString(out, req.Name, 'name', { ...NAME_RULES.rule, required: true });
  checkString(out, req.EventBusName, 'eventBusName', NAME_RULES.busOrArn);
  throwViolations(out);
}

function busName(nameOrArn: string): string {
  const slash = nameOrArn.startsWith('arn:') ? nameOrArn.indexOf(':event-bus/') : -1;
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + ':event-bus/'.length);
}

// ---------------------------------------------------------------------------------------------------------------
// Targets

/** What an InputPath (or an InputPathsMap value) may be: `$`, `$.a.b`, `$.a[0]`, `$.a[*].b`, `$.a.*`. */
export const JSON_PATH_RE = /^\$(?:\.(?:[^.[\]\s*"'<>]+|\*)|\[(?:\d+|\*)\])*$/;

/** `<name>` placeholders of an InputTemplate ("<" and ">" cannot be escaped). */
export const PLACEHOLDER_RE = /<([^<>]*)>/g;

/** The predefined template variables; InputPathsMap may not redefine them. */
export const PREDEFINED_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
]);

const PATHS_MAP_KEY = { min: 1, max: 256, pattern: '[A-Za-z0-9\\_\\-]+' } as const;
const PATHS_MAP_VALUE = { max: 256 } as const;

/** Model-constraint violations of one target (index is 0-based; paths print it 1-based). */
export function targetViolations(target: unknown, index: number): Violation[] {
  const out: Violation[] = [];
  const p = `targets.${index + 1}.member`;
  if (!checkStruct(out, target, p, true)) return out;
  checkString(out, target.Id, `${p}.id`, { ...NAME_RULES.target, required: true });
  checkString(out, target.Arn, `${p}.arn`, { ...ARN, required: true });
  checkString(out, target.RoleArn, `${p}.roleArn`, ARN);
  checkString(out, target.Input, `${p}.input`, { max: 8192 });
  checkString(out, target.InputPath, `${p}.inputPath`, { max: 256 });
  if (checkStruct(out, target.InputTransformer, `${p}.inputTransformer`)) {
    const t = target.InputTransformer;
    checkMap(out, t.InputPathsMap, `${p}.inputTransformer.inputPathsMap`, {
      max: 100,
      key: PATHS_MAP_KEY,
      value: PATHS_MAP_VALUE,
    });
    checkString(out, t.InputTemplate, `${p}.inputTransformer.inputTemplate`, { min: 1, max: 8192, required: true });
  }
  if (checkStruct(out, target.DeadLetterConfig, `${p}.deadLetterConfig`)) {
    checkString(out, target.DeadLetterConfig.Arn, `${p}.deadLetterConfig.arn`, ARN);
  }
  if (checkStruct(out, target.RetryPolicy, `${p}.retryPolicy`)) {
    const r = target.RetryPolicy;
    checkInteger(out, r.MaximumRetryAttempts, `${p}.retryPolicy.maximumRetryAttempts`, { min: 0, max: 185 });
    checkInteger(out, r.MaximumEventAgeInSeconds, `${p}.retryPolicy.maximumEventAgeInSeconds`, {
      min: 60,
      max: 86400,
    });
  }
  if (checkStruct(out, target.HttpParameters, `${p}.httpParameters`)) {
    const h = target.HttpParameters;
    if (checkList(out, h.PathParameterValues, `${p}.httpParameters.pathParameterValues`, {})) {
      h.PathParameterValues.forEach((v, i) =>
        checkString(out, v, `${p}.httpParameters.pathParameterValues.${i + 1}.member`, {
          pattern: '^(?!\\s*$).+',
        }),
      );
    }
    checkMap(out, h.HeaderParameters, `${p}.httpParameters.headerParameters`, {
      key: { max: 512, pattern: "^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$" },
      value: { max: 512, pattern: '^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$' },
    });
    checkMap(out, h.QueryStringParameters, `${p}.httpParameters.queryStringParameters`, {
      key: { max: 512, pattern: '[^\\x00-\\x1F\\x7F]+' },
      value: { max: 512, pattern: '[^\\x00-\\x09\\x0B\\x0C\\x0E-\\x1F\\x7F]+' },
    });
  }
  return out;
}

/**
 * The stateless semantic checks of one target, after its model constraints passed. Recorded texts:
 * `Only one of Input, InputPath, or InputTransformer must be provided for target <id>.` and
 * `InputTemplate for target <id> contains invalid placeholder <name>.`. Not recorded (AWS-style wording chosen
 * here): a malformed Arn, Input that is not JSON, a malformed JSON path, an InputPathsMap key that is reserved.
 * Reflow accepts `http(s)://` URLs as target Arns (HTTP targets), besides any `arn:` string.
 */
export function checkTargetSemantics(target: Target, index: number): void {
  const id = target.Id;
  const field = `Targets[${index}]`;
  if (!/^arn:[^:]*:[^:]*:/.test(target.Arn) && !/^https?:\/\/[^/\s]+/i.test(target.Arn)) {
    throw validationError(`Parameter ${target.Arn} is not valid. Reason: Provided Arn is not in correct format.`, `${field}.Arn`);
  }
  const inputs = [target.Input, target.InputPath, target.InputTransformer].filter(present).length;
  if (inputs > 1) {
    throw validationError(`Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`, field);
  }
  if (present(target.Input)) {
    try {
      JSON.parse(target.Input!);
    } catch {
      throw validationError(`Parameter Input is not valid. Reason: Input for target ${id} is not valid JSON.`, `${field}.Input`);
    }
  }
  if (present(target.InputPath) && !JSON_PATH_RE.test(target.InputPath!)) {
    throw validationError(
      `Parameter InputPath is not valid. Reason: ${target.InputPath} for target ${id} is not a valid JSON path.`,
      `${field}.InputPath`,
    );
  }
  const transformer = target.InputTransformer;
  if (transformer) {
    const map = transformer.InputPathsMap ?? {};
    for (const [key, path] of Object.entries(map)) {
      if (/^aws/i.test(key)) {
        throw validationError(
          `Parameter InputPathsMap is not valid. Reason: key ${key} for target ${id} starts with "AWS", which is reserved.`,
          `${field}.InputTransformer.InputPathsMap`,
        );
      }
      if (!JSON_PATH_RE.test(path)) {
        throw validationError(
          `Parameter InputPathsMap is not valid. Reason: ${path} for key ${key} of target ${id} is not a valid JSON path.`,
          `${field}.InputTransformer.InputPathsMap`,
        );
      }
    }
    for (const m of transformer.InputTemplate.matchAll(PLACEHOLDER_RE)) {
      const name = m[1]!;
      if (!Object.prototype.hasOwnProperty.call(map, name) && !PREDEFINED_PLACEHOLDERS.has(name)) {
        throw validationError(
          `InputTemplate for target ${id} contains invalid placeholder ${name}.`,
          `${field}.InputTransformer.InputTemplate`,
        );
      }
    }
  }
}

/**
 * PutTargets: model constraints of the whole request (Rule, EventBusName, 1..100 targets, each target's members),
 * reported together; then each target's semantic checks. The 5-targets-per-rule limit is the bus's
 * (LimitExceededException), as is whether the rule exists.
 */
export function validatePutTargets(req: PutTargetsRequest): void {
  const out: Violation[] = [];
  checkString(out, req.Rule, 'rule', { ...NAME_RULES.rule, required: true });
  checkString(out, req.EventBusName, 'eventBusName', NAME_RULES.busOrArn);
  const targets: unknown = req.Targets;
  if (checkList(out, targets, 'targets', { min: 1, max: 100, required: true })) {
    targets.forEach((t, i) => out.push(...targetViolations(t, i)));
  }
  throwViolations(out);
  req.Targets.forEach((t, i) => checkTargetSemantics(t, i));
}

/** RemoveTargets: Rule, EventBusName, 1..100 Ids (`ids.N.member`). Unknown ids are per-id failures, the bus's. */
export function validateRemoveTargets(req: RemoveTargetsRequest): void {
  const out: Violation[] = [];
  checkString(out, req.Rule, 'rule', { ...NAME_RULES.rule, required: true });
  checkString(out, req.EventBusName, 'eventBusName', NAME_RULES.busOrArn);
  const ids: unknown = req.Ids;
  if (checkList(out, ids, 'ids', { min: 1, max: 100, required: true })) {
    ids.forEach((id, i) => checkString(out, id, `ids.${i + 1}.member`, { ...NAME_RULES.target, required: true }));
  }
  if (present(req.Force) && typeof req.Force !== 'boolean') throw wrongType('force', 'a boolean');
  throwViolations(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Buses

/**
 * CreateEventBus. A custom bus name may not contain `/` (the model allows it for partner buses, which need an
 * EventSourceName); that text was not recorded.
 */
export function validateCreateEventBus(req: CreateEventBusRequest): void {
  const out: Violation[] = [];
  checkString(out, req.Name, 'name', { ...NAME_RULES.bus, required: true });
  checkString(out, req.EventSourceName, 'eventSourceName', EVENT_SOURCE_NAME);
  checkString(out, req.Description, 'description', DESCRIPTION);
  checkTags(out, req.Tags, 'tags');
  throwViolations(out);
  if (!req.EventSourceName && req.Name.includes('/')) {
    throw validationError("Event bus name must not contain '/'.", 'Name');
  }
}

/** DeleteEventBus: `Cannot delete event bus default.` (recorded). A missing bus is not an error there. */
export function validateDeleteEventBus(req: { Name?: unknown }): void {
  const out: Violation[] = [];
  checkString(out, req.Name, 'name', { ...NAME_RULES.bus, required: true });
  throwViolations(out);
  if (req.Name === 'default') throw validationError('Cannot delete event bus default.', 'Name');
}

/** DescribeEventBus takes a name or an ARN, and none means `default`. */
export function validateDescribeEventBus(req: { Name?: unknown }): void {
  const out: Violation[] = [];
  checkString(out, req.Name, 'name', NAME_RULES.busOrArn);
  throwViolations(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Archives

export function validateCreateArchive(req: CreateArchiveRequest): void {
  const out: Violation[] = [];
  checkString(out, req.ArchiveName, 'archiveName', { ...NAME_RULES.archive, required: true });
  checkString(out, req.EventSourceArn, 'eventSourceArn', { ...ARN, pattern: ARCHIVE_ARN_PATTERN, required: true });
  checkString(out, req.Description, 'description', { ...DESCRIPTION, pattern: '.*' });
  checkString(out, req.EventPattern, 'eventPattern', EVENT_PATTERN);
  checkInteger(out, req.RetentionDays, 'retentionDays', { min: 0 });
  throwViolations(out);
}

/**
 * UpdateArchive: `At least one of EventPattern, RetentionDays or Description must be provided.` (recorded; it is
 * answered even when the archive does not exist, so it runs before any lookup).
 */
export function validateUpdateArchive(req: UpdateArchiveRequest): void {
  const out: Violation[] = [];
  checkString(out, req.ArchiveName, 'archiveName', { ...NAME_RULES.archive, required: true });
  checkString(out, req.Description, 'description', { ...DESCRIPTION, pattern: '.*' });
  checkString(out, req.EventPattern, 'eventPattern', EVENT_PATTERN);
  checkInteger(out, req.RetentionDays, 'retentionDays', { min: 0 });
  throwViolations(out);
  if (!present(req.EventPattern) && !present(req.RetentionDays) && !present(req.Description)) {
    throw validationError('At least one of EventPattern, RetentionDays or Description must be provided.', 'ArchiveName');
  }
}

/** DescribeArchive, DeleteArchive. */
export function validateArchiveRef(req: { ArchiveName?: unknown }): void {
  const out: Violation[] = [];
  checkString(out, req.ArchiveName, 'archiveName', { ...NAME_RULES.archive, required: true });
  throwViolations(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Replays

/**
 * StartReplay. Recorded: `Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.`
 * for an end equal to (at second precision, which is what AWS keeps) or before the start. That check comes before
 * the archive and destination checks, which need state (the bus's: `Parameter EventSourceArn is not valid. Reason:
 * Archive x does not exist.`, `Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not
 * permitted.`). Times may be Date, epoch seconds, or an ISO string (what a wire layer may hand over).
 */
export function validateStartReplay(req: StartReplayRequest): void {
  const out: Violation[] = [];
  checkString(out, req.ReplayName, 'replayName', { ...NAME_RULES.replay, required: true });
  checkString(out, req.Description, 'description', { ...DESCRIPTION, pattern: '.*' });
  checkString(out, req.EventSourceArn, 'eventSourceArn', { ...ARN, pattern: ARCHIVE_ARN_PATTERN, required: true });
  const start = timestampMember(out, req.EventStartTime, 'eventStartTime');
  const end = timestampMember(out, req.EventEndTime, 'eventEndTime');
  const destination: unknown = req.Destination;
  if (checkStruct(out, destination, 'destination', true)) {
    checkString(out, destination.Arn, 'destination.arn', { ...ARN, required: true });
    if (checkList(out, destination.FilterArns, 'destination.filterArns', {})) {
      destination.FilterArns.forEach((a, i) =>
        checkString(out, a, `destination.filterArns.${i + 1}.member`, { ...ARN, required: true }),
      );
    }
  }
  throwViolations(out);
  if (start !== undefined && end !== undefined && Math.floor(end / 1000) <= Math.floor(start / 1000)) {
    throw validationError(
      'Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.',
      'EventEndTime',
    );
  }
}

/** DescribeReplay, CancelReplay. */
export function validateReplayRef(req: { ReplayName?: unknown }): void {
  const out: Violation[] = [];
  checkString(out, req.ReplayName, 'replayName', { ...NAME_RULES.replay, required: true });
  throwViolations(out);
}

function timestampMember(out: Violation[], value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) {
    out.push({ value: null, path, constraint: 'Member must not be null' });
    return undefined;
  }
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') ms = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  else throw wrongType(path, 'a timestamp');
  if (!Number.isFinite(ms)) throw wrongType(path, 'a timestamp');
  return ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Listings

/** `Limit` of the List* operations: an integer 1..100 (`Member must have value less than or equal to 100`). */
export function validateListLimit(limit: unknown, memberPath = 'limit'): void {
  const out: Violation[] = [];
  checkInteger(out, limit, memberPath, { min: 1, max: 100 });
  throwViolations(out);
}

/**
 * The common members of a List* request: NamePrefix (a name of `prefixKind`), NextToken (1..2048), Limit (1..100),
 * and EventBusName where the operation has one.
 */
export function validateListRequest(
  prefixKind: NameKind | undefined,
  req: { NamePrefix?: unknown; NextToken?: unknown; Limit?: unknown; EventBusName?: unknown },
): void {
  const out: Violation[] = [];
  if (prefixKind !== undefined) checkString(out, req.NamePrefix, 'namePrefix', NAME_RULES[prefixKind]);
  checkString(out, req.EventBusName, 'eventBusName', NAME_RULES.busOrArn);
  checkString(out, req.NextToken, 'nextToken', { min: 1, max: 2048 });
  checkInteger(out, req.Limit, 'limit', { min: 1, max: 100 });
  throwViolations(out);
}
