/**
 * TestEventPattern as EventBridge answers it: pure, no bus needed (the CLI runs it offline too). EventBridge checks
 * the event before the pattern: it must be a JSON object with the envelope members id, account, source, time,
 * region and detail-type (not resources or detail, whatever the API reference says), else
 * `ValidationException: Parameter Event is not valid.`; a bad pattern is the pattern module's InvalidEventPattern,
 * which the API answers as InvalidEventPatternException.
 */
import { ReflowError } from '../errors.js';
import { testEventPattern } from '../events/pattern/index.js';

const ENVELOPE_MEMBERS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

const invalidEvent = () => new ReflowError('ValidationException', 'Parameter Event is not valid.', { field: 'Event' });

/** Parses and checks a TestEventPattern event; throws `ValidationException: Parameter Event is not valid.` */
export function parseTestEvent(event: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event);
  } catch {
    throw invalidEvent();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidEvent();
  const object = parsed as Record<string, unknown>;
  if (!ENVELOPE_MEMBERS.every((member) => member in object)) throw invalidEvent();
  return object;
}

/** `Result` of TestEventPattern for the texts as sent (the pattern text is kept raw: duplicate keys, last wins). */
export function runTestEventPattern(pattern: string, event: string): boolean {
  parseTestEvent(event);
  return testEventPattern(pattern, event);
}
