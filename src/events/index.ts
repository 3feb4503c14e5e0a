export * from './envelope.js';
export { checkPattern, compilePattern, PatternMatcher, testEventPattern } from './pattern/index.js';
export type { CompiledPattern, EventPattern } from './pattern/index.js';
