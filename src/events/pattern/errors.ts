import { ReflowError } from '../../errors.js';

/**
 * A refused pattern. The first line is EventBridge's InvalidEventPatternException text with event-ruler's reason,
 * so it reads (and compares) like AWS; the second line says where, as AWS's second line does (for syntax errors it
 * is the same Jackson `at [Source: …]` line, otherwise the pattern path). `field` is the dotted path of the bad
 * part, absent when the fault is the pattern as a whole (its root, or its JSON syntax).
 */
export function invalidPattern(reason: string, path: string, location?: string): ReflowError {
  const where = location ?? (path === '' ? undefined : path);
  const message = `Event pattern is not valid. Reason: ${reason}` + (where === undefined ? '' : `\n at ${where}`);
  return new ReflowError('InvalidEventPattern', message, path === '' ? {} : { field: path });
}

/** Thrown while compiling; turned into a ReflowError at the API boundary. */
export class PatternError extends Error {
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(reason);
  }
}
