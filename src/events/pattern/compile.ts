/**
 * compilePattern / checkPattern / testEventPattern: one pattern against one event. testEventPattern walks the event
 * guided by the pattern's own fields; it is also the reference the multi-rule matcher is tested against.
 */
import { ReflowError } from '../../errors.js';
import type { Branch } from './ast.js';
import { invalidPattern, PatternError } from './errors.js';
import { bindCondition, branchHolds, type BoundCondition } from './evaluate.js';
import { PathTrie } from './flatten.js';
import { jacksonLocation, JsonSyntaxError, NotAnObjectError, parseJsonObject } from './json.js';
import { compileBranches, isPlainObject } from './parse.js';
import { MAX_WILDCARD_COMPLEXITY, TOO_COMPLEX, wildcardComplexity } from './complexity.js';

export interface CompiledPattern {
  /** The pattern as compact JSON text, duplicate keys resolved (the last wins). */
  readonly source: string;
}

export class Compiled implements CompiledPattern {
  #trie: PathTrie | null = null;
  #bound: BoundCondition[][] = [];

  constructor(
    readonly source: string,
    readonly branches: readonly Branch[],
  ) {}

  matches(event: object): boolean {
    if (this.#trie === null) {
      const trie = new PathTrie();
      this.#bound = this.branches.map((b) => b.conditions.map((c) => bindCondition(trie, c)));
      this.#trie = trie;
    }
    this.#trie.walk(event);
    for (const conditions of this.#bound) if (branchHolds(this.#trie, conditions)) return true;
    return false;
  }
}

/** Compiles a pattern given as JSON text or as a value; throws ReflowError `InvalidEventPattern`. */
export function compilePattern(pattern: string | object): CompiledPattern {
  return compile(pattern);
}

/** The error compilePattern would throw, or null when the pattern is valid. */
export function checkPattern(pattern: string | object): ReflowError | null {
  try {
    compile(pattern);
    return null;
  } catch (err) {
    if (err instanceof ReflowError && err.code === 'InvalidEventPattern') return err;
    throw err;
  }
}

/** Whether `event` (an object or JSON text) matches `pattern`. */
export function testEventPattern(pattern: string | object | CompiledPattern, event: string | object): boolean {
  const compiled = toCompiled(pattern);
  return compiled.matches(toEvent(event));
}

export function toCompiled(pattern: string | object | CompiledPattern): Compiled {
  return pattern instanceof Compiled ? pattern : compile(pattern);
}

function compile(pattern: string | object): Compiled {
  if (pattern instanceof Compiled) return pattern;
  let root: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      root = parseJsonObject(pattern);
    } catch (err) {
      if (err instanceof JsonSyntaxError || err instanceof NotAnObjectError) {
        const reason = err instanceof JsonSyntaxError ? err.reason : err.message;
        throw invalidPattern(reason, '', jacksonLocation(pattern, err.line, err.column));
      }
      throw err;
    }
  }
  let branches: Branch[];
  try {
    branches = compileBranches(root);
  } catch (err) {
    if (err instanceof PatternError) throw invalidPattern(err.reason, err.path);
    throw err;
  }
  // Like EventBridge, refuse wildcard values whose automaton would keep too many states live (complexity.ts).
  if (wildcardComplexity(branches) > MAX_WILDCARD_COMPLEXITY) throw invalidPattern(TOO_COMPLEX, '');
  return new Compiled(JSON.stringify(root), branches);
}

function toEvent(event: string | object): object {
  let value: unknown = event;
  if (typeof event === 'string') {
    try {
      value = JSON.parse(event);
    } catch (err) {
      throw new ReflowError('InvalidArgument', 'Parameter Event is not valid.', { field: 'Event', cause: err });
    }
  }
  if (!isPlainObject(value)) throw new ReflowError('InvalidArgument', 'Parameter Event is not valid.', { field: 'Event' });
  return value;
}
