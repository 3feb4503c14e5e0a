/**
 * The EventBridge event-pattern language: compile once, match one pattern (testEventPattern) or many at once
 * (PatternMatcher). Semantics follow aws/event-ruler, the matcher behind EventBridge.
 */
export type EventPattern = Record<string, unknown>;
export type { CompiledPattern } from './compile.js';
export { checkPattern, compilePattern, testEventPattern } from './compile.js';
export { PatternMatcher } from './matcher.js';
